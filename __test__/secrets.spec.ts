// The API key and SSH passwords never show: not in an error (message, stack, causes, string,
// JSON, inspection), not in an inspected client, not in any log line, at any log level.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import util from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import * as leap0 from '../index.js'
import { Leap0Client, Leap0Error } from '../index.js'
import { type Emulator, startEmulator } from './helpers/emulator'
import { type Outcome, runScenarios } from './helpers/secret-scenarios.cjs'
import { closedPort } from './helpers/servers'

const token = () => Math.random().toString(36).slice(2, 12)
const apiKey = `sk-leap0-SECRETKEY-${token()}`
const wrongKey = `sk-leap0-WRONGKEY-${token()}`

let emulator: Emulator
let target: { baseUrl: string; apiKey: string; wrongKey: string; closedPort: number }

beforeAll(async () => {
  emulator = await startEmulator(['--faults', '--api-key', apiKey])
  target = { baseUrl: emulator.baseUrl, apiKey, wrongKey, closedPort: await closedPort() }
})

afterAll(async () => {
  await emulator?.stop()
})

/** A secret as a URL carries it: every character but letters and digits percent-encoded. */
const percentEncoded = (secret: string) =>
  secret.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** What may not appear: each secret, also percent-encoded, and enough of their ends to catch
 * a cut-off copy. */
function markers(secrets: string[]): string[] {
  return secrets
    .flatMap((secret) => [secret, percentEncoded(secret)])
    .flatMap((secret) => [secret, secret.slice(0, 14), secret.slice(-14)])
}

/** Every way an error can be shown, following its causes down. */
function renderings(error: unknown, depth = 0): string[] {
  if (error === null || error === undefined || depth > 5) return []
  const shown = [
    String(error),
    util.inspect(error, { depth: 10, showHidden: true }),
    JSON.stringify(error) ?? '',
  ]
  if (error instanceof Error) {
    shown.push(error.message, error.stack ?? '')
    shown.push(...renderings(error.cause, depth + 1))
  }
  return shown
}

function expectNoSecret(texts: string[], secrets: string[], where: string) {
  for (const text of texts) {
    for (const marker of markers(secrets)) {
      if (text.includes(marker)) {
        throw new Error(`${where} shows a secret (${marker.length} chars): ${text}`)
      }
    }
  }
}

const expectedCodes = [
  ['validate', 'OK'],
  ['validate a wrong password', 'OK'],
  ['list after a 500', 'OK'],
  ['get', 'OK'],
  ['401', 'AUTHENTICATION_ERROR'],
  ['404 of an unknown credential', 'NOT_FOUND'],
  ['404 of an unknown sandbox', 'NOT_FOUND'],
  ['400 from the service', 'VALIDATION_ERROR'],
  ['a credential of the wrong type', 'INVALID_ARGUMENT'],
  ['a password of the wrong type', 'INVALID_ARGUMENT'],
  ['a header value not allowed', 'INVALID_ARGUMENT'],
  ['a key not allowed in a header', 'INVALID_ARGUMENT'],
  ['a connection error', 'CONNECTION_ERROR'],
  ['a timeout', 'TIMEOUT'],
  ['an answer of the wrong type quoting the password', 'INVALID_RESPONSE'],
  ['an answer that is not JSON quoting the password', 'INVALID_RESPONSE'],
  ['an access of the wrong shape', 'INVALID_RESPONSE'],
  ['a 401 echoing the key', 'AUTHENTICATION_ERROR'],
  ['a text answer echoing the key past a cut', 'PERMISSION_DENIED'],
  ['a 400 echoing the password', 'VALIDATION_ERROR'],
  ['a 401 echoing the key percent-encoded', 'AUTHENTICATION_ERROR'],
  ['a 401 echoing a key sent in per-call headers', 'AUTHENTICATION_ERROR'],
]

const codeOf = ({ name, error }: Outcome) => [name, error ? (error as Leap0Error).code : 'OK']

/** Runs the scenarios in a child Node process with `LEAP0_LOG` set; its output. */
async function childRun(logSetting: string) {
  const script = join(__dirname, 'helpers', 'secret-child.cjs')
  const child = spawn(process.execPath, [script, JSON.stringify(target)], {
    env: { ...process.env, LEAP0_LOG: logSetting, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const [code] = await once(child, 'exit')
  return { code, stdout, stderr }
}

describe('secrets', () => {
  it('never show in an error, however it is printed', async () => {
    const { secrets, outcomes } = await runScenarios(leap0, target)

    expect(outcomes.map(codeOf)).toEqual(expectedCodes)
    expect(secrets).toHaveLength(5)
    for (const { name, error } of outcomes) {
      if (error === undefined) continue
      expect(error, name).toBeInstanceOf(Leap0Error)
      expectNoSecret(renderings(error), secrets, name)
    }
  })

  it('never show when a client is inspected', async () => {
    const client = new Leap0Client({ apiKey, baseUrl: emulator.baseUrl })
    const sandbox = await client.sandboxes.create()

    const shown = [client, client.ssh, client.sandboxes, sandbox.ssh].flatMap((value) => [
      util.inspect(value, { depth: 10, showHidden: true }),
      JSON.stringify(value) ?? '',
      String(value),
    ])

    expectNoSecret(shown, [apiKey], 'an inspected client')
    await client.close()
  })

  it.each([
    ['the SDK at trace', 'trace', /retrying leap0 call/],
    ['everything at trace', 'trace,hyper=trace,reqwest=trace', /hyper/],
  ])('never show in log lines, with %s', async (_, setting, expectedLine) => {
    const { code, stdout, stderr } = await childRun(setting)

    expect(code, stderr).toBe(0)
    const { secrets, codes } = JSON.parse(stdout) as { secrets: string[]; codes: string[][] }
    expect(codes).toEqual(expectedCodes)
    // The logs were on, so the check below means something.
    expect(stderr).toMatch(expectedLine)
    expectNoSecret(stderr.split('\n'), secrets, `LEAP0_LOG=${setting}`)
  })
})
