// A worker thread that loads the addon on its own and makes real calls; see workers.spec.ts.
// workerData: { entry, apiKey, baseUrl, task: 'calls' | 'hang' | 'env', count? }

'use strict'

const { parentPort, workerData } = require('node:worker_threads')

const leap0 = require(workerData.entry)

async function calls(client) {
  const sandbox = await client.sandboxes.create()
  const access = await client.ssh.createAccess(sandbox)
  const validation = await client.ssh.validateAccess(sandbox, access)
  const page = await client.sandboxes.list({ pageSize: 100 })
  const missing = await client.sandboxes.get('sbx-missing').catch((error) => error)
  await client.close()
  return {
    sandboxId: sandbox.id,
    valid: validation.valid,
    listed: page.items.some((item) => item.id === sandbox.id),
    notFound: missing instanceof leap0.Leap0NotFoundError && missing instanceof Error,
    code: missing.code,
  }
}

// Starts slow calls, says so, and waits for them: the test terminates the worker meanwhile.
async function hang(client) {
  const pending = []
  for (let i = 0; i < workerData.count; i += 1) {
    const signal = new AbortController().signal
    pending.push(client.sandboxes.list(undefined, { signal }).catch(() => undefined))
  }
  parentPort.postMessage({ started: pending.length })
  await Promise.all(pending)
  return { settled: true }
}

// A client built from the worker's own environment, with no options at all.
async function env() {
  const page = await new leap0.Leap0Client().sandboxes.list()
  return { totalItems: page.totalItems }
}

const client = new leap0.Leap0Client({ apiKey: workerData.apiKey, baseUrl: workerData.baseUrl })
const task = { calls, hang, env }[workerData.task]
task(client).then(
  (result) => parentPort.postMessage({ result }),
  (error) => parentPort.postMessage({ error: String(error) }),
)
