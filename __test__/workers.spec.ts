// The addon in worker threads: it loads in each, works in all of them at once next to the
// main thread, survives a worker terminated with calls in flight, and runs under vitest's
// `threads` and `forks` pools.

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'

import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { Leap0Client, Leap0NotFoundError } from '../index.js'
import { ROUTES, sleep } from './helpers/calls'
import { type Emulator, startEmulator } from './helpers/emulator'
import { clearFaults, programFault } from './helpers/faults'

const root = join(__dirname, '..')

let emulator: Emulator
let client: Leap0Client

beforeAll(async () => {
  emulator = await startEmulator(['--faults'])
  client = new Leap0Client({ apiKey: emulator.apiKey, baseUrl: emulator.baseUrl })
})

afterAll(async () => {
  await client?.close()
  await emulator?.stop()
})

interface WorkerResult {
  sandboxId: string
  valid: boolean
  listed: boolean
  notFound: boolean
  code: string
}

function startWorker(task: 'calls' | 'hang' | 'env', count = 0, env?: NodeJS.ProcessEnv) {
  return new Worker(join(__dirname, 'helpers', 'worker.cjs'), {
    env,
    workerData: {
      entry: join(root, 'index.js'),
      apiKey: emulator.apiKey,
      baseUrl: emulator.baseUrl,
      task,
      count,
    },
  })
}

/** The first message of `worker`; fails if it errors or exits first. */
async function firstMessage<T>(worker: Worker): Promise<T> {
  const [message] = (await Promise.race([
    once(worker, 'message'),
    once(worker, 'exit').then(([code]) => {
      throw new Error(`worker exited with ${code} before answering`)
    }),
  ])) as [T]
  return message
}

/** Runs vitest on the specs of `__test__/pools` in a child process, with the given pool. */
async function vitestWithPool(pool: 'threads' | 'forks') {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('VITEST')),
  )
  const child = spawn(
    process.execPath,
    [
      join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--config',
      join(__dirname, 'pools', 'vitest.config.mts'),
      `--pool=${pool}`,
      '--reporter=verbose',
    ],
    { cwd: root, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const [code, signal] = await once(child, 'exit')
  return { code, signal, output }
}

describe('workers', () => {
  it('load the addon and make real calls, several at once beside the main thread', async () => {
    const before = await emulator.state()
    const workers = Array.from({ length: 4 }, () => startWorker('calls'))
    const exits = workers.map((worker) => once(worker, 'exit'))

    const [results, mainPage] = await Promise.all([
      Promise.all(workers.map((w) => firstMessage<{ result?: WorkerResult }>(w))),
      client.sandboxes.list(),
    ])

    for (const { result } of results) {
      expect(result).toEqual({
        sandboxId: expect.stringMatching(/^sbx-/),
        valid: true,
        listed: true,
        notFound: true,
        code: 'NOT_FOUND',
      })
    }
    const ids = new Set(results.map(({ result }) => result?.sandboxId))
    expect(ids.size).toBe(4)
    expect((await emulator.state()).sandboxes).toBe(before.sandboxes + 4)
    expect(mainPage.totalItems).toBeGreaterThanOrEqual(0)
    expect(await Promise.all(exits)).toEqual(workers.map(() => [0]))
    // The main thread's classes are its own and still work after the workers are gone.
    await expect(client.sandboxes.get('sbx-missing')).rejects.toBeInstanceOf(Leap0NotFoundError)
  })

  it('survive a worker terminated while its calls are in flight', async () => {
    const count = 20
    const [method, path] = ROUTES.listSandboxes.split(' ')
    await programFault(emulator, method, path, { kind: 'delay', ms: 400 }, count)
    const worker = startWorker('hang', count)

    expect(await firstMessage<{ started: number }>(worker)).toEqual({ started: count })
    await sleep(100)
    const exitCode = await worker.terminate()
    // The requests answer after the worker is gone; the process must not notice.
    await sleep(600)

    expect(exitCode).toBe(1)
    await expect(client.sandboxes.list()).resolves.toMatchObject({ items: expect.any(Array) })
    await clearFaults(emulator)
    const second = startWorker('calls')
    expect(await firstMessage<{ result?: WorkerResult }>(second)).toMatchObject({
      result: { valid: true, notFound: true },
    })
  })

  it('survive a worker terminated right as its calls settle', async () => {
    // Terminated a little later each round, so some rounds end as answers arrive.
    for (let round = 0; round < 8; round += 1) {
      const worker = startWorker('hang', 20)
      await firstMessage(worker)
      await sleep(round * 2)
      await worker.terminate()
    }

    await expect(client.sandboxes.list()).resolves.toMatchObject({ items: expect.any(Array) })
  })

  it('read LEAP0_API_KEY and LEAP0_BASE_URL from their own environment', async () => {
    const own = { LEAP0_API_KEY: emulator.apiKey, LEAP0_BASE_URL: emulator.baseUrl }
    const env: NodeJS.ProcessEnv = { ...process.env, ...own }
    const worker = startWorker('env', 0, env)

    const message = await firstMessage<{ result?: unknown; error?: string }>(worker)

    expect(message).toEqual({ result: { totalItems: expect.any(Number) } })
    expect(process.env.LEAP0_API_KEY).not.toBe(emulator.apiKey)
  })

  it.each(['threads', 'forks'] as const)('run the addon under vitest pool %s', async (pool) => {
    const { code, signal, output } = await vitestWithPool(pool)

    expect({ code, signal }, output).toEqual({ code: 0, signal: null })
    expect(output).toMatch(/Tests\s+3 passed \(3\)/)
  })
})
