// Runs secret-scenarios.cjs in a child Node process, so its log lines can be read; see
// secrets.spec.ts. argv[2]: the scenario target as JSON. Prints the secrets and outcome codes
// as one JSON line on stdout; the SDK logs to stderr.

'use strict'

const leap0 = require('../../index.js')
const { runScenarios } = require('./secret-scenarios.cjs')

runScenarios(leap0, JSON.parse(process.argv[2])).then(
  ({ secrets, outcomes }) => {
    const codes = outcomes.map(({ name, error }) => [name, error ? error.code : 'OK'])
    process.stdout.write(`${JSON.stringify({ secrets, codes })}\n`)
  },
  (error) => {
    process.stdout.write(`${JSON.stringify({ failed: String(error) })}\n`)
    process.exitCode = 1
  },
)
