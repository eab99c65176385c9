// Cancelling calls through an AbortSignal, and closing the client with calls in flight: every
// call settles at once with the right error, sends nothing it need not, and leaves no listener
// behind.

import { getEventListeners } from 'node:events'

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'

import {
  Leap0AbortError,
  Leap0Client,
  Leap0Error,
  Leap0ValidationError,
  type RequestOptions,
  type Sandbox,
  type SshAccess,
} from '../index.js'
import { eventually, ROUTES, routeDelta, settle, sleep, totalReceived } from './helpers/calls'
import { type Emulator, startEmulator } from './helpers/emulator'
import { clearFaults, programFault } from './helpers/faults'
import { closedPort } from './helpers/servers'

let emulator: Emulator
let client: Leap0Client
let sandbox: Sandbox
let access: SshAccess

beforeAll(async () => {
  emulator = await startEmulator(['--faults'])
  client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
  sandbox = await client.sandboxes.create()
  access = await client.ssh.createAccess(sandbox)
})

afterEach(async () => {
  await clearFaults(emulator)
})

afterAll(async () => {
  await client?.close()
  await emulator?.stop()
})

/** One call of each kind, on `target`, with `options`; by default on the shared sandbox. */
function everyCall(
  target: Leap0Client,
  options: RequestOptions,
  on: { sandbox: Sandbox; access: SshAccess } = { sandbox, access },
): Record<string, () => Promise<unknown>> {
  const { sandbox, access } = on
  return {
    get: () => target.sandboxes.get(sandbox, options),
    list: () => target.sandboxes.list(undefined, options),
    create: () => target.sandboxes.create(undefined, options),
    createAccess: () => target.ssh.createAccess(sandbox, options),
    validate: () => target.ssh.validateAccess(sandbox, access, options),
    regenerate: () => target.ssh.regenerateAccess(sandbox, access, options),
    deleteAccess: () => target.ssh.deleteAccess(sandbox, access, options),
    delete: () => target.sandboxes.delete(sandbox, options),
  }
}

/** Collects process warnings while `body` runs. */
async function warningsDuring(body: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = []
  const onWarning = (warning: Error) => warnings.push(warning)
  process.on('warning', onWarning)
  try {
    await body()
    // Warnings are emitted on the next tick.
    await sleep(10)
  } finally {
    process.off('warning', onWarning)
  }
  return warnings
}

/**
 * An AbortSignal that is not an instance of this realm's class, as jsdom's or the
 * `abort-controller` polyfill's are: an EventTarget tagged `AbortSignal`.
 */
class PolyfillSignal extends EventTarget {
  aborted = false
  reason: unknown = undefined

  get [Symbol.toStringTag]() {
    return 'AbortSignal'
  }

  abort(reason: unknown) {
    this.aborted = true
    this.reason = reason
    this.dispatchEvent(new Event('abort'))
  }
}

function expectAbortError(error: unknown, reason: unknown) {
  expect(error).toBeInstanceOf(Leap0AbortError)
  expect(error).toBeInstanceOf(Leap0Error)
  expect(error).toMatchObject({ name: 'AbortError', code: 'ABORTED', retryable: false })
  expect((error as Error).cause).toBe(reason)
}

