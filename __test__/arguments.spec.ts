// Arguments whose reading runs the caller's code (getters, proxies) and throws: the call
// rejects with a Leap0ValidationError naming the argument, never throws synchronously, sends
// nothing, and leaves the client working.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client, Leap0ValidationError } from '../index.js'
import { totalReceived } from './helpers/calls'
import { type Emulator, startEmulator } from './helpers/emulator'

let emulator: Emulator
let client: Leap0Client

beforeAll(async () => {
  emulator = await startEmulator()
  client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
})

afterAll(async () => {
  await client?.close()
  await emulator?.stop()
})

/** An object whose `key` throws when read; typed to stand in for any argument. */
function throwingAt(key: string, rest: object = {}): never {
  const value = Object.defineProperty({ ...rest }, key, {
    enumerable: true,
    get() {
      throw new Error(`${key} is not readable`)
    },
  })
  return value as never
}

/** A proxy whose property listing throws. */
const unlistable: Record<string, string> = new Proxy(
  {},
  {
    ownKeys() {
      throw new Error('no keys')
    },
  },
)

const cases: [string, () => Promise<unknown>, string][] = [
  ['options', () => client.sandboxes.list(undefined, throwingAt('timeout')), 'options.timeout'],
  ['the signal', () => client.sandboxes.list(undefined, throwingAt('signal')), 'options.signal'],
  [
    'a header',
    () => client.sandboxes.list(undefined, { headers: throwingAt('x-a') }),
    'options.headers.x-a',
  ],
  [
    'the headers',
    () => client.sandboxes.list(undefined, { headers: unlistable }),
    'options.headers',
  ],
  ['a sandbox id', () => client.sandboxes.get(throwingAt('id')), 'sandbox.id'],
  ['create params', () => client.sandboxes.create(throwingAt('vcpu')), 'params.vcpu'],
  [
    'an env var',
    () => client.sandboxes.create({ envVars: throwingAt('TOKEN') }),
    'params.envVars.TOKEN',
  ],
  [
    'a credential',
    () => client.ssh.validateAccess('sbx-1', throwingAt('password', { id: 'ssh-1' })),
    'credential.password',
  ],
  ['an access', () => client.ssh.deleteAccess('sbx-1', throwingAt('id')), 'access.id'],
]

describe('arguments', () => {
  it.each(cases)('that throw when read reject, for %s', async (_, call, field) => {
    const sent = await totalReceived(emulator)

    let promise: Promise<unknown> | undefined
    expect(() => {
      promise = call()
    }).not.toThrow()

    await expect(promise).rejects.toBeInstanceOf(Leap0ValidationError)
    await expect(promise).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: `${field} could not be read`,
      errors: [{ field, error: 'could not be read' }],
    })
    expect(await totalReceived(emulator)).toBe(sent)
    await expect(client.sandboxes.list()).resolves.toMatchObject({ items: expect.any(Array) })
  })
})
