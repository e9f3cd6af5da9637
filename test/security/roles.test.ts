// Every operation of /openapi.json: 401 without credentials, 403 with a role that does not fit,
// and never 401/403 for admin. Public operations are listed here by hand: a new public route
// must be added on purpose.
import { ENDLESS_STREAMS } from '../../bench/lib/hostile.js'
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../helpers/build-test-app.js'
import { bearer, createRoleKeys, type RoleKeys } from '../helpers/api-keys.js'

const PUBLIC_OPERATIONS = new Set([
  'GET /health',
  'OPTIONS /health',
  'GET /ready',
  'POST /api/v1/portfolio-chat',
  'POST /api/auth/login',
  'POST /api/auth/logout',
])

/** For each required role, a key whose role does not satisfy it. */
function wrongKey(required: string, keys: RoleKeys): string {
  return required === 'user' ? keys.watcher : required === 'admin' ? keys.user : keys.user
}

interface Operation {
  method: string
  path: string
  role: string
}

function operationsOf(spec: { paths: Record<string, Record<string, { 'x-required-role'?: string }>> }): Operation[] {
  return Object.entries(spec.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, role: op['x-required-role'] ?? '(undeclared)' })),
  )
}

function urlOf(path: string): string {
  return path.replace(/\{[^}]+\}/g, 'some-id')
}

describe('roles on every operation of /openapi.json', () => {
  it('answers 401 without credentials and 403 with a wrong role; admin passes the gate', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const keys = await createRoleKeys(deps)
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const operations = operationsOf(spec)
    assert.ok(operations.length > 50, `only ${operations.length} operations`)
    const publicOnes = operations.filter((op) => op.role === 'public').map((op) => `${op.method} ${op.path}`)
    assert.deepEqual(new Set(publicOnes), PUBLIC_OPERATIONS)

    for (const op of operations) {
      const name = `${op.method} ${op.path} (${op.role})`
      assert.ok(['public', 'admin', 'user', 'watcher', 'mcp-sidecar'].includes(op.role), `${name}: no declared role`)
      if (op.role === 'public') continue
      const request = { method: op.method as 'GET', url: urlOf(op.path), payload: op.method === 'GET' || op.method === 'DELETE' ? undefined : {} }
      const anonymous = await app.inject(request)
      assert.equal(anonymous.statusCode, 401, `${name} without credentials`)
      assert.match(anonymous.headers['www-authenticate'] as string, /resource_metadata=/, `${name}: WWW-Authenticate`)
      const wrong = await app.inject({ ...request, headers: bearer(wrongKey(op.role, keys)) })
      assert.equal(wrong.statusCode, 403, `${name} with a wrong role`)
      if (ENDLESS_STREAMS.has(`${op.method} ${op.path}`)) continue // past the gate it streams for as long as the client stays
      const admin = await app.inject({ ...request, headers: bearer(keys.admin) })
      assert.ok(![401, 403].includes(admin.statusCode), `${name} as admin: ${admin.statusCode} ${admin.body}`)
    }
  })

  it('the WebSockets take the same credentials: the browser channel needs user, the watcher channel watcher', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const keys = await createRoleKeys(deps)
    await assert.rejects(app.injectWS('/ws/gamification'), /401/)
    await assert.rejects(app.injectWS('/ws/gamification', { headers: bearer(keys.watcher) }), /403/)
    const browser = await app.injectWS('/ws/gamification', { headers: { 'x-api-key': keys.user } })
    browser.terminate()
    await assert.rejects(app.injectWS('/ws/agent-stream'), /401/)
    await assert.rejects(app.injectWS('/ws/agent-stream', { headers: bearer(keys.user) }), /403/)
    const watcher = await app.injectWS('/ws/agent-stream', { headers: bearer(keys.watcher) })
    watcher.terminate()
  })
})
