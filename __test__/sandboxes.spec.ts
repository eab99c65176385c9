import { describe, expect, it } from 'vitest'

import {
  Leap0NotFoundError,
  Leap0ValidationError,
  type Sandbox,
} from '../index.js'
import { useEmulatorClient } from './helpers/emulator'

const fixture = useEmulatorClient()

describe('sandboxes', () => {
  it('creates a sandbox with the documented defaults', async () => {
    const sandbox = await fixture.client.sandboxes.create()

    expect(sandbox).toEqual({
      id: expect.stringMatching(/^sbx-/),
      templateId: 'system/debian:bookworm',
      state: 'running',
      vcpu: 1,
      memoryMib: 1024,
      diskMib: expect.any(Number),
      timeoutSec: 300,
      autoPause: false,
      mounts: [],
      createdAt: expect.any(String),
    })
    expect(Number.isNaN(Date.parse(sandbox.createdAt))).toBe(false)
    await sandbox.delete()
  })

  it('sends params in wire units and reads them back', async () => {
    const sandbox = await fixture.client.sandboxes.create({
      templateName: 'my-template',
      vcpu: 2,
      memoryMib: 2048,
      timeoutMin: 10,
      autoPause: true,
      envVars: { GREETING: 'hello' },
      networkPolicy: { mode: 'custom', allowedDomains: ['example.com'] },
    })

    expect(sandbox).toMatchObject({
      templateId: 'my-template',
      vcpu: 2,
      memoryMib: 2048,
      timeoutSec: 600,
      autoPause: true,
      networkPolicy: { mode: 'custom', allowedDomains: ['example.com'] },
    })
    await sandbox.delete()
  })

  it('keeps the bound calls out of the data', async () => {
    const sandbox = await fixture.client.sandboxes.create()

    expect(Object.keys(sandbox)).not.toContain('ssh')
    expect(Object.keys(sandbox)).not.toContain('delete')
    expect(JSON.parse(JSON.stringify(sandbox))).toEqual({ ...sandbox })
    expect(typeof sandbox.delete).toBe('function')
    await sandbox.delete()
  })

  it('gets a sandbox by id or by any object with an id', async () => {
    const created = await fixture.client.sandboxes.create()

    const byId = await fixture.client.sandboxes.get(created.id)
    const byObject = await fixture.client.sandboxes.get({ id: created.id })

    expect({ ...byId }).toEqual({ ...created })
    expect({ ...byObject }).toEqual({ ...created })
    await created.delete()
  })

  it('lists sandboxes a page at a time', async () => {
    const created: Sandbox[] = []
    for (let i = 0; i < 3; i += 1) created.push(await fixture.client.sandboxes.create())

    const page = await fixture.client.sandboxes.list({ pageSize: 2, orderBy: 'asc' })
    const next = await fixture.client.sandboxes.list({ pageSize: 2, page: 2, orderBy: 'asc' })

    expect(page.totalItems).toBe(3)
    expect(page.items.map((s) => s.id)).toEqual(created.slice(0, 2).map((s) => s.id))
    expect(next.items.map((s) => s.id)).toEqual([created[2].id])
    expect(page.items[0]).toMatchObject({ templateId: 'system/debian:bookworm', state: 'running' })
    for (const sandbox of created) await sandbox.delete()
  })

  it('deletes a sandbox, after which it is not found', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    await fixture.client.ssh.createAccess(sandbox)

    await expect(fixture.client.sandboxes.delete(sandbox)).resolves.toBeUndefined()

    const getting = fixture.client.sandboxes.get(sandbox.id)
    await expect(getting).rejects.toBeInstanceOf(Leap0NotFoundError)
    expect(await fixture.emulator.state()).toEqual({ sandboxes: 0, accesses: 0 })
  })

  it('passes the service validation errors through with their fields', async () => {
    const creating = fixture.client.sandboxes.create({ vcpu: 99, memoryMib: 1001 })

    await expect(creating).rejects.toBeInstanceOf(Leap0ValidationError)
    await expect(creating).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      statusCode: 400,
      errors: [
        { field: 'vcpu', error: expect.any(String) },
        { field: 'memory', error: expect.any(String) },
      ],
    })
    expect(await fixture.emulator.state()).toMatchObject({ sandboxes: 0 })
  })

  it('refuses an empty sandbox id before sending anything', async () => {
    const before = await fixture.emulator.stats()

    const getting = fixture.client.sandboxes.get('')

    await expect(getting).rejects.toBeInstanceOf(Leap0ValidationError)
    await expect(getting).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'sandbox must not be empty',
    })
    expect(await fixture.emulator.stats()).toEqual(before)
  })

  it('refuses an id or a filter too long for a URL, without trying again', async () => {
    const before = await fixture.emulator.stats()
    const long = 'x'.repeat(70_000)

    const started = performance.now()
    const getting = fixture.client.sandboxes.get(long, { maxRetries: 5 })
    const listing = fixture.client.sandboxes.list({ state: long }, { maxRetries: 5 })

    await expect(getting).rejects.toMatchObject({
      name: 'Leap0ValidationError',
      code: 'INVALID_ARGUMENT',
      retryable: false,
      message: 'sandbox is longer than 1024 bytes',
    })
    await expect(listing).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'params.state', error: 'is longer than 1024 bytes' }],
    })
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(await fixture.emulator.stats()).toEqual(before)
  })

  it('refuses an env var name with a lone surrogate rather than sending another name', async () => {
    const before = await fixture.emulator.stats()

    const creating = fixture.client.sandboxes.create({ envVars: { 'TOKEN\ud800': 'x' } })

    await expect(creating).rejects.toMatchObject({
      name: 'Leap0ValidationError',
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'params.envVars', error: expect.stringMatching(/lone surrogate/) }],
    })
    expect(await fixture.emulator.stats()).toEqual(before)
  })

  it('sends an id with a slash as one path segment, so it names no other path', async () => {
    const sandbox = await fixture.client.sandboxes.create()
    const before = await fixture.emulator.state()

    const deleting = fixture.client.sandboxes.delete(`../${sandbox.id}`)

    await expect(deleting).rejects.toBeInstanceOf(Leap0NotFoundError)
    await expect(deleting).rejects.toMatchObject({ code: 'NOT_FOUND', statusCode: 404 })
    expect(await fixture.emulator.state()).toEqual(before)
    await sandbox.delete()
  })

  it('refuses a sandbox reference that is neither an id nor an object with an id', async () => {
    for (const bad of [42, null, {}, { id: 7 }]) {
      const getting = fixture.client.sandboxes.get(bad as never)
      await expect(getting).rejects.toMatchObject({
        name: 'Leap0ValidationError',
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/^sandbox must be/),
      })
    }
  })
})
