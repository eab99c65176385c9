// HTTPS against a server whose certificate is not trusted: the call fails as a connection
// error that names the certificate problem, and the key never crosses that connection.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import util from 'node:util'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client, Leap0ConnectionError } from '../index.js'
import { eventually, settle } from './helpers/calls'
import { type Emulator, startEmulator } from './helpers/emulator'

const apiKey = `sk-leap0-SECRETKEY-${Math.random().toString(36).slice(2, 12)}`

let dir: string
let server: Server
let baseUrl: string
/** What the HTTPS server saw: handshakes that failed, and requests that got through. */
const seen = { handshakeErrors: 0, requests: 0 }

/** A self-signed certificate for 127.0.0.1 and localhost, made with openssl. */
function selfSigned(into: string) {
  const key = join(into, 'key.pem')
  const cert = join(into, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=leap0-test',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'extendedKeyUsage=serverAuth',
    ],
    { stdio: 'ignore' },
  )
  return { key: readFileSync(key), cert: readFileSync(cert) }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'leap0-tls-'))
  server = createServer(selfSigned(dir), (request, response) => {
    seen.requests += 1
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end('{"items": [], "total_items": 0}')
  })
  server.on('tlsClientError', () => (seen.handshakeErrors += 1))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  rmSync(dir, { recursive: true, force: true })
})

/** The error's message and its causes, one per line. */
function explain(error: unknown): string {
  const lines: string[] = []
  for (let e = error; e instanceof Error; e = e.cause) lines.push(e.message)
  return lines.join('\n')
}

describe('tls', () => {
  it('refuses a self-signed certificate with a connection error naming it', async () => {
    const client = new Leap0Client({ apiKey, baseUrl, maxRetries: 0 })
    const before = { ...seen }

    const { error, ms } = await settle(() => client.sandboxes.list())

    expect(error).toBeInstanceOf(Leap0ConnectionError)
    expect(error).toMatchObject({ code: 'CONNECTION_ERROR', message: /^could not connect/ })
    expect(explain(error)).toMatch(/certificate/i)
    expect(explain(error)).toMatch(/UnknownIssuer|self.signed|unknown issuer/i)
    expect(ms).toBeLessThan(2_000)
    // The handshake failed, so the request, and the key in it, never went out. The server
    // may hear of the failure a moment after the client gave up.
    await eventually(async () => seen.handshakeErrors > before.handshakeErrors, 'seen failing')
    expect(seen.handshakeErrors - before.handshakeErrors).toBe(1)
    expect(seen.requests).toBe(0)
    await client.close()
  })

  it('does not retry a certificate the client will refuse again', async () => {
    const client = new Leap0Client({ apiKey, baseUrl, maxRetries: 2 })
    const before = seen.handshakeErrors

    const { error, ms } = await settle(() => client.sandboxes.list())

    expect(error).toBeInstanceOf(Leap0ConnectionError)
    expect(error).toMatchObject({ retryable: false })
    expect(ms).toBeLessThan(3_000)
    await eventually(async () => seen.handshakeErrors > before, 'seen failing')
    // Long enough for a second attempt's handshake, had there been one, to be heard too.
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen.handshakeErrors - before).toBe(1)
    await client.close()
  })

  it('keeps the key out of the certificate error', async () => {
    const client = new Leap0Client({ apiKey, baseUrl, maxRetries: 0 })

    const { error } = await settle(() => client.ssh.createAccess('sbx-1'))

    const shown = [
      String(error),
      (error as Error).stack ?? '',
      explain(error),
      JSON.stringify(error),
      util.inspect(error, { depth: 10, showHidden: true }),
    ].join('\n')
    expect(shown).toMatch(/certificate/i)
    expect(shown).not.toContain(apiKey)
    expect(shown).not.toContain(apiKey.slice(-10))
    await client.close()
  })

  it('fails as a connection error when https meets a plain http server', async () => {
    let emulator: Emulator | undefined
    try {
      emulator = await startEmulator()
      const plain = emulator.baseUrl.replace(/^http:/, 'https:')
      const client = new Leap0Client({ apiKey, baseUrl: plain, maxRetries: 0 })

      const { error, ms } = await settle(() => client.sandboxes.list())

      expect(error).toBeInstanceOf(Leap0ConnectionError)
      expect(explain(error)).toMatch(/tls|ssl|handshake|corrupt|record/i)
      expect(ms).toBeLessThan(2_000)
      await client.close()
    } finally {
      await emulator?.stop()
    }
  })
})