describe('cancellation', () => {
  it('rejects every call at once, sending nothing, if the signal already aborted', async () => {
    const reason = new Error('gave up before starting')
    const signal = AbortSignal.abort(reason)
    const sent = await totalReceived(emulator)
    const state = await emulator.state()

    for (const call of Object.values(everyCall(client, { signal }))) {
      const result = await settle(call)
      expectAbortError(result.error, reason)
      expect(result.ms).toBeLessThan(50)
    }

    expect(await totalReceived(emulator)).toBe(sent)
    expect(await emulator.state()).toEqual(state)
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
  })

  it('rejects a call in flight within a few ms and drops its request', async () => {
    await programFault(emulator, 'POST', '/v1/sandbox/', { kind: 'delay', ms: 2_000 })
    const controller = new AbortController()
    const reason = new Error('user navigated away')
    const before = await emulator.stats()
    const state = await emulator.state()

    const { signal } = controller
    const creating = settle(() => client.sandboxes.create(undefined, { signal }))
    await sleep(150)
    const abortedAt = performance.now()
    controller.abort(reason)
    const result = await creating

    expectAbortError(result.error, reason)
    expect(performance.now() - abortedAt).toBeLessThan(50)
    const cancelled = async () =>
      routeDelta(before, await emulator.stats(), ROUTES.createSandbox).cancelled === 1
    await eventually(cancelled, 'counted as cancelled')
    expect(routeDelta(before, await emulator.stats(), ROUTES.createSandbox)).toEqual({
      received: 1,
      applied: 0,
      cancelled: 1,
    })
    expect(await emulator.state()).toEqual(state)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('gives the DOMException of a plain abort() as the cause', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', { kind: 'delay', ms: 2_000 })
    const controller = new AbortController()

    const listing = settle(() => client.sandboxes.list(undefined, { signal: controller.signal }))
    await sleep(50)
    controller.abort()
    const { error } = await listing

    expectAbortError(error, controller.signal.reason)
    expect((error as Error).cause).toMatchObject({ name: 'AbortError' })
  })

  it('rejects at once when aborted while waiting to retry', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '5' },
    })
    const controller = new AbortController()
    const before = await emulator.stats()

    const listing = settle(() => client.sandboxes.list(undefined, { signal: controller.signal }))
    await sleep(150)
    const abortedAt = performance.now()
    controller.abort('stop')
    const { error } = await listing

    expectAbortError(error, 'stop')
    expect(performance.now() - abortedAt).toBeLessThan(50)
    expect(routeDelta(before, await emulator.stats(), ROUTES.listSandboxes).received).toBe(1)
  })

  it('rejects as aborted when the signal fires before the answer reaches JavaScript', async () => {
    const controller = new AbortController()

    const listing = settle(() => client.sandboxes.list(undefined, { signal: controller.signal }))
    // Keep the JavaScript thread busy while the answer arrives and waits to be delivered.
    const until = performance.now() + 150
    while (performance.now() < until);
    controller.abort('too late for the server, not for the caller')

    expectAbortError((await listing).error, 'too late for the server, not for the caller')
  })

  it('rejects as aborted when the signal fires in the tick the call failed', async () => {
    const offline = new Leap0Client({
      apiKey: 'k',
      baseUrl: `http://127.0.0.1:${await closedPort()}`,
      maxRetries: 0,
    })
    const controller = new AbortController()

    const listing = settle(() => offline.sandboxes.list(undefined, { signal: controller.signal }))
    const until = performance.now() + 50
    while (performance.now() < until);
    controller.abort('mine')

    expectAbortError((await listing).error, 'mine')
    await offline.close()
  })

  it('does nothing when the signal aborts after the call settled', async () => {
    const controller = new AbortController()

    const page = await client.sandboxes.list(undefined, { signal: controller.signal })
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
    controller.abort()
    await sleep(20)

    expect(page.totalItems).toBeGreaterThanOrEqual(1)
    await expect(client.sandboxes.get(sandbox)).resolves.toMatchObject({ id: sandbox.id })
  })

  it('lets one signal serve many calls in turn without piling up listeners', async () => {
    const controller = new AbortController()
    const { signal } = controller

    const warnings = await warningsDuring(async () => {
      for (let i = 0; i < 50; i += 1) {
        if (i % 2 === 0) await client.sandboxes.get(sandbox, { signal })
        else await client.sandboxes.list(undefined, { signal })
        expect(getEventListeners(signal, 'abort')).toHaveLength(0)
      }
      const missing = await settle(() => client.sandboxes.get('sbx-missing', { signal }))
      expect(missing.error).toMatchObject({ code: 'NOT_FOUND' })
      expect(getEventListeners(signal, 'abort')).toHaveLength(0)
    })

    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning')
  })

  it('lets one signal serve many concurrent calls and cancel them all', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', { kind: 'delay', ms: 2_000 }, 40)
    const controller = new AbortController()
    const { signal } = controller
    const reason = new Error('cancel the batch')

    const warnings = await warningsDuring(async () => {
      const calls = Array.from({ length: 40 }, () =>
        settle(() => client.sandboxes.list(undefined, { signal })),
      )
      await sleep(100)
      expect(getEventListeners(signal, 'abort').length).toBeLessThanOrEqual(1)
      controller.abort(reason)
      for (const { error } of await Promise.all(calls)) expectAbortError(error, reason)
    })

    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning')
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
  })

  it('accepts an AbortSignal of a polyfill or another realm', async () => {
    await programFault(emulator, 'GET', '/v1/sandboxes', { kind: 'delay', ms: 2_000 })
    const polyfill = new PolyfillSignal()
    const signal = polyfill as unknown as AbortSignal

    const listing = settle(() => client.sandboxes.list(undefined, { signal }))
    await sleep(50)
    polyfill.abort('from elsewhere')

    expectAbortError((await listing).error, 'from elsewhere')
  })

  it('refuses a signal whose members throw, rejecting rather than throwing', async () => {
    const hostile = new Proxy(new AbortController().signal, {
      get(target, key) {
        if (key === 'aborted') throw new Error('no peeking')
        return Reflect.get(target, key, target)
      },
    })

    const listing = client.sandboxes.list(undefined, { signal: hostile })

    await expect(listing).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'options.signal', error: expect.any(String) }],
    })
    await expect(client.sandboxes.list()).resolves.toMatchObject({ items: expect.any(Array) })
  })

  it.each([
    ['a string', 'abort'],
    ['a number', 1],
    ['a plain object that looks aborted', { aborted: true, reason: 'x' }],
    ['an EventTarget', new EventTarget()],
    ['an AbortController', new AbortController()],
  ])('refuses %s as the signal, sending nothing', async (_, signal) => {
    const sent = await totalReceived(emulator)

    const listing = client.sandboxes.list(undefined, { signal: signal as AbortSignal })

    await expect(listing).rejects.toBeInstanceOf(Leap0ValidationError)
    await expect(listing).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      errors: [{ field: 'options.signal', error: expect.any(String) }],
    })
    expect(await totalReceived(emulator)).toBe(sent)
  })
})

