// Every fault the emulator can serve, against every kind of call: the call succeeds after the
// retries the README promises, or fails with the right class and code, promptly, and nothing
// that must happen once happens twice.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import {
  Leap0Client,
  Leap0ConnectionError,
  Leap0Error,
  Leap0RateLimitError,
  Leap0ServerError,
  Leap0TimeoutError,
  type RequestOptions,
} from '../index.js'
import { eventually, type Route, ROUTES, routeDelta, settle, sleep } from './helpers/calls'
import { type Emulator, type EmulatorState, startEmulator } from './helpers/emulator'
import { clearFaults, type Fault, programFault } from './helpers/faults'
import { closedPort, proxyTo } from './helpers/servers'

type Call = (options: RequestOptions) => Promise<unknown>

/** One kind of call: its route, and how to get one ready (its sandbox, its credential). */
interface Operation {
  title: string
  route: Route
  /** Whether the README allows repeating it after the server may have acted on it. */
  repeatable: boolean
  /** The status the contract documents for its success. */
  success: 200 | 201 | 204
  /** What one applied request of this call adds to the emulator's state. */
  effect?: keyof EmulatorState
  prepare(client: Leap0Client): Promise<Call>
}

async function sandboxWithAccess(client: Leap0Client) {
  const sandbox = await client.sandboxes.create()
  const access = await client.ssh.createAccess(sandbox)
  return { sandbox, access }
}

const operations: Operation[] = [
  {
    title: 'get',
    success: 200,
    route: ROUTES.getSandbox,
    repeatable: true,
    async prepare(client) {
      const sandbox = await client.sandboxes.create()
      return (options) => client.sandboxes.get(sandbox, options)
    },
  },
  {
    title: 'list',
    success: 200,
    route: ROUTES.listSandboxes,
    repeatable: true,
    prepare: async (client) => (options) => client.sandboxes.list({ pageSize: 5 }, options),
  },
  {
    title: 'delete',
    success: 204,
    route: ROUTES.deleteSandbox,
    repeatable: true,
    async prepare(client) {
      const sandbox = await client.sandboxes.create()
      return (options) => client.sandboxes.delete(sandbox, options)
    },
  },
  {
    title: 'delete access',
    success: 204,
    route: ROUTES.deleteAccess,
    repeatable: true,
    async prepare(client) {
      const { sandbox, access } = await sandboxWithAccess(client)
      return (options) => client.ssh.deleteAccess(sandbox, access, options)
    },
  },
  {
    title: 'validate',
    success: 200,
    route: ROUTES.validateAccess,
    repeatable: true,
    async prepare(client) {
      const { sandbox, access } = await sandboxWithAccess(client)
      return (options) => client.ssh.validateAccess(sandbox, access, options)
    },
  },
  {
    title: 'create sandbox',
    success: 201,
    route: ROUTES.createSandbox,
    repeatable: false,
    effect: 'sandboxes',
    prepare: async (client) => (options) => client.sandboxes.create({}, options),
  },
  {
    title: 'create access',
    success: 201,
    route: ROUTES.createAccess,
    repeatable: false,
    effect: 'accesses',
    async prepare(client) {
      const sandbox = await client.sandboxes.create()
      return (options) => client.ssh.createAccess(sandbox, options)
    },
  },
  {
    title: 'regenerate',
    success: 200,
    route: ROUTES.regenerateAccess,
    repeatable: false,
    async prepare(client) {
      const { sandbox, access } = await sandboxWithAccess(client)
      return (options) => client.ssh.regenerateAccess(sandbox, access, options)
    },
  },
]

/** What a call does under one fault: resolve, or reject with this class and code. */
interface Outcome {
  error?: { class: typeof Leap0Error; code: string; statusCode?: number }
  /** Requests the emulator received, and how many of them its handler carried out. */
  received: number
  applied: number
  /** The call gives up at its timeout rather than at once. */
  timesOut?: boolean
}

const retried = (applied = 1): Outcome => ({ received: 2, applied })
const fails = (
  errorClass: typeof Leap0Error,
  code: string,
  extra: { statusCode?: number; applied?: number } = {},
): Outcome => ({
  error: { class: errorClass, code, statusCode: extra.statusCode },
  received: 1,
  applied: extra.applied ?? 0,
})
const timesOut: Outcome = { ...fails(Leap0TimeoutError, 'TIMEOUT'), timesOut: true }
const invalid = fails(Leap0Error, 'INVALID_RESPONSE')
const tooLarge = fails(Leap0Error, 'RESPONSE_TOO_LARGE')
const applied = (outcome: Outcome): Outcome => ({ ...outcome, applied: 1 })

/** A status fault; `retryAfter` adds the header. */
function status(code: number, retryAfter?: number, body?: unknown): Fault {
  const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) }
  return { kind: 'status', status: code, body, headers }
}

/**
 * The status a call documents for success, with a body that is not what it documents. A 204
 * cannot carry a body: deletes get 200, a 2xx they do not document, as the emulator's own
 * malformed_json fault does.
 */
