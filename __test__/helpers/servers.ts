// Plain local servers for the specs: a port nothing listens on, and a counting proxy.

import { createServer as createHttpServer, request } from 'node:http'
import { createServer } from 'node:net'

/** A loopback port on which nothing listens. */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A plain HTTP proxy on `port` to `target`, counting the requests it forwards. */
export async function proxyTo(target: string, port: number) {
  const proxy = { requests: 0, close: () => new Promise((resolve) => server.close(resolve)) }
  const server = createHttpServer((incoming, outgoing) => {
    proxy.requests += 1
    const upstream = request(`${target}${incoming.url}`, {
      method: incoming.method,
      headers: incoming.headers,
    })
    upstream.on('response', (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    incoming.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return proxy
}

