// The emulator's SSH gateway, driven by the real OpenSSH client: credentials issued through
// the SDK log in with `access.sshCommand` and `access.password`, and stop working when
// regenerated, deleted or expired.

import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client } from '../index.js'
import { type Emulator, startEmulator } from './helpers/emulator'
import { finished, scp, ssh, startSsh } from './helpers/ssh'

/** sshpass's exit code when the server refused the password. */
const REFUSED = 5

let emulator: Emulator
let client: Leap0Client
let scratch: string

beforeAll(async () => {
  emulator = await startEmulator()
  client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
  scratch = mkdtempSync(join(tmpdir(), 'leap0-ssh-'))
})

afterAll(async () => {
  await client?.close()
  await emulator?.stop()
  if (scratch) rmSync(scratch, { recursive: true, force: true })
})

const sandboxDir = (id: string) => join(emulator.dataDir, 'sandboxes', id)

/** Resolves once the run has printed `text`. */
function waitForOutput(child: ReturnType<typeof startSsh>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => reject(new Error(`no "${text}" within 10 s`)), 10_000)
    child.stdout?.on('data', (chunk: Buffer | string) => {
      seen += chunk.toString()
      if (seen.includes(text)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}

describe('ssh gateway', () => {
  it('logs in with a fresh credential and runs commands in the sandbox dir', async () => {
    const sandbox = await client.sandboxes.create()
    const access = await client.ssh.createAccess(sandbox)

    const hello = await ssh(access, access.password, 'echo hello; pwd')
    expect(hello).toMatchObject({ code: 0, stdout: `hello\n${sandboxDir(sandbox.id)}\n` })
    const failed = await ssh(access, access.password, 'echo bye; exit 3')
    expect(failed).toMatchObject({ code: 3, stdout: 'bye\n' })
    await sandbox.delete()
  })

  it('refuses a wrong password', async () => {
    const sandbox = await client.sandboxes.create()
    const access = await client.ssh.createAccess(sandbox)

    const refused = await ssh(access, `${access.password}x`, 'echo in')
    expect(refused.code).toBe(REFUSED)
    expect(refused.stdout).toBe('')
    await sandbox.delete()
  })

  it('gives the sandbox env vars to the session and a terminal when asked', async () => {
    const sandbox = await client.sandboxes.create({ envVars: { GREETING: 'hi there' } })
    const access = await client.ssh.createAccess(sandbox)

    const env = await ssh(access, access.password, 'echo "$GREETING"')
    expect(env).toMatchObject({ code: 0, stdout: 'hi there\n' })
    const tty = await ssh(access, access.password, 'tty', ['-tt'])
    expect(tty.code).toBe(0)
    expect(tty.stdout).toMatch(/^\/dev\/pts\/\d+\r?\n$/)
    await sandbox.delete()
  })

  it('refuses the old password after regenerateAccess and takes the new one', async () => {
    const sandbox = await client.sandboxes.create()
    const access = await client.ssh.createAccess(sandbox)
    const regenerated = await client.ssh.regenerateAccess(sandbox, { id: access.id })

    expect((await ssh(access, access.password, 'echo in')).code).toBe(REFUSED)
    const fresh = await ssh(regenerated, regenerated.password, 'echo in')
    expect(fresh).toMatchObject({ code: 0, stdout: 'in\n' })
    await sandbox.delete()
  })

  it('refuses a deleted credential and closes its open session promptly', async () => {
    const sandbox = await client.sandboxes.create()
    const access = await client.ssh.createAccess(sandbox)
    const session = startSsh(access, access.password, 'echo started; sleep 30')
    const ended = finished(session)
    await waitForOutput(session, 'started')

    const deletedAt = performance.now()
    await client.ssh.deleteAccess(sandbox, { id: access.id })
    const run = await ended
    expect(performance.now() - deletedAt).toBeLessThan(2_000)
    expect(run.code).toBe(255)
    expect((await ssh(access, access.password, 'echo in')).code).toBe(REFUSED)
    await sandbox.delete()
  })

  it('copies a file in and back out with scp, byte for byte', async () => {
    const sandbox = await client.sandboxes.create()
    const access = await client.ssh.createAccess(sandbox)
    const original = randomBytes(1024 * 1024)
    const local = join(scratch, 'original.bin')
    const back = join(scratch, 'back.bin')
    writeFileSync(local, original)

    const upload = await scp(access, access.password, local, 'remote:upload.bin')
    expect(upload).toMatchObject({ code: 0, stderr: '' })
    expect(readFileSync(join(sandboxDir(sandbox.id), 'upload.bin')).equals(original)).toBe(true)
    const download = await scp(access, access.password, 'remote:upload.bin', back)
    expect(download).toMatchObject({ code: 0, stderr: '' })
    expect(readFileSync(back).equals(original)).toBe(true)
    await sandbox.delete()
  })

  it("keeps each sandbox's files to its own directory", async () => {
    const first = await client.sandboxes.create()
    const second = await client.sandboxes.create()
    const firstAccess = await client.ssh.createAccess(first)
    const secondAccess = await client.ssh.createAccess(second)

    const wrote = await ssh(firstAccess, firstAccess.password, 'echo mine > first.txt; pwd; ls')
    expect(wrote).toMatchObject({ code: 0, stdout: `${sandboxDir(first.id)}\nfirst.txt\n` })
    const looked = await ssh(secondAccess, secondAccess.password, 'pwd; ls -A')
    expect(looked).toMatchObject({ code: 0, stdout: `${sandboxDir(second.id)}\n` })
    await first.delete()
    await second.delete()
  })
})

describe('ssh gateway with a short credential lifetime', () => {
  let shortLived: Emulator
  let shortClient: Leap0Client

  beforeAll(async () => {
    shortLived = await startEmulator(['--ssh-ttl', '2s'])
    shortClient = new Leap0Client({ apiKey: shortLived.apiKey, baseUrl: shortLived.baseUrl })
  })

  afterAll(async () => {
    await shortClient?.close()
    await shortLived?.stop()
  })

  it('logs in before expiry and is refused after it', async () => {
    const sandbox = await shortClient.sandboxes.create()
    const access = await shortClient.ssh.createAccess(sandbox)

    expect(await ssh(access, access.password, 'echo in')).toMatchObject({ code: 0 })
    const left = Date.parse(access.expiresAt) - Date.now()
    await new Promise((resolve) => setTimeout(resolve, Math.max(left, 0) + 300))
    expect((await ssh(access, access.password, 'echo in')).code).toBe(REFUSED)
  })
})
