// Real calls from inside a vitest pool worker; see workers.spec.ts.

import { describe, expect, it } from 'vitest'

import { Leap0Error, Leap0NotFoundError } from '../../index.js'
import { useEmulatorClient } from '../helpers/emulator'

const fixture = useEmulatorClient()

describe('the addon in a pool worker', () => {
  it('makes real calls', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await sandbox.ssh.createAccess()

    await expect(sandbox.ssh.validateAccess(access)).resolves.toMatchObject({ valid: true })
    await expect(fixture.client.sandboxes.list()).resolves.toMatchObject({ totalItems: 1 })
  })

  it('rejects with its own error classes', async () => {
    const missing = fixture.client.sandboxes.get('sbx-missing')

    await expect(missing).rejects.toBeInstanceOf(Leap0NotFoundError)
    await expect(missing).rejects.toBeInstanceOf(Leap0Error)
  })
})
