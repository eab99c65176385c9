import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import {
  Leap0AbortError,
  Leap0AuthenticationError,
  Leap0Client,
  Leap0ConflictError,
  Leap0ConnectionError,
  Leap0Error,
  Leap0NotFoundError,
  Leap0PermissionError,
  Leap0RateLimitError,
  Leap0ServerError,
  Leap0TimeoutError,
  Leap0ValidationError,
} from '../index.js'
import { type Emulator, startEmulator } from './helpers/emulator'
import { clearFaults, programFault } from './helpers/faults'
import { closedPort } from './helpers/servers'

let emulator: Emulator
let client: Leap0Client

beforeAll(async () => {
  emulator = await startEmulator(['--faults', '--max-sandboxes', '1'])
  client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, maxRetries: 0 })
})

afterEach(async () => {
  await clearFaults(emulator)
})

afterAll(async () => {
  await client?.close()
  await emulator?.stop()
})


describe('errors', () => {
  it('are Error subclasses with a name, a code and the server answer', async () => {
    const error = await client.sandboxes.get('sbx-missing').catch((e: unknown) => e)

    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(Leap0Error)
    expect(error).toBeInstanceOf(Leap0NotFoundError)
    expect(error).toMatchObject({
      name: 'Leap0NotFoundError',
      code: 'NOT_FOUND',
      statusCode: 404,
      retryable: false,
      body: { message: expect.any(String) },
    })
    expect((error as Error).message).toMatch(/\(GET \/v1\/sandbox\/sbx-missing\/\)$/)
    expect((error as Error).stack).toContain('Leap0NotFoundError')
  })

  it('give 400 as Leap0ValidationError with the field list', async () => {
    const error = await client.sandboxes.create({ timeoutMin: 0 }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(Leap0ValidationError)
    expect(error).toMatchObject({
      code: 'VALIDATION_ERROR',
      statusCode: 400,
      errors: [{ field: 'timeout', error: expect.any(String) }],
    })
  })

  it('give 401 as Leap0AuthenticationError', async () => {
    const wrongKey = new Leap0Client({ apiKey: 'wrong', baseUrl: emulator.baseUrl })

    const listing = wrongKey.sandboxes.list()

    await expect(listing).rejects.toBeInstanceOf(Leap0AuthenticationError)
    await expect(listing).rejects.toMatchObject({ code: 'AUTHENTICATION_ERROR', statusCode: 401 })
    await wrongKey.close()
  })

  it('give 403 as Leap0PermissionError', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', {
      kind: 'status',
      status: 403,
      body: { message: 'forbidden for this key' },
    })

    const listing = client.sandboxes.list()

    await expect(listing).rejects.toBeInstanceOf(Leap0PermissionError)
    await expect(listing).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      statusCode: 403,
      message: 'forbidden for this key (GET /v1/sandboxes)',
    })
  })

  it('give 409 past the sandbox limit as Leap0ConflictError', async () => {
    const sandbox = await client.sandboxes.create()

    const another = client.sandboxes.create()

    await expect(another).rejects.toBeInstanceOf(Leap0ConflictError)
    await expect(another).rejects.toMatchObject({ code: 'CONFLICT', statusCode: 409 })
    expect(await emulator.state()).toMatchObject({ sandboxes: 1 })
    await sandbox.delete()
  })

  it('give 429 as Leap0RateLimitError with the delay asked for', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', {
      kind: 'status',
      status: 429,
      body: { message: 'slow down' },
      headers: { 'retry-after': '7' },
    })

    const listing = client.sandboxes.list()

    await expect(listing).rejects.toBeInstanceOf(Leap0RateLimitError)
    await expect(listing).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      statusCode: 429,
      retryAfter: 7,
      retryable: true,
    })
  })

  it('give 5xx as Leap0ServerError', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', {
      kind: 'status',
      status: 500,
      body: { message: 'boom' },
    })

    const listing = client.sandboxes.list()

    await expect(listing).rejects.toBeInstanceOf(Leap0ServerError)
    await expect(listing).rejects.toMatchObject({ code: 'SERVER_ERROR', statusCode: 500 })
  })

  it('give a call past its timeout as Leap0TimeoutError', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', { kind: 'delay', ms: 2_000 })

    const listing = client.sandboxes.list(undefined, { timeout: 0.2 })

    await expect(listing).rejects.toBeInstanceOf(Leap0TimeoutError)
    await expect(listing).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: 'timed out after 0.200s (GET /v1/sandboxes)',
    })
  })

  it('give a refused connection as Leap0ConnectionError with its cause', async () => {
    const port = await closedPort()
    const offline = new Leap0Client({
      apiKey: 'k',
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 0,
    })

    const error = await offline.sandboxes.list().catch((e: unknown) => e)

    expect(error).toBeInstanceOf(Leap0ConnectionError)
    expect(error).toMatchObject({ code: 'CONNECTION_ERROR', retryable: true })
    expect(String((error as Error).cause)).toMatch(/Connection refused/)
    await offline.close()
  })

  it('give an aborted call as an AbortError whose cause is the reason', async () => {
    const controller = new AbortController()
    const reason = new Error('user navigated away')
    controller.abort(reason)

    const error = await client.sandboxes.list(undefined, { signal: controller.signal }).catch(
      (e: unknown) => e,
    )

    expect(error).toBeInstanceOf(Leap0AbortError)
    expect(error).toBeInstanceOf(Leap0Error)
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORTED' })
    expect((error as Error).cause).toBe(reason)
  })

  it('can be built by hand, as a test double would', () => {
    const error = new Leap0NotFoundError('gone', { code: 'NOT_FOUND', statusCode: 404 })

    expect(error).toBeInstanceOf(Leap0Error)
    expect(error).toMatchObject({ name: 'Leap0NotFoundError', statusCode: 404, retryable: false })
  })

  it('built by hand take their class\'s code, and a validation error always has a list', () => {
    expect(new Leap0ValidationError('bad')).toMatchObject({
      code: 'VALIDATION_ERROR',
      errors: [],
    })
    expect(new Leap0NotFoundError('gone', null as never)).toMatchObject({ code: 'NOT_FOUND' })
    expect(new Leap0Error('plain')).toMatchObject({ code: 'LEAP0_ERROR', retryable: false })
    expect(new Leap0ValidationError('bad', { errors: null as never }).errors).toEqual([])
  })

  it('take nothing from a polluted Object.prototype', async () => {
    const proto = Object.prototype as Record<string, unknown>
    let error: unknown
    try {
      proto.errors = [{ field: 'x', error: 'injected' }]
      proto.retryAfter = 1e9
      proto.code = 'INJECTED'
      error = await client.sandboxes.get('sbx-unknown').catch((e: unknown) => e)
      expect(Object.hasOwn(new Leap0Error('plain'), 'errors')).toBe(false)
      expect(new Leap0Error('plain').code).toBe('LEAP0_ERROR')
    } finally {
      delete proto.errors
      delete proto.retryAfter
      delete proto.code
    }
    expect(error).toBeInstanceOf(Leap0NotFoundError)
    expect(Object.hasOwn(error as object, 'errors')).toBe(false)
    expect(Object.hasOwn(error as object, 'retryAfter')).toBe(false)
  })
})
