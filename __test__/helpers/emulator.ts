// A real emulator process per spec file, on free ports, with its own data directory.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterAll, beforeAll } from 'vitest'

import { Leap0Client } from '../../index.js'

// @ts-expect-error -- a plain ES module shared with the scripts, without declarations
import { emulatorBinary, readStartupLine } from '../../scripts/emulator.mjs'

export interface EmulatorState {
  sandboxes: number
  accesses: number
}

export interface RouteStats {
  received: number
  applied: number
  cancelled: number
}

export interface Emulator {
  baseUrl: string
  apiKey: string
  sshHost: string
  sshPort: number
  dataDir: string
  process: ChildProcess
  /** Everything the emulator wrote to stderr so far. */
  logs(): string
  /** Live sandboxes and credentials, from `/_emulator/state`. */
  state(): Promise<EmulatorState>
  /** Per-route counters, from `/_emulator/stats`. */
  stats(): Promise<Record<string, RouteStats>>
  /** A raw, authenticated request to the emulator. */
  request(method: string, path: string, body?: unknown): Promise<Response>
  stop(): Promise<void>
}

export async function startEmulator(
  flags: string[] = [],
  env: Record<string, string> = {},
): Promise<Emulator> {
  const dataDir = mkdtempSync(join(tmpdir(), 'leap0-test-'))
  const child = spawn(emulatorBinary(), ['--data-dir', dataDir, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
  })
  const info = await readStartupLine(child)
  const request = (method: string, path: string, body?: unknown) =>
    fetch(`${info.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${info.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  const json = async <T>(path: string): Promise<T> => {
    const response = await request('GET', path)
    if (!response.ok) throw new Error(`${path} answered ${response.status}`)
    return (await response.json()) as T
  }
  return {
    ...info,
    dataDir,
    process: child,
    logs: () => stderr,
    state: () => json<EmulatorState>('/_emulator/state'),
    stats: () => json<Record<string, RouteStats>>('/_emulator/stats'),
    request,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/**
 * An emulator and a client for it, started before a spec file's tests and stopped after
 * them. The fields are filled in by `beforeAll`.
 */
export function useEmulatorClient(flags: string[] = []): {
  emulator: Emulator
  client: Leap0Client
} {
  const fixture = {} as { emulator: Emulator; client: Leap0Client }
  beforeAll(async () => {
    fixture.emulator = await startEmulator(flags)
    fixture.client = new Leap0Client({
      apiKey: fixture.emulator.apiKey,
      baseUrl: fixture.emulator.baseUrl,
    })
  })
  afterAll(async () => {
    await fixture.client?.close()
    await fixture.emulator?.stop()
  })
  return fixture
}
