// Calls that carry the API key or an SSH password, ending in every kind of outcome: run in
// the spec's own process (secrets.spec.ts checks the errors) and in a child Node process
// (secret-child.cjs, whose log lines the spec checks). Plain CommonJS, so `node` runs it.

'use strict'

/**
 * Runs the scenarios against an emulator started with `--faults`. Returns the secrets seen
 * (the keys and every password issued) and each outcome: `{ name, value }` or
 * `{ name, error }`. Nothing here throws on a failed call.
 */
async function runScenarios(leap0, { baseUrl, apiKey, wrongKey, closedPort }) {
  const { Leap0Client } = leap0
  const client = new Leap0Client({ apiKey, baseUrl, maxRetries: 1 })
  const outcomes = []
  const record = async (name, call) => {
    try {
      outcomes.push({ name, value: await call() })
    } catch (error) {
      outcomes.push({ name, error })
    }
  }
  const fault = (method, path, fault) =>
    fetch(`${baseUrl}/_emulator/faults`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method, path, fault }),
    })
  const validatePath = '/v1/sandbox/{sandboxID}/ssh/{sshID}/validate'

  const sandbox = await client.sandboxes.create()
  const access = await client.ssh.createAccess(sandbox)
  const { password } = access
  const credential = { id: access.id, password }
  const secrets = [apiKey, wrongKey, password]

  await record('validate', () => client.ssh.validateAccess(sandbox, credential))
  await record('validate a wrong password', () =>
    client.ssh.validateAccess(sandbox, { id: access.id, password: `${password}x` }),
  )
  await fault('GET', '/v1/sandboxes', { kind: 'status', status: 500 })
  await record('list after a 500', () => client.sandboxes.list())
  await record('get', () => client.sandboxes.get(sandbox))
  const regenerated = await client.ssh.regenerateAccess(sandbox, access)
  secrets.push(regenerated.password)

  const wrong = new Leap0Client({ apiKey: wrongKey, baseUrl, maxRetries: 0 })
  await record('401', () => wrong.ssh.validateAccess(sandbox, credential))
  await record('404 of an unknown credential', () =>
    client.ssh.validateAccess(sandbox, { id: 'ssh-unknown', password }),
  )
  await record('404 of an unknown sandbox', () =>
    client.ssh.validateAccess('sbx-unknown', credential),
  )
  await record('400 from the service', () => client.sandboxes.create({ vcpu: 99 }))
  await record('a credential of the wrong type', () =>
    client.ssh.validateAccess(sandbox, { id: 7, password }),
  )
  await record('a password of the wrong type', () =>
    client.ssh.validateAccess(sandbox, { id: access.id, password: [password] }),
  )
  await record('a header value not allowed', () =>
    client.sandboxes.list(undefined, { headers: { 'x-token': `${apiKey}\n${password}` } }),
  )
  await record('a key not allowed in a header', async () => {
    return new Leap0Client({ apiKey: `${apiKey}\u0000`, baseUrl })
  })
  const offline = new Leap0Client({ apiKey, baseUrl: `http://127.0.0.1:${closedPort}` })
  await record('a connection error', () =>
    offline.ssh.validateAccess(sandbox, credential, { maxRetries: 0 }),
  )
  await fault('POST', validatePath, { kind: 'delay', ms: 1_000 })
  await record('a timeout', () => client.ssh.validateAccess(sandbox, credential, { timeout: 0.2 }))
  await fault('POST', validatePath, { kind: 'status', status: 200, body: { valid: password } })
  await record('an answer of the wrong type quoting the password', () =>
    client.ssh.validateAccess(sandbox, credential),
  )
  const notJson = `{"valid": "${password}`
  await fault('POST', validatePath, { kind: 'status', status: 200, body: notJson })
  await record('an answer that is not JSON quoting the password', () =>
    client.ssh.validateAccess(sandbox, credential),
  )
  await fault('POST', '/v1/sandbox/{sandboxID}/ssh/{sshID}/regen', {
    kind: 'status',
    status: 200,
    body: {
      id: 42,
      sandbox_id: sandbox.id,
      password,
      expires_at: regenerated.expiresAt,
      created_at: regenerated.createdAt,
      updated_at: regenerated.updatedAt,
      ssh_command: regenerated.sshCommand,
    },
  })
  await record('an access of the wrong shape', () => client.ssh.regenerateAccess(sandbox, access))
  // A server or proxy that echoes the request back into its error answer.
  await fault('GET', '/v1/sandboxes', {
    kind: 'status',
    status: 401,
    body: { message: `key Bearer ${apiKey} refused`, echo: { [apiKey]: [`Bearer ${apiKey}`] } },
  })
  await record('a 401 echoing the key', () => client.sandboxes.list())
  await fault('GET', '/v1/sandboxes', {
    kind: 'status',
    status: 403,
    body: `${'-'.repeat(100)} forbidden for authorization: Bearer ${apiKey}`,
  })
  await record('a text answer echoing the key past a cut', () => client.sandboxes.list())
  await fault('POST', validatePath, {
    kind: 'status',
    status: 400,
    body: { message: 'bad', errors: [{ field: 'password', error: `${password} is wrong` }] },
  })
  await record('a 400 echoing the password', () => client.ssh.validateAccess(sandbox, credential))
  await fault('GET', '/v1/sandboxes', {
    kind: 'status',
    status: 401,
    body: { message: `key ${apiKey.replaceAll('-', '%2D')} refused, encoded as in a URL` },
  })
  await record('a 401 echoing the key percent-encoded', () => client.sandboxes.list())
  const perCallKey = `sk-leap0-PERCALL-${Math.random().toString(36).slice(2, 12)}`
  secrets.push(perCallKey)
  await fault('GET', '/v1/sandboxes', {
    kind: 'status',
    status: 401,
    body: { message: `key ${perCallKey} refused` },
  })
  // In a header of its own: one replacing `authorization` would fail the emulator's own key
  // check before the fault could answer.
  await record('a 401 echoing a key sent in per-call headers', () =>
    client.sandboxes.list(undefined, { headers: { 'x-api-key': perCallKey } }),
  )

  await Promise.all([client.close(), wrong.close(), offline.close()])
  return { secrets, outcomes }
}

module.exports = { runScenarios }
