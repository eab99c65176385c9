// Drives the real OpenSSH client (ssh, scp) through sshpass against the emulator's SSH
// gateway. The password travels in the SSHPASS environment variable, never in argv.

import { type ChildProcess, spawn } from 'node:child_process'

import type { SshAccess } from '../../index.js'

/** What one OpenSSH run printed and how it exited (255: ssh's own failure; 5: sshpass saw
 * the password refused). */
export interface SshRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Options that keep runs independent of the user's config and known_hosts. */
const OPENSSH_OPTIONS = [
  '-F',
  '/dev/null',
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'ConnectTimeout=10',
]

/** Starts `program args` under `sshpass -e` with `password` in its environment. */
function withPassword(password: string, program: string, args: string[]): ChildProcess {
  return spawn('sshpass', ['-e', program, ...args], {
    env: { ...process.env, SSHPASS: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Collects a started run's output until it exits. */
export function finished(child: ChildProcess): Promise<SshRun> {
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/**
 * Starts `ssh` exactly as `access.sshCommand` says (`ssh -p <port> <id>@127.0.0.1`), with
 * the options above and `command`, logging in with `password`.
 */
export function startSsh(
  access: Pick<SshAccess, 'sshCommand'>,
  password: string,
  command: string,
  extra: string[] = [],
): ChildProcess {
  const [program, ...args] = access.sshCommand.split(' ')
  return withPassword(password, program, [...OPENSSH_OPTIONS, ...extra, ...args, command])
}

/** Runs `command` over SSH and waits for it. */
export function ssh(
  access: Pick<SshAccess, 'sshCommand'>,
  password: string,
  command: string,
  extra: string[] = [],
): Promise<SshRun> {
  return finished(startSsh(access, password, command, extra))
}

/** Copies with `scp` (SFTP underneath, as OpenSSH 9 does); `remote:` marks the remote side. */
export function scp(
  access: Pick<SshAccess, 'id' | 'sshCommand'>,
  password: string,
  from: string,
  to: string,
): Promise<SshRun> {
  const port = access.sshCommand.match(/-p (\d+)/)?.[1]
  const host = access.sshCommand.split('@').pop()
  if (port === undefined || host === undefined) {
    throw new Error(`unexpected ssh command: ${access.sshCommand}`)
  }
  const remote = (path: string) => path.replace(/^remote:/, `${access.id}@${host}:`)
  const args = [...OPENSSH_OPTIONS, '-P', port, remote(from), remote(to)]
  return finished(withPassword(password, 'scp', args))
}
