// Record arguments (`headers`, `envVars`, `injectHeaders`): only the caller's own keys are
// sent, never ones inherited from a polluted `Object.prototype`, and an array, a Map or a
// Headers, whose entries are not its properties, is refused instead of sent half-read.

import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client, Leap0ValidationError } from '../index.js'

interface Seen {
  headers: IncomingHttpHeaders
  body: string
}

const seen: Seen[] = []
const server = createServer((request, response) => {
  let body = ''
  request.on('data', (chunk) => (body += chunk))
  request.on('end', () => {
    seen.push({ headers: request.headers, body })
    response.writeHead(404, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ message: 'nothing here' }))
  })
})
let client: Leap0Client

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  client = new Leap0Client({ apiKey: 'k', baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 })
})

afterAll(async () => {
  await client?.close()
  await new Promise((resolve) => server.close(resolve))
})

const prototype = Object.prototype as Record<string, unknown>
afterEach(() => {
  delete prototype.polluted
  seen.length = 0
})

describe('record arguments', () => {
  it('send only their own keys, whatever Object.prototype carries', async () => {
    prototype.polluted = 'from-the-prototype'
    const transforms = [{ domain: 'a.example', injectHeaders: { 'x-b': '1' } }]
    const policy = { mode: 'custom' as const, transforms }

    await expect(client.sandboxes.get('x', { headers: { 'x-own': '1' } })).rejects.toThrow()
    await expect(
      client.sandboxes.create({ envVars: { OWN: '1' }, networkPolicy: policy }, { headers: {} }),
    ).rejects.toThrow()

    expect(seen).toHaveLength(2)
    expect(seen[0].headers['x-own']).toBe('1')
    // `headers.polluted` would read the polluted prototype itself: own keys only.
    expect(seen.map((s) => Object.hasOwn(s.headers, 'polluted'))).toEqual([false, false])
    const sent = JSON.parse(seen[1].body)
    expect(sent.env_vars).toEqual({ OWN: '1' })
    expect(sent.network_policy.transforms[0].inject_headers).toEqual({ 'x-b': '1' })
    expect(seen[1].body).not.toContain('from-the-prototype')
  })

  it('still accept an object without a prototype', async () => {
    const headers = Object.assign(Object.create(null), { 'x-own': '2' })

    await expect(client.sandboxes.get('x', { headers })).rejects.toThrow()

    expect(seen[0].headers['x-own']).toBe('2')
  })

  it.each([
    ['an array', ['v']],
    ['a Map', new Map([['x-a', 'v']])],
    ['a Headers', new Headers({ 'x-a': 'v' })],
  ])('refuse %s, sending nothing', async (_, headers) => {
    const call = client.sandboxes.get('x', { headers: headers as never })

    await expect(call).rejects.toBeInstanceOf(Leap0ValidationError)
    await expect(call).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'options.headers' }],
    })
    const envVars = client.sandboxes.create({ envVars: headers as never })
    await expect(envVars).rejects.toMatchObject({ errors: [{ field: 'params.envVars' }] })
    expect(seen).toHaveLength(0)
  })
})
