// A pool worker that finishes with calls still in flight, which the pool then tears down;
// see workers.spec.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client } from '../../index.js'
import { type Emulator, startEmulator } from '../helpers/emulator'
import { programFault } from '../helpers/faults'

let emulator: Emulator
let client: Leap0Client

beforeAll(async () => {
  emulator = await startEmulator(['--faults'])
  client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
})

afterAll(async () => {
  await emulator?.stop()
})

describe('the addon in a pool worker', () => {
  it('can leave calls in flight when its file ends', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', { kind: 'delay', ms: 300 }, 10)

    for (let i = 0; i < 10; i += 1) client.sandboxes.list().catch(() => undefined)

    await expect(client.sandboxes.create()).resolves.toMatchObject({ state: 'running' })
  })
})
