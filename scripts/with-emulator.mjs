#!/usr/bin/env node
// Starts a local Leap0 emulator, runs a command with LEAP0_API_KEY and LEAP0_BASE_URL pointing
// at it, then stops the emulator and exits with the command's status.
//
//   node scripts/with-emulator.mjs [emulator flags --] command [args...]

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { emulatorBinary, readStartupLine } from './emulator.mjs'

const argv = process.argv.slice(2)
const split = argv.indexOf('--')
const emulatorFlags = split === -1 ? [] : argv.slice(0, split)
const command = split === -1 ? argv : argv.slice(split + 1)
if (command.length === 0) {
  console.error('usage: with-emulator.mjs [emulator flags --] command [args...]')
  process.exit(2)
}

const dataDir = mkdtempSync(join(tmpdir(), 'leap0-emulator-'))
const emulator = spawn(emulatorBinary(), ['--data-dir', dataDir, ...emulatorFlags], {
  stdio: ['ignore', 'pipe', 'inherit'],
})
const stopEmulator = () => {
  if (emulator.exitCode === null) emulator.kill('SIGTERM')
}
process.on('exit', () => {
  stopEmulator()
  rmSync(dataDir, { recursive: true, force: true })
})

let info
try {
  info = await readStartupLine(emulator)
} catch (error) {
  console.error(`could not start the emulator: ${error.message}`)
  process.exit(1)
}

const child = spawn(command[0], command.slice(1), {
  stdio: 'inherit',
  env: { ...process.env, LEAP0_API_KEY: info.apiKey, LEAP0_BASE_URL: info.baseUrl },
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('exit', (code, signal) => {
  stopEmulator()
  emulator.once('exit', () => process.exit(code ?? (signal ? 1 : 0)))
})
