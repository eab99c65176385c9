import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import util from 'node:util'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import {
  Leap0AuthenticationError,
  Leap0Client,
  Leap0Error,
  Leap0ValidationError,
  SandboxesClient,
  SandboxSshClient,
  SshClient,
} from '../index.js'
import { type Emulator, startEmulator } from './helpers/emulator'

let emulator: Emulator

beforeAll(async () => {
  emulator = await startEmulator()
})

afterAll(async () => {
  await emulator?.stop()
})

// process.env writes through to the real environment the addon reads, so it is restored key
// by key rather than replaced.
const savedEnv = { key: process.env.LEAP0_API_KEY, url: process.env.LEAP0_BASE_URL }
function restore(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name]
  else process.env[name] = value
}
afterEach(() => {
  restore('LEAP0_API_KEY', savedEnv.key)
  restore('LEAP0_BASE_URL', savedEnv.url)
})

/** A server that records the headers of each request and answers 404 with a JSON body. */
async function recordingServer() {
  const seen: IncomingHttpHeaders[] = []
  // Header names as sent, one per header line, to count repeats that `headers` folds.
  const rawSeen: string[][] = []
  const server = createServer((request, response) => {
    seen.push(request.headers)
    rawSeen.push(request.rawHeaders.filter((_, index) => index % 2 === 0))
    response.writeHead(404, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ message: 'nothing here' }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    seen,
    rawSeen,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  }
}

describe('Leap0Client', () => {
  it('reads the key and base URL from the environment', async () => {
    process.env.LEAP0_API_KEY = emulator.apiKey
    process.env.LEAP0_BASE_URL = emulator.baseUrl
    const client = new Leap0Client()

    const page = await client.sandboxes.list()

    expect(client.baseUrl).toBe(`${emulator.baseUrl}/`)
    expect(page.totalItems).toBe(0)
    await client.close()
  })

  it('prefers explicit options over the environment', async () => {
    process.env.LEAP0_API_KEY = 'not-the-key'
    process.env.LEAP0_BASE_URL = 'http://127.0.0.1:9'
    const client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })

    await expect(client.sandboxes.list()).resolves.toMatchObject({ totalItems: 0 })
    await client.close()
  })

  it('defaults to the public API', () => {
    delete process.env.LEAP0_BASE_URL
    const client = new Leap0Client({ apiKey: 'k' })

    expect(client.baseUrl).toBe('https://api.leap0.dev/')
  })

  it('refuses to build without an API key', () => {
    delete process.env.LEAP0_API_KEY

    const build = () => new Leap0Client({ baseUrl: emulator.baseUrl })

    expect(build).toThrow(Leap0AuthenticationError)
    expect(build).toThrow(expect.objectContaining({ code: 'MISSING_API_KEY' }))
    for (const apiKey of ['   ', 'Bearer ', 'bearer']) {
      expect(() => new Leap0Client({ apiKey }), apiKey).toThrow(
        expect.objectContaining({ name: 'Leap0AuthenticationError', code: 'MISSING_API_KEY' }),
      )
    }
  })

  it('refuses a header that frames the request as the one carrying the key', () => {
    for (const authHeader of ['host', 'Content-Length', 'transfer-encoding', 'content-type']) {
      const build = () => new Leap0Client({ apiKey: 'k', authHeader })
      expect(build).toThrow(Leap0ValidationError)
      expect(build).toThrow(`options.authHeader is set by the HTTP client and cannot carry the key`)
    }
  })

  it('reads options as their own properties, not a polluted prototype\'s', async () => {
    const server = await recordingServer()
    const proto = Object.prototype as Record<string, unknown>
    try {
      proto.baseUrl = server.baseUrl
      proto.apiKey = 'polluted-key'
      proto.headers = { 'x-polluted': 'yes' }
      const client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })

      expect(client.baseUrl).toBe(`${emulator.baseUrl}/`)
      await expect(client.sandboxes.list({}, {})).resolves.toMatchObject({ totalItems: 0 })
      process.env.LEAP0_API_KEY = 'env-key'
      process.env.LEAP0_BASE_URL = emulator.baseUrl
      expect(new Leap0Client({}).baseUrl).toBe(`${emulator.baseUrl}/`)
    } finally {
      delete proto.baseUrl
      delete proto.apiKey
      delete proto.headers
    }
    expect(server.seen).toHaveLength(0)
    await server.close()
  })

  it('reads options a class gives through getters of its own', async () => {
    class Settings {
      get apiKey() {
        return emulator.apiKey
      }
      get baseUrl() {
        return emulator.baseUrl
      }
    }
    const client = new Leap0Client(new Settings())

    expect(client.baseUrl).toBe(`${emulator.baseUrl}/`)
    await expect(client.sandboxes.list()).resolves.toMatchObject({ totalItems: 0 })
    await client.close()
  })

  it('hands out its call groups, which cannot be constructed by hand', async () => {
    const client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
    const sandbox = await client.sandboxes.create()

    expect(client.ssh).toBeInstanceOf(SshClient)
    expect(client.sandboxes).toBeInstanceOf(SandboxesClient)
    expect(sandbox.ssh).toBeInstanceOf(SandboxSshClient)
    for (const [Class, instead] of [
      [SshClient, 'client.ssh'],
      [SandboxesClient, 'client.sandboxes'],
      [SandboxSshClient, 'sandbox.ssh'],
    ] as const) {
      // @ts-expect-error -- declared with a `never` argument for this reason
      const build = () => new Class()
      expect(build).toThrow(Leap0ValidationError)
      expect(build).toThrow(`${Class.name} cannot be constructed; use ${instead}`)
    }
    await sandbox.delete()
    await client.close()
  })

  it('must be called with new', () => {
    // @ts-expect-error -- a class; the native one alone would wrap the global object
    const call = () => Leap0Client({ apiKey: 'k' })

    expect(call).toThrow(TypeError)
    expect(call).toThrow(/cannot be invoked without 'new'/)
    expect(new Leap0Client({ apiKey: 'k' })).toBeInstanceOf(Leap0Client)
  })

  it('refuses an array as options', () => {
    const build = () => new Leap0Client([] as never)

    expect(build).toThrow(Leap0ValidationError)
    expect(build).toThrow('options must be an object, got an array')
  })

  it('refuses a base URL that is not http or https', () => {
    for (const baseUrl of ['ftp://example.com', 'not a url', 'http://']) {
      const build = () => new Leap0Client({ apiKey: 'k', baseUrl })
      expect(build).toThrow(Leap0ValidationError)
      expect(build).toThrow(
        expect.objectContaining({
          code: 'INVALID_ARGUMENT',
          message: expect.stringMatching(/^options.baseUrl /),
        }),
      )
    }
  })

  it('refuses options of the wrong type, naming them', () => {
    const build = () => new Leap0Client({ apiKey: 'k', timeout: '5' as never })

    expect(build).toThrow(Leap0ValidationError)
    expect(build).toThrow('options.timeout must be a number, got string')
  })

  it('names options.timeout for a timeout under a nanosecond, as for 0', async () => {
    const build = () => new Leap0Client({ apiKey: 'k', timeout: 1e-10 })
    const client = new Leap0Client({ apiKey: 'k', baseUrl: emulator.baseUrl })

    expect(build).toThrow('options.timeout must be more than 0 seconds')
    await expect(client.sandboxes.list(undefined, { timeout: 1e-300 })).rejects.toMatchObject({
      message: 'options.timeout must be more than 0 seconds',
      errors: [{ field: 'options.timeout' }],
    })
  })

  it('sends the key as a Bearer token once, and identifies the SDK', async () => {
    const server = await recordingServer()
    const plain = new Leap0Client({ apiKey: 'k1', baseUrl: server.baseUrl, maxRetries: 0 })
    const prefixed = new Leap0Client({ apiKey: 'Bearer k2', baseUrl: server.baseUrl })

    await expect(plain.sandboxes.get('x')).rejects.toBeInstanceOf(Leap0Error)
    await expect(prefixed.sandboxes.get('x')).rejects.toBeInstanceOf(Leap0Error)

    expect(server.seen.map((h) => h.authorization)).toEqual(['Bearer k1', 'Bearer k2'])
    expect(server.seen[0]['user-agent']).toMatch(/^leap0-node\/\d+\.\d+\.\d+ leap0-rust\//)
    await server.close()
  })

  it('can send the key in another header, without the Bearer prefix', async () => {
    const client = new Leap0Client({
      apiKey: emulator.apiKey,
      baseUrl: emulator.baseUrl,
      authHeader: 'leap0-authorization',
      bearer: false,
    })

    await expect(client.sandboxes.list()).resolves.toMatchObject({ totalItems: 0 })
    await client.close()
  })

  it('sends per-call headers', async () => {
    const server = await recordingServer()
    const client = new Leap0Client({ apiKey: 'k', baseUrl: server.baseUrl })

    await expect(
      client.sandboxes.get('x', { headers: { 'x-request-id': 'abc' } }),
    ).rejects.toBeInstanceOf(Leap0Error)

    expect(server.seen[0]['x-request-id']).toBe('abc')
    await server.close()
  })

  it('refuses a per-call header given twice in different cases', async () => {
    const server = await recordingServer()
    const client = new Leap0Client({ apiKey: 'k', baseUrl: server.baseUrl })

    const listing = client.sandboxes.list(undefined, { headers: { 'X-Id': 'a', 'x-id': 'b' } })

    await expect(listing).rejects.toMatchObject({
      name: 'Leap0ValidationError',
      code: 'INVALID_ARGUMENT',
      message: 'options.headers.x-id is given twice (header names ignore case) (GET /v1/sandboxes)',
    })
    expect(server.seen).toHaveLength(0)
    await server.close()
  })

  it('lets a per-call header replace the one the SDK sets, not duplicate it', async () => {
    const server = await recordingServer()
    const client = new Leap0Client({ apiKey: 'k', baseUrl: server.baseUrl, maxRetries: 0 })

    const headers = { 'content-type': 'application/json; charset=utf-8', accept: '*/*' }
    await expect(client.sandboxes.create({}, { headers })).rejects.toBeInstanceOf(Leap0Error)

    expect(server.rawSeen[0].filter((name) => /^content-type$/i.test(name))).toHaveLength(1)
    expect(server.seen[0]['content-type']).toBe('application/json; charset=utf-8')
    expect(server.seen[0].accept).toBe('*/*')
    await server.close()
  })

  it('does not show the API key when inspected', () => {
    const client = new Leap0Client({ apiKey: 'sk-inspect-me-not', baseUrl: emulator.baseUrl })

    expect(util.inspect(client, { showHidden: true, depth: 5 })).not.toContain('inspect-me')
    expect(JSON.stringify(client)).not.toContain('inspect-me')
  })

  it('rejects every call after close, without sending it', async () => {
    const client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
    const before = await emulator.stats()

    await client.close()
    await client.close()

    expect(client.closed).toBe(true)
    const listing = client.sandboxes.list()
    await expect(listing).rejects.toBeInstanceOf(Leap0Error)
    await expect(listing).rejects.toMatchObject({
      code: 'CLIENT_CLOSED',
      message: 'client is closed (GET /v1/sandboxes)',
    })
    expect(await emulator.stats()).toEqual(before)
  })
})
