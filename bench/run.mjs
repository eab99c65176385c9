#!/usr/bin/env node
// Measures the SDK against plain `fetch` on the same emulator, side by side in one run, and
// prints the ratios. Targets: the SDK's throughput at least half of fetch's, sequential and
// concurrent, and its memory growth over many calls no worse than fetch's plus 16 MiB.
//
//   npm run bench            (after npm install; LEAP0_BENCH_CALLS scales the run)

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { emulatorBinary, readStartupLine } from '../scripts/emulator.mjs'

const require = createRequire(import.meta.url)
const { Leap0Client } = require('../index.js')

const CALLS = Number(process.env.LEAP0_BENCH_CALLS ?? 3000)
const CONCURRENCY = 32

const dataDir = mkdtempSync(join(tmpdir(), 'leap0-bench-'))
const emulator = spawn(emulatorBinary(), ['--data-dir', dataDir], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const info = await readStartupLine(emulator)

const client = new Leap0Client({ apiKey: info.apiKey, baseUrl: info.baseUrl })
const sandbox = await client.sandboxes.create()
const url = `${info.baseUrl}/v1/sandbox/${sandbox.id}/`
const headers = { authorization: `Bearer ${info.apiKey}`, accept: 'application/json' }

const viaSdk = () => client.sandboxes.get(sandbox.id)
const viaFetch = async () => {
  const response = await fetch(url, { headers })
  if (response.status !== 200) throw new Error(`fetch got ${response.status}`)
  return response.json()
}

async function sequential(call, count) {
  const started = performance.now()
  for (let i = 0; i < count; i += 1) await call()
  return count / ((performance.now() - started) / 1000)
}

async function concurrent(call, count) {
  const started = performance.now()
  let next = 0
  const lane = async () => {
    while (next < count) {
      next += 1
      await call()
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, lane))
  return count / ((performance.now() - started) / 1000)
}

async function memoryGrowth(call, count) {
  globalThis.gc?.()
  const before = process.memoryUsage().rss
  await concurrent(call, count)
  globalThis.gc?.()
  return (process.memoryUsage().rss - before) / (1024 * 1024)
}

// Warm both paths (connection pools, JIT) before measuring.
await concurrent(viaSdk, 500)
await concurrent(viaFetch, 500)

const rows = []
for (const [name, measure] of [
  ['sequential calls/s', (call) => sequential(call, CALLS)],
  [`${CONCURRENCY} concurrent calls/s`, (call) => concurrent(call, CALLS * 2)],
]) {
  // Alternate the order so neither side always runs on a warmer machine.
  const fetchFirst = await measure(viaFetch)
  const sdk = await measure(viaSdk)
  const fetchSecond = await measure(viaFetch)
  const fetchRate = (fetchFirst + fetchSecond) / 2
  rows.push({ measure: name, sdk, fetch: fetchRate, ratio: sdk / fetchRate, target: 0.5 })
}
const sdkGrowth = await memoryGrowth(viaSdk, CALLS * 4)
const fetchGrowth = await memoryGrowth(viaFetch, CALLS * 4)

await sandbox.delete()
await client.close()
emulator.kill('SIGTERM')
await new Promise((resolve) => emulator.once('exit', resolve))
rmSync(dataDir, { recursive: true, force: true })

let failed = false
console.log(`leap0 benchmark: ${CALLS} calls, GET /v1/sandbox/{id}/ on a local emulator`)
for (const row of rows) {
  const ok = row.ratio >= row.target
  failed ||= !ok
  console.log(
    `${row.measure.padEnd(24)} sdk ${row.sdk.toFixed(0).padStart(7)}  fetch ` +
      `${row.fetch.toFixed(0).padStart(7)}  ratio ${row.ratio.toFixed(2)} ` +
      `(target >= ${row.target}) ${ok ? 'ok' : 'MISSED'}`,
  )
}
const memoryOk = sdkGrowth <= fetchGrowth + 16
failed ||= !memoryOk
console.log(
  `${'rss growth MiB'.padEnd(24)} sdk ${sdkGrowth.toFixed(1).padStart(7)}  fetch ` +
    `${fetchGrowth.toFixed(1).padStart(7)}  (target sdk <= fetch + 16) ` +
    `${memoryOk ? 'ok' : 'MISSED'}`,
)
process.exitCode = failed ? 1 : 0
