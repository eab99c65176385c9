// Small tools shared by the fault, cancellation and stress specs: timing a call, settling it
// without throwing, waiting for the emulator to catch up, and counting per-route requests.

import type { Emulator, RouteStats } from './emulator'

/** The emulator's stats keys, `METHOD route-template`, for each call of the SDK. */
export const ROUTES = {
  createSandbox: 'POST /v1/sandbox/',
  getSandbox: 'GET /v1/sandbox/{sandboxID}/',
  deleteSandbox: 'DELETE /v1/sandbox/{sandboxID}/',
  listSandboxes: 'GET /v1/sandboxes',
  createAccess: 'POST /v1/sandbox/{sandboxID}/ssh/access',
  deleteAccess: 'DELETE /v1/sandbox/{sandboxID}/ssh/{sshID}',
  validateAccess: 'POST /v1/sandbox/{sandboxID}/ssh/{sshID}/validate',
  regenerateAccess: 'POST /v1/sandbox/{sandboxID}/ssh/{sshID}/regen',
} as const

export type Route = (typeof ROUTES)[keyof typeof ROUTES]

/** How a call settled, and after how many milliseconds. */
export interface Settled<T> {
  value?: T
  error?: unknown
  ms: number
}

/** Runs `call`, never throwing: the value or the error, and the time it took. */
export async function settle<T>(call: () => Promise<T>): Promise<Settled<T>> {
  const start = performance.now()
  try {
    const value = await call()
    return { value, ms: performance.now() - start }
  } catch (error) {
    return { error, ms: performance.now() - start }
  }
}

/** Polls `check` until it holds, or fails after `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** What changed on one route between two stats snapshots. */
export function routeDelta(
  before: Record<string, RouteStats>,
  after: Record<string, RouteStats>,
  route: Route,
): RouteStats {
  const a = before[route]
  const b = after[route]
  return {
    received: b.received - a.received,
    applied: b.applied - a.applied,
    cancelled: b.cancelled - a.cancelled,
  }
}

/** The number of requests the emulator has received, on all routes together. */
export async function totalReceived(emulator: Emulator): Promise<number> {
  const stats = await emulator.stats()
  return Object.values(stats).reduce((sum, route) => sum + route.received, 0)
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