const documented =
  (body: unknown) =>
  (operation: Operation): Fault =>
    status(operation.success === 204 ? 200 : operation.success, undefined, body)

// Wrong for every model: a sandbox, a page, a validation and an access all need other types.
const wrongTypes = { id: 42, items: 'none', valid: 'yes', password: 7 }

// [title, fault, outcome for a call safe to repeat, outcome for a creating call]
type Row = [string, Fault | ((operation: Operation) => Fault), Outcome, Outcome]
const server = (code: number) => fails(Leap0ServerError, 'SERVER_ERROR', { statusCode: code })
const dropped = (applied: number) => fails(Leap0ConnectionError, 'CONNECTION_ERROR', { applied })

const rows: Row[] = [
  ['408', status(408), retried(), fails(Leap0Error, 'UNEXPECTED_STATUS', { statusCode: 408 })],
  ['429 with Retry-After: 0', status(429, 0), retried(), retried()],
  ['500', status(500), retried(), server(500)],
  ['502', status(502), retried(), server(502)],
  ['503 with Retry-After: 0', status(503, 0), retried(), retried()],
  ['503 without Retry-After', status(503), retried(), server(503)],
  ['504', status(504), retried(), server(504)],
  ['an html 502 from a proxy', { kind: 'html' }, retried(), server(502)],
  ['a delay past the timeout', { kind: 'delay', ms: 1_500 }, timesOut, timesOut],
  ['headers then a stalled body', { kind: 'stall_after_headers' }, timesOut, timesOut],
  ['headers then an empty body', { kind: 'stall_after_headers', ms: 50 }, invalid, invalid],
  ['a drop before the handler runs', { kind: 'drop_before_apply' }, retried(), dropped(0)],
  ['a drop after the handler ran', { kind: 'drop_after_apply' }, retried(2), dropped(1)],
  ['a truncated body', { kind: 'truncated_body' }, retried(2), dropped(1)],
  ['an oversized body', { kind: 'oversized_body' }, tooLarge, tooLarge],
  ['an oversized chunked body', { kind: 'oversized_body', chunked: true }, tooLarge, tooLarge],
  ['malformed json', { kind: 'malformed_json', apply: true }, applied(invalid), applied(invalid)],
  ['an empty success body', documented(''), invalid, invalid],
  ['a success body of the wrong types', documented(wrongTypes), invalid, invalid],
]

// A delete whose answer was lost is retried; the retry's 404 means the first one did it.
const deletes = new Set(['delete', 'delete access'])
const answerLost = new Set(['drop_after_apply', 'truncated_body'])
const deletedBefore = (name: string, fault: Fault) =>
  deletes.has(name) && answerLost.has(fault.kind)

/** An emulator with faults on, and a client that retries once, for one suite. */
function useEmulator() {
  const fixture = {} as { emulator: Emulator; client: Leap0Client }
  beforeAll(async () => {
    fixture.emulator = await startEmulator(['--faults', '--max-sandboxes', '10000'])
    fixture.client = new Leap0Client({
      apiKey: fixture.emulator.apiKey,
      baseUrl: fixture.emulator.baseUrl,
      maxRetries: 1,
      timeout: 10,
    })
  })
  afterAll(async () => {
    await fixture.client?.close()
    await fixture.emulator?.stop()
  })
  return fixture
}

async function check(
  { emulator, client }: { emulator: Emulator; client: Leap0Client },
  operation: Operation,
  fault: Fault,
  outcome: Outcome,
) {
  const call = await operation.prepare(client)
  const [method, path] = operation.route.split(' ')
  await programFault(emulator, method, path, fault)
  const stateBefore = await emulator.state()
  const before = await emulator.stats()

  const timeout = outcome.timesOut ? 0.3 : 10
  const result = await settle(() => call({ timeout }))

  if (outcome.timesOut) {
    // The emulator sees the hang-up of a delayed request; a stalled body was already answered.
    if (fault.kind === 'delay') {
      await eventually(
        async () => routeDelta(before, await emulator.stats(), operation.route).cancelled === 1,
        'counted as cancelled',
      )
    }
    expect(result.ms).toBeGreaterThanOrEqual(290)
  }
  expect(result.ms).toBeLessThan(outcome.timesOut ? 1_500 : 2_000)
  if (outcome.error) {
    expect(result.error).toBeInstanceOf(outcome.error.class)
    expect(result.error).toMatchObject({ code: outcome.error.code })
    if (outcome.error.statusCode !== undefined) {
      expect(result.error).toMatchObject({ statusCode: outcome.error.statusCode })
    }
    // A creating call that failed where it may have acted must not invite a blind retry.
    if (!operation.repeatable) {
      expect(result.error).toMatchObject({ retryable: false })
    }
  } else {
    expect(result.error).toBeUndefined()
  }
  const delta = routeDelta(before, await emulator.stats(), operation.route)
  expect({ received: delta.received, applied: delta.applied }).toEqual({
    received: outcome.received,
    applied: outcome.applied,
  })
  if (operation.effect) {
    const stateAfter = await emulator.state()
    expect(stateAfter[operation.effect] - stateBefore[operation.effect]).toBe(outcome.applied)
  }
}

