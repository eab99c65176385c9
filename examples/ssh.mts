// The SSH access flow of Leap0's documentation, run as is. Point it at a Leap0 API with
// LEAP0_API_KEY and LEAP0_BASE_URL; `npm run demo` does so with a local emulator.

import { spawnSync } from "node:child_process";

import { Leap0Client, Leap0NotFoundError } from "leap0";

const client = new Leap0Client();
const sandbox = await client.sandboxes.create();
console.log("Sandbox:", sandbox.id);

const access = await client.ssh.createAccess(sandbox);
console.log("SSH username:", access.id);
console.log(access.sshCommand);
console.log("Password:", access.password);

const validation = await client.ssh.validateAccess(sandbox, {
  id: access.id,
  password: access.password,
});
console.log("Valid:", validation.valid);
console.log("Sandbox:", validation.sandboxId);

const regenerated = await client.ssh.regenerateAccess(sandbox, { id: access.id });
console.log("New password:", regenerated.password);

// Log in with the credential through OpenSSH. sshpass reads the password from SSHPASS, so it
// never shows on a command line. Host key checking is off for this throwaway local sandbox
// only; against the real service, keep it on.
const [ssh, ...destination] = access.sshCommand.split(/\s+/);
const login = spawnSync(
  "sshpass",
  [
    "-e",
    ssh,
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "LogLevel=ERROR",
    ...destination,
    "echo hello from the sandbox && uname -s",
  ],
  { env: { ...process.env, SSHPASS: regenerated.password }, encoding: "utf8", timeout: 30_000 },
);
if (login.error) throw new Error(`could not run sshpass/ssh: ${login.error.message}`);
if (login.status !== 0) throw new Error(`ssh exited with ${login.status}: ${login.stderr}`);
console.log("Over SSH:", login.stdout.trim());

await client.ssh.deleteAccess(sandbox, { id: access.id });
console.log("Deleted SSH access", access.id);

try {
  await client.ssh.validateAccess(sandbox, { id: access.id, password: regenerated.password });
  throw new Error("a deleted credential still validates");
} catch (error) {
  if (!(error instanceof Leap0NotFoundError)) throw error;
  console.log(`Validating it now fails: ${error.name} (${error.code}, ${error.statusCode})`);
}

await sandbox.delete();
console.log("Deleted sandbox", sandbox.id);
await client.close();
