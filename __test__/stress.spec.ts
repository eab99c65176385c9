// Thousands of calls at once against one emulator, some aborted at random moments, the client
// closed half-way: every promise settles, every failure is a Leap0Error with an expected code,
// and the process and the emulator keep working.

import { getEventListeners } from 'node:events'
import { monitorEventLoopDelay } from 'node:perf_hooks'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client, Leap0Error, type Sandbox, type SshAccess } from '../index.js'
import { ROUTES, routeDelta, sleep } from './helpers/calls'
import { type Emulator, startEmulator } from './helpers/emulator'
import { programFault } from './helpers/faults'

const CALLS = 2_000
const DEADLINE_MS = 20_000

let emulator: Emulator
let sandboxes: Sandbox[]
let accesses: SshAccess[]

beforeAll(async () => {
  emulator = await startEmulator(['--faults', '--max-sandboxes', '100000'])
  const setup = newClient()
  sandboxes = await Promise.all(Array.from({ length: 8 }, () => setup.sandboxes.create()))
  accesses = await Promise.all(sandboxes.map((sandbox) => setup.ssh.createAccess(sandbox)))
  await setup.close()
})

afterAll(async () => {
  await emulator?.stop()
})

function newClient() {
  return new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl, timeout: 60 })
}

/** A random integer in [0, n). */
const random = (n: number) => Math.floor(Math.random() * n)

type Kind = 'get' | 'list' | 'validate' | 'create'
const KINDS: Kind[] = ['get', 'list', 'validate', 'create']

interface Launched {
  kind: Kind
  aborted: () => boolean
  signal: AbortSignal
  result: Promise<PromiseSettledResult<unknown>>
}

/**
 * Starts `count` calls of mixed kinds at once; about one in `abortOneIn` gets a signal that
 * aborts at a random moment within `abortWithinMs`.
 */
function launch(client: Leap0Client, count: number, abortOneIn: number, abortWithinMs: number) {
  return Array.from({ length: count }, (_, i): Launched => {
    const kind = KINDS[i % KINDS.length]
    const controller = new AbortController()
    const { signal } = controller
    let aborted = false
    if (random(abortOneIn) === 0) {
      setTimeout(() => {
        aborted = true
        controller.abort(new Error(`abort ${i}`))
      }, random(abortWithinMs))
    }
    const n = random(sandboxes.length)
    const call = {
      get: () => client.sandboxes.get(sandboxes[n], { signal }),
      list: () => client.sandboxes.list({ pageSize: 3 }, { signal }),
      validate: () => client.ssh.validateAccess(sandboxes[n], accesses[n], { signal }),
      create: () => client.sandboxes.create(undefined, { signal }),
    }[kind]
    const result = Promise.allSettled([call()]).then(([settled]) => settled)
    return { kind, aborted: () => aborted, signal, result }
  })
}

/** Every result, or a failure naming how many calls were still pending at the deadline. */
async function settleAll(calls: Launched[]) {
  let settled = 0
  const all = Promise.all(calls.map((c) => c.result.finally(() => (settled += 1))))
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${calls.length - settled} calls still pending after ${DEADLINE_MS} ms`))
    }, DEADLINE_MS)
  })
  try {
    return await Promise.race([all, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Each rejection is a Leap0Error whose code is one of `allowed`; counts per code. */
function tally(calls: Launched[], results: PromiseSettledResult<unknown>[], allowed: string[]) {
  const codes: Record<string, number> = {}
  results.forEach((result, i) => {
    let code = 'OK'
    if (result.status === 'rejected') {
      expect(result.reason).toBeInstanceOf(Leap0Error)
      code = (result.reason as Leap0Error).code
      expect(allowed).toContain(code)
      // Only a call whose signal fired may say it was aborted.
      if (code === 'ABORTED') expect(calls[i].aborted()).toBe(true)
    }
    codes[code] = (codes[code] ?? 0) + 1
    expect(getEventListeners(calls[i].signal, 'abort')).toHaveLength(0)
  })
  return codes
}

describe('stress', () => {
  it('settles 2,000 concurrent calls, some aborted, each with its answer', async () => {
    const client = newClient()
    const before = await emulator.stats()
    const state = await emulator.state()

    const calls = launch(client, CALLS, 5, 300)
    const results = await settleAll(calls)

    const codes = tally(calls, results, ['ABORTED'])
    expect(codes.OK).toBeGreaterThan(CALLS / 2)
    const shapes = {
      get: { id: expect.stringMatching(/^sbx-/) },
      list: { items: expect.any(Array) },
      validate: { valid: true },
      create: { id: expect.stringMatching(/^sbx-/) },
    }
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') expect(result.value).toMatchObject(shapes[calls[i].kind])
    })
    // Sandboxes are created once each: by the calls that resolved, and perhaps by aborted
    // ones whose request had already arrived, never by more.
    const creates = routeDelta(before, await emulator.stats(), ROUTES.createSandbox)
    const created = (await emulator.state()).sandboxes - state.sandboxes
    expect(created).toBe(creates.applied)
    expect(creates.received).toBeLessThanOrEqual(CALLS / KINDS.length)
    const resolvedCreates = calls.filter(
      (c, i) => c.kind === 'create' && results[i].status === 'fulfilled',
    ).length
    expect(created).toBeGreaterThanOrEqual(resolvedCreates)
    await client.close()
  })

  it('settles 2,000 concurrent calls when the client closes half-way', async () => {
    const client = newClient()
    // A quarter of the calls are slow, so that some are surely in flight at the close.
    for (const route of [ROUTES.listSandboxes, ROUTES.getSandbox]) {
      const [method, path] = route.split(' ')
      await programFault(emulator, method, path, { kind: 'delay', ms: 1_000 }, CALLS / 8)
    }

    const calls = launch(client, CALLS, 4, 400)
    await sleep(150)
    const closing = client.close()
    const results = await settleAll(calls)
    await closing

    const codes = tally(calls, results, ['ABORTED', 'CLIENT_CLOSED'])
    expect(codes.CLIENT_CLOSED).toBeGreaterThan(0)
    await expect(client.sandboxes.list()).rejects.toMatchObject({ code: 'CLIENT_CLOSED' })
  })

  it('leaves the process and the emulator healthy', async () => {
    const delay = monitorEventLoopDelay({ resolution: 10 })
    delay.enable()
    const client = newClient()

    const results = await settleAll(launch(client, 200, 1_000_000, 1))

    delay.disable()
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true)
    // The event loop was never blocked for long while the calls ran.
    expect(delay.max / 1e6).toBeLessThan(500)
    expect(emulator.process.exitCode).toBeNull()
    await client.close()
  })
})