// Each kind of call has its own emulator, so their rows run side by side; the rows of one
// kind run one after another, each counting what its own call did.
describe('faults', () => {
  describe.concurrent.each(operations)('on $title', (operation) => {
    const fixture = useEmulator()
    for (const [title, faultFor, ifRepeatable, ifCreating] of rows) {
      const fault = typeof faultFor === 'function' ? faultFor(operation) : faultFor
      let outcome = operation.repeatable ? ifRepeatable : ifCreating
      if (deletedBefore(operation.title, fault)) outcome = retried(1)
      it.sequential(`under ${title}`, () => check(fixture, operation, fault, outcome))
    }
  })
})

describe('retries', () => {
  const fixture = useEmulator()
  const listRoute = ROUTES.listSandboxes

  async function listingUnder(fault: Fault, times: number, options: RequestOptions) {
    await programFault(fixture.emulator, 'GET', '/v1/sandboxes', fault, times)
    const before = await fixture.emulator.stats()
    const result = await settle(() => fixture.client.sandboxes.list(undefined, options))
    const delta = routeDelta(before, await fixture.emulator.stats(), listRoute)
    await clearFaults(fixture.emulator)
    return { ...result, received: delta.received }
  }

  it('give up after maxRetries and reject with the last error', async () => {
    const result = await listingUnder(status(500), 5, { maxRetries: 2 })

    expect(result.error).toBeInstanceOf(Leap0ServerError)
    expect(result.received).toBe(3)
    expect(result.ms).toBeLessThan(3_000)
  })

  it('are not made when the call sets maxRetries to 0', async () => {
    const result = await listingUnder(status(503), 1, { maxRetries: 0 })

    expect(result.error).toMatchObject({ code: 'SERVER_ERROR', statusCode: 503 })
    expect(result.received).toBe(1)
  })

  it('wait the delay a Retry-After header asks for', async () => {
    const result = await listingUnder(status(429, 1), 1, {})

    expect(result.error).toBeUndefined()
    expect(result.received).toBe(2)
    expect(result.ms).toBeGreaterThanOrEqual(950)
    expect(result.ms).toBeLessThan(3_000)
  })

  it('are not waited for when the wait would outlast the timeout', async () => {
    const result = await listingUnder(status(429, 30), 1, { timeout: 5 })

    expect(result.error).toBeInstanceOf(Leap0RateLimitError)
    expect(result.error).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 30 })
    expect(result.received).toBe(1)
    expect(result.ms).toBeLessThan(1_000)
  })

  it('of a create after 503s with Retry-After create the sandbox once', async () => {
    const { emulator, client } = fixture
    await programFault(emulator, 'POST', '/v1/sandbox/', status(503, 0), 2)
    const stateBefore = await emulator.state()
    const before = await emulator.stats()

    const sandbox = await client.sandboxes.create(undefined, { maxRetries: 2 })

    const delta = routeDelta(before, await emulator.stats(), ROUTES.createSandbox)
    expect(delta).toMatchObject({ received: 3, applied: 1 })
    expect((await emulator.state()).sandboxes).toBe(stateBefore.sandboxes + 1)
    await expect(client.sandboxes.get(sandbox)).resolves.toMatchObject({ id: sandbox.id })
  })

  it.each([false, true])('allow an answer of exactly 10 MiB, not one byte more (chunked: %s)',
    async (chunked) => {
      const limit = 10 * 1024 * 1024
      const at = await listingUnder({ kind: 'oversized_body', bytes: limit, chunked }, 1, {})
      const past = await listingUnder({ kind: 'oversized_body', bytes: limit + 1, chunked }, 1, {})

      // Exactly at the limit it is read, and found not to be a page.
      expect(at.error).toMatchObject({ code: 'INVALID_RESPONSE' })
      expect(past.error).toMatchObject({ code: 'RESPONSE_TOO_LARGE', statusCode: 200 })
      expect(past.received).toBe(1)
    },
  )

  it('of a create whose connection was refused create the sandbox once', async () => {
    const { emulator } = fixture
    const port = await closedPort()
    const client = new Leap0Client({
      apiKey: emulator.apiKey,
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 4,
    })
    const stateBefore = await emulator.state()

    // Nothing listens at first: the first attempt is refused; then a proxy to the emulator
    // opens on that port, and a later attempt gets through.
    const creating = settle(() => client.sandboxes.create())
    await sleep(30)
    const proxy = await proxyTo(emulator.baseUrl, port)
    const result = await creating

    expect(result.error).toBeUndefined()
    expect(proxy.requests).toBe(1)
    expect((await emulator.state()).sandboxes).toBe(stateBefore.sandboxes + 1)
    await proxy.close()
    await client.close()
  })
})
