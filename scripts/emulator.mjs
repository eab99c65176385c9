// Where the emulator binary is and how to read where it listens; shared by the demo runner,
// the tests and the benchmarks.

import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The emulator built by `npm install` (release), unless LEAP0_EMULATOR_BIN names another. */
export function emulatorBinary() {
  const binary = process.env.LEAP0_EMULATOR_BIN ?? join(root, 'target', 'release', 'leap0-emulator')
  if (!existsSync(binary)) {
    throw new Error(`no emulator at ${binary}: run \`npm run build:emulator\` first`)
  }
  return binary
}

/**
 * Resolves the emulator's first stdout line, a JSON object with baseUrl, apiKey, sshHost,
 * sshPort; rejects if it exits or stays silent for 10 seconds.
 */
export function readStartupLine(child, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    const timer = setTimeout(() => fail(new Error('no startup line within 10 s')), timeoutMs)
    const onExit = (code) => fail(new Error(`emulator exited with ${code} before starting`))
    function fail(error) {
      clearTimeout(timer)
      lines.close()
      child.off('exit', onExit)
      if (child.exitCode === null) child.kill('SIGKILL')
      reject(error)
    }
    child.once('exit', onExit)
    lines.once('line', (line) => {
      clearTimeout(timer)
      child.off('exit', onExit)
      lines.close()
      // Keep draining stdout so the emulator never blocks on a full pipe.
      child.stdout.resume()
      try {
        resolve(JSON.parse(line))
      } catch {
        reject(new Error(`emulator printed a first line that is not JSON: ${line}`))
      }
    })
  })
}
