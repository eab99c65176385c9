#!/bin/sh
# Installs the system tools the SSH tests and the demo drive: the OpenSSH client (ssh, scp,
# sftp) and sshpass, which hands it a password. Does nothing when they are there already.
set -eu

missing=""
command -v ssh >/dev/null 2>&1 || missing="$missing openssh-client"
command -v scp >/dev/null 2>&1 || missing="$missing openssh-client"
command -v sshpass >/dev/null 2>&1 || missing="$missing sshpass"
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "leap0: please install$missing (needed by the SSH tests and the demo)" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo="sudo -n"
else
  echo "leap0: please install$missing (needed by the SSH tests and the demo)" >&2
  exit 0
fi
echo "leap0: installing$missing" >&2
$sudo apt-get update -qq >/dev/null
# shellcheck disable=SC2086 # the package list is meant to split
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
