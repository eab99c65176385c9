import { describe, expect, it } from 'vitest'

import { Leap0NotFoundError, Leap0ValidationError } from '../index.js'
import { useEmulatorClient } from './helpers/emulator'

const fixture = useEmulatorClient()

describe('ssh', () => {
  it('creates access whose command names the emulator gateway and the access id', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)

    expect(access.sandboxId).toBe(sandbox.id)
    expect(access.sshCommand).toBe(`ssh -p ${fixture.emulator.sshPort} ${access.id}@127.0.0.1`)
    expect(access.password.length).toBeGreaterThanOrEqual(24)
    expect(Date.parse(access.expiresAt)).toBeGreaterThan(Date.now() + 59 * 60 * 1000)
    expect(access.createdAt).toBe(access.updatedAt)
    expect(await fixture.emulator.state()).toMatchObject({ accesses: 1 })
    await sandbox.delete()
  })

  it('validates the right password and refuses a wrong one', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)

    const right = await fixture.client.ssh.validateAccess(sandbox, {
      id: access.id,
      password: access.password,
    })
    const wrong = await fixture.client.ssh.validateAccess(sandbox, {
      id: access.id,
      password: `${access.password}x`,
    })

    expect(right).toEqual({ valid: true, sandboxId: sandbox.id })
    expect(wrong).toEqual({ valid: false, sandboxId: sandbox.id })
    await sandbox.delete()
  })

  it('regenerates a new password for the same id and invalidates the old one', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)

    const regenerated = await fixture.client.ssh.regenerateAccess(sandbox, { id: access.id })

    expect(regenerated.id).toBe(access.id)
    expect(regenerated.password).not.toBe(access.password)
    expect(regenerated.createdAt).toBe(access.createdAt)
    expect(Date.parse(regenerated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(access.updatedAt))
    const old = { id: access.id, password: access.password }
    const fresh = { id: access.id, password: regenerated.password }
    expect((await fixture.client.ssh.validateAccess(sandbox, old)).valid).toBe(false)
    expect((await fixture.client.ssh.validateAccess(sandbox, fresh)).valid).toBe(true)
    await sandbox.delete()
  })

  it('deletes access, after which validating it is not found', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)

    const deleting = fixture.client.ssh.deleteAccess(sandbox, { id: access.id })
    await expect(deleting).resolves.toBeUndefined()

    const validating = fixture.client.ssh.validateAccess(sandbox, {
      id: access.id,
      password: access.password,
    })
    await expect(validating).rejects.toBeInstanceOf(Leap0NotFoundError)
    await expect(validating).rejects.toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    expect(await fixture.emulator.state()).toMatchObject({ accesses: 0 })
    await sandbox.delete()
  })

  it('offers the same calls bound to a sandbox', async () => {
    const sandbox = await fixture.client.sandboxes.create()

    const access = await sandbox.ssh.createAccess()
    const validation = await sandbox.ssh.validateAccess({
      id: access.id,
      password: access.password,
    })
    const regenerated = await sandbox.ssh.regenerateAccess({ id: access.id })
    await sandbox.ssh.deleteAccess(regenerated)

    expect(sandbox.ssh.sandboxId).toBe(sandbox.id)
    expect(access.sandboxId).toBe(sandbox.id)
    expect(validation.valid).toBe(true)
    await expect(sandbox.ssh.deleteAccess({ id: access.id })).rejects.toBeInstanceOf(
      Leap0NotFoundError,
    )
    await sandbox.delete()
  })

  it('keeps a credential to the sandbox it was issued for', async () => {
    const first = await fixture.client.sandboxes.create()
    const second = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(first)

    const elsewhere = fixture.client.ssh.validateAccess(second, {
      id: access.id,
      password: access.password,
    })

    await expect(elsewhere).rejects.toBeInstanceOf(Leap0NotFoundError)
    await first.delete()
    await second.delete()
  })

  it('refuses a missing password before sending anything', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)
    const before = await fixture.emulator.stats()

    const call = fixture.client.ssh.validateAccess(sandbox, { id: access.id } as never)

    await expect(call).rejects.toBeInstanceOf(Leap0ValidationError)
    await expect(call).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'credential.password is required',
      errors: [{ field: 'credential.password', error: 'is required' }],
    })
    expect(await fixture.emulator.stats()).toEqual(before)
    await sandbox.delete()
  })

  it('refuses an empty or overlong credential id, naming it as the caller wrote it', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const before = await fixture.emulator.stats()

    const deleting = fixture.client.ssh.deleteAccess(sandbox, { id: '' })
    const validating = sandbox.ssh.validateAccess({ id: 'x'.repeat(2_000), password: 'pw' })

    await expect(deleting).rejects.toMatchObject({
      name: 'Leap0ValidationError',
      message: 'access.id must not be empty',
    })
    await expect(validating).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'credential.id', error: 'is longer than 1024 bytes' }],
    })
    expect(await fixture.emulator.stats()).toEqual(before)
    await sandbox.delete()
  })

  it('refuses a number where a string belongs, without echoing it', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)
    const before = await fixture.emulator.stats()

    const call = fixture.client.ssh.validateAccess(sandbox, {
      id: access.id,
      password: 123456789 as never,
    })

    await expect(call).rejects.toMatchObject({
      name: 'Leap0ValidationError',
      code: 'INVALID_ARGUMENT',
      message: 'credential.password must be a string, got number',
    })
    await expect(call).rejects.not.toMatchObject({ message: expect.stringContaining('123') })
    expect(await fixture.emulator.stats()).toEqual(before)
    await sandbox.delete()
  })

  it('refuses a password with a lone surrogate rather than sending another one', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const access = await fixture.client.ssh.createAccess(sandbox)
    const before = await fixture.emulator.stats()

    const call = fixture.client.ssh.validateAccess(sandbox, {
      id: access.id,
      password: `${access.password}\ud800`,
    })

    await expect(call).rejects.toMatchObject({
      name: 'Leap0ValidationError',
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'credential.password', error: expect.stringMatching(/lone surrogate/) }],
    })
    expect(await fixture.emulator.stats()).toEqual(before)
    await sandbox.delete()
  })
})