async function totalCancelled(): Promise<number> {
  const stats = await emulator.stats()
  return Object.values(stats).reduce((sum, route) => sum + route.cancelled, 0)
}

describe('close', () => {
  it('rejects every call in flight within 100 ms with CLIENT_CLOSED', async () => {
    const closing = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
    const own = await client.sandboxes.create()
    const ownAccess = await client.ssh.createAccess(own)
    for (const route of Object.values(ROUTES)) {
      const [method, path] = route.split(' ')
      await programFault(emulator, method, path, { kind: 'delay', ms: 3_000 })
    }
    const signal = new AbortController().signal
    const options = { signal, timeout: 10 }
    const before = await totalCancelled()
    const calls = Object.values(everyCall(closing, options, { sandbox: own, access: ownAccess }))
      .map(settle)

    await sleep(150)
    const closedAt = performance.now()
    await closing.close()
    const results = await Promise.all(calls)

    for (const { error } of results) {
      expect(error).toBeInstanceOf(Leap0Error)
      expect(error).toMatchObject({ name: 'Leap0Error', code: 'CLIENT_CLOSED' })
    }
    expect(performance.now() - closedAt).toBeLessThan(100)
    expect(getEventListeners(signal, 'abort')).toHaveLength(0)
    // Their connections were dropped: the emulator saw each request cancelled.
    await eventually(async () => (await totalCancelled()) - before === 8, 'all cancelled')
  })

  it('rejects a call whose answer arrived but had not reached JavaScript yet', async () => {
    const closing = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
    await closing.sandboxes.list()

    const listing = settle(() => closing.sandboxes.list())
    // Keep the JavaScript thread busy while the answer arrives and waits to be delivered.
    const until = performance.now() + 150
    while (performance.now() < until);
    await closing.close()

    expect((await listing).error).toMatchObject({ name: 'Leap0Error', code: 'CLIENT_CLOSED' })
  })

  it('rejects a call whose error answer arrived but had not reached JavaScript yet', async () => {
    const closing = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
    await closing.sandboxes.list()

    const creating = settle(() => closing.sandboxes.create({ vcpu: 99 }))
    const until = performance.now() + 150
    while (performance.now() < until);
    await closing.close()

    expect((await creating).error).toMatchObject({ code: 'CLIENT_CLOSED' })
  })

  it('can be called twice, and rejects later calls without sending them', async () => {
    const closing = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
    await closing.sandboxes.list()

    await closing.close()
    await expect(closing.close()).resolves.toBeUndefined()
    const sent = await totalReceived(emulator)

    expect(closing.closed).toBe(true)
    for (const call of Object.values(everyCall(closing, {}))) {
      const result = await settle(call)
      expect(result.error).toMatchObject({ code: 'CLIENT_CLOSED' })
      expect(result.ms).toBeLessThan(50)
    }
    expect(await totalReceived(emulator)).toBe(sent)
  })

  it('leaves other clients working', async () => {
    const closing = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })

    await closing.close()

    await expect(client.sandboxes.get(sandbox)).resolves.toMatchObject({ id: sandbox.id })
  })
})
