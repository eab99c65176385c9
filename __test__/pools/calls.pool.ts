// Real calls from inside a vitest pool worker; see workers.spec.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client, Leap0Error, Leap0NotFoundError } from '../../index.js'
import { type Emulator, startEmulator } from '../helpers/emulator'

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

describe('the addon in a pool worker', () => {
  it('makes real calls', async () => {
    const sandbox = await client.sandboxes.create()
    const access = await sandbox.ssh.createAccess()

    await expect(sandbox.ssh.validateAccess(access)).resolves.toMatchObject({ valid: true })
    await expect(client.sandboxes.list()).resolves.toMatchObject({ totalItems: 1 })
  })

  it('rejects with its own error classes', async () => {
    const missing = client.sandboxes.get('sbx-missing')

    await expect(missing).rejects.toBeInstanceOf(Leap0NotFoundError)
    await expect(missing).rejects.toBeInstanceOf(Leap0Error)
  })
})
