// /mcp/* over real HTTP: registration, heartbeats and the TTL, credentials at rest, probes against
// a real MCP server, resolution, the Claude CLI config, cleanup and persistence across a restart.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it, type TestContext } from 'node:test'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { buildTestApp, listen, ManualClock, restartableTestApp, type TestAppOptions } from '../../../test/helpers/build-test-app.js'
import { closedPort } from '../../../test/helpers/fake-conductor.js'
import { httpJson } from '../../../test/helpers/http-json.js'
import { startMcpTestServer } from '../../../test/helpers/mcp-test-server.js'

const KEY = randomBytes(32).toString('base64')
const TOKEN = 'sidecar-secret-token-123'
// The made-up hosts the sidecars below register, allowed explicitly (the default allows loopback only).
const ALLOWED_OUTBOUND_HOSTS = [
  'localhost',
  '127.0.0.1',
  'ok',
  'elsewhere',
  'docs',
  ...['a', 'alpha', 'b', 'crm', 'new', 'old', 'zeta'].map((n) => `sidecar-${n}`),
].join(',')

async function gateway(t: TestContext, options: TestAppOptions = {}) {
  const testApp = await buildTestApp(t, {
    ...options,
    env: { MCP_CREDENTIALS_KEY: KEY, MCP_PROBE_TIMEOUT_MS: '60000', ALLOWED_OUTBOUND_HOSTS, ...options.env },
  })
  return { ...testApp, http: httpJson(await listen(testApp.app)) }
}

const sidecar = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  url: `http://sidecar-${name}:9000/sse`,
  metadata: { category: 'crm', description: `The ${name} sidecar`, tags: ['sales'] },
  ...extra,
})

describe('MCP registry: register, heartbeat, list, get, unregister', () => {
  it('registers a server and lists it in the shape the web client’s MCP manager reads', async (t) => {
    const { http } = await gateway(t, { clock: new ManualClock() })
    const created = await http.call('POST', '/mcp/register', sidecar('crm', { host_url: 'http://localhost:13001/sse' }))
    assert.equal(created.status, 201)
    assert.equal(created.body.name, 'crm')
    assert.equal(created.body.type, 'external')
    assert.equal(created.body.transport, 'sse', 'a /sse URL is the legacy SSE transport')
    assert.equal(created.body.status, 'healthy')

    const list = await http.call('GET', '/mcp/list')
    assert.equal(list.status, 200)
    assert.deepEqual(
      { total: list.body.total, internal: list.body.internal_count, external: list.body.external_count, healthy: list.body.healthy_count },
      { total: 1, internal: 0, external: 1, healthy: 1 },
    )
    const item = list.body.items[0]
    for (const field of ['name', 'type', 'url', 'host_url', 'status', 'tools_count', 'metadata', 'auto_shutdown_minutes', 'last_used']) {
      assert.ok(field in item, `list items carry ${field}`)
    }
    assert.equal(item.metadata.category, 'crm')
    assert.equal(item.metadata.description, 'The crm sidecar')
    assert.equal(item.host_url, 'http://localhost:13001/sse')

    const got = await http.call('GET', '/mcp/crm')
    assert.equal(got.status, 200)
    assert.equal(got.body.url, 'http://sidecar-crm:9000/sse')

    assert.equal((await http.call('DELETE', '/mcp/unregister/crm')).status, 204)
    const gone = await http.call('GET', '/mcp/crm')
    assert.equal(gone.status, 404)
    assert.equal(gone.body.detail, "MCP 'crm' not found")
  })

  it('filters the list by type, category and status and sorts it by name', async (t) => {
    const clock = new ManualClock()
    const { http } = await gateway(t, { clock, env: { MCP_SERVERS: 'core=http://127.0.0.1:1/mcp' } })
    await http.call('POST', '/mcp/register', sidecar('zeta'))
    await http.call('POST', '/mcp/register', sidecar('alpha', { metadata: { category: 'docs' } }))
    const names = async (query: string) => (await http.call('GET', `/mcp/list${query}`)).body.items.map((i: { name: string }) => i.name)
    assert.deepEqual(await names(''), ['alpha', 'core', 'zeta'])
    assert.deepEqual(await names('?type=internal'), ['core'])
    assert.deepEqual(await names('?category=docs'), ['alpha'])
    assert.deepEqual(await names('?healthy_only=true'), ['alpha', 'zeta'])
    assert.deepEqual(await names('?status=unknown'), ['core'])
    assert.equal((await http.call('GET', '/mcp/list?status=sleepy')).status, 422)
    assert.equal((await http.call('GET', '/mcp/list?type=other')).status, 422)
  })

  it('marks a server unhealthy once its heartbeat is older than the TTL, and healthy again on the next beat', async (t) => {
    const clock = new ManualClock()
    const { http } = await gateway(t, { clock, env: { MCP_HEARTBEAT_TTL_MS: '90000' } })
    await http.call('POST', '/mcp/register', sidecar('crm'))
    clock.advance(90_000)
    assert.equal((await http.call('GET', '/mcp/crm')).body.status, 'healthy', 'exactly the TTL is still alive')
    clock.advance(1)
    assert.equal((await http.call('GET', '/mcp/crm')).body.status, 'unhealthy')
    assert.equal((await http.call('GET', '/mcp/list')).body.healthy_count, 0)
    assert.deepEqual((await http.call('GET', '/mcp/list?healthy_only=true')).body.items, [])
    assert.deepEqual((await http.call('POST', '/mcp/resolve', { names: ['crm'] })).body, { resolved: {}, not_found: ['crm'] })

    const beat = await http.call('POST', '/mcp/heartbeat/crm', { tools_count: 7 })
    assert.equal(beat.status, 204)
    const after = (await http.call('GET', '/mcp/crm')).body
    assert.equal(after.status, 'healthy')
    assert.equal(after.tools_count, 7)
    assert.equal((await http.call('POST', '/mcp/heartbeat/ghost')).status, 404)
  })

  it('answers /mcp/stats (shadowed by /mcp/{name} in the original)', async (t) => {
    const clock = new ManualClock()
    const { http } = await gateway(t, { clock, env: { MCP_SERVERS: 'core=http://127.0.0.1:1/mcp' } })
    await http.call('POST', '/mcp/register', sidecar('a'))
    await http.call('POST', '/mcp/register', sidecar('b'))
    clock.advance(60_000)
    await http.call('POST', '/mcp/heartbeat/b')
    clock.advance(60_000)
    const stats = await http.call('GET', '/mcp/stats')
    assert.equal(stats.status, 200)
    assert.deepEqual(stats.body, { total: 3, internal: 1, external: 2, healthy: 1, unhealthy: 1, unknown: 1 })
  })
})

describe('MCP registry: bad input', () => {
  it('refuses invalid URLs, names and bodies with 422 and leaves nothing behind', async (t) => {
    const { http } = await gateway(t)
    for (const body of [
      { name: 'crm', url: 'not a url' },
      { name: 'crm', url: 'ftp://host/sse' },
      { name: 'crm', url: 'http://ok:1/sse', host_url: 'javascript:alert(1)' },
      { name: '', url: 'http://ok:1/sse' },
      { name: 'has space', url: 'http://ok:1/sse' },
      { name: '../etc', url: 'http://ok:1/sse' },
      { name: 'crm', url: 'http://ok:1/sse', transport: 'websocket' },
      { name: 'crm', url: 'http://ok:1/sse', metadata: { tags: 'not-a-list' } },
      { url: 'http://ok:1/sse' },
    ]) {
      const res = await http.call('POST', '/mcp/register', body)
      assert.equal(res.status, 422, JSON.stringify(body))
      assert.equal(typeof res.body.detail, 'string')
    }
    const reserved = await http.call('POST', '/mcp/register', { name: 'stats', url: 'http://ok:1/sse' })
    assert.equal(reserved.status, 422)
    assert.match(reserved.body.detail, /route of \/mcp/)
    assert.equal((await http.call('GET', '/mcp/list')).body.total, 0)
    assert.equal((await http.call('POST', '/mcp/resolve', { names: 'crm' })).status, 422)
    assert.equal((await http.call('POST', '/mcp/cleanup?max_age_hours=-1')).status, 422)
  })

  it('keeps configured servers read-only: 409 on register, 400 on unregister and heartbeat', async (t) => {
    const { http } = await gateway(t, { env: { MCP_SERVERS: 'core=http://127.0.0.1:1/mcp' } })
    const taken = await http.call('POST', '/mcp/register', { name: 'core', url: 'http://elsewhere:1/mcp' })
    assert.equal(taken.status, 409)
    assert.equal(taken.body.detail, "Cannot register 'core': name reserved for internal MCP")
    const removal = await http.call('DELETE', '/mcp/unregister/core')
    assert.equal(removal.status, 400)
    assert.equal(removal.body.detail, "Cannot unregister 'core': internal MCPs cannot be removed")
    assert.equal((await http.call('POST', '/mcp/heartbeat/core')).status, 400)
    assert.equal((await http.call('GET', '/mcp/core')).body.type, 'internal')
  })

  it('answers 404 for unknown names on every route that takes one', async (t) => {
    const { http } = await gateway(t)
    for (const [method, path] of [
      ['GET', '/mcp/ghost'],
      ['GET', '/mcp/ghost/health'],
      ['DELETE', '/mcp/unregister/ghost'],
      ['POST', '/mcp/heartbeat/ghost'],
    ] as const) {
      const res = await http.call(method, path)
      assert.equal(res.status, 404, `${method} ${path}`)
      assert.equal(res.body.detail, "MCP 'ghost' not found")
    }
  })
})

describe('MCP registry: credentials', () => {
  it('stores credentials encrypted, never returns them from register, list or get, and hands them to the Claude CLI config', async (t) => {
    const { http, app, deps } = await gateway(t)
    const created = await http.call('POST', '/mcp/register', sidecar('crm', { auth: TOKEN, headers: { 'X-Tenant': 'acme-tenant-7' } }))
    assert.equal(created.status, 201)
    assert.equal(created.body.has_auth, true)
    for (const res of [created, await http.call('GET', '/mcp/crm'), await http.call('GET', '/mcp/list')]) {
      const text = JSON.stringify(res.body)
      assert.ok(!text.includes(TOKEN) && !text.includes('acme-tenant-7'), `credentials leaked: ${text}`)
    }
    const row = await deps.database.db.selectFrom('mcp_servers').select('credentials').where('name', '=', 'crm').executeTakeFirstOrThrow()
    const sealed = row.credentials ?? ''
    assert.ok(sealed.startsWith('v1:'))
    assert.ok(!sealed.includes(TOKEN) && !Buffer.from(sealed.slice(3), 'base64').toString('latin1').includes(TOKEN))

    const agentId = await createAgent(app, { mcp_configs: ['crm', 'unknown-server'] })
    const config = await http.call('GET', `/mcp/config?agent_id=${agentId}`)
    assert.equal(config.status, 200)
    assert.deepEqual(config.body, {
      mcpServers: {
        crm: { type: 'sse', url: 'http://sidecar-crm:9000/sse', headers: { 'X-Tenant': 'acme-tenant-7', Authorization: `Bearer ${TOKEN}` } },
      },
    })
  })

  it('refuses credentials when no key is configured (422, with how to set one), but registers servers without them', async (t) => {
    const { http } = await gateway(t, { env: { MCP_CREDENTIALS_KEY: '' } })
    const refused = await http.call('POST', '/mcp/register', sidecar('crm', { auth: TOKEN }))
    assert.equal(refused.status, 422)
    assert.match(refused.body.detail, /MCP_CREDENTIALS_KEY/)
    assert.equal((await http.call('GET', '/mcp/crm')).status, 404, 'nothing stored')
    assert.equal((await http.call('POST', '/mcp/register', sidecar('crm'))).status, 201)
  })

  it('uses host_url for the CLI config, skips unhealthy servers, and answers 400 without ids and 404 for unknown ones', async (t) => {
    const clock = new ManualClock()
    const { http, app } = await gateway(t, { clock })
    await http.call('POST', '/mcp/register', sidecar('crm', { host_url: 'http://localhost:13001/sse' }))
    await http.call('POST', '/mcp/register', { name: 'docs', url: 'http://docs:9000/mcp' })
    const agentId = await createAgent(app, { mcp_configs: ['crm', 'docs'] })
    clock.advance(60_000)
    await http.call('POST', '/mcp/heartbeat/crm')
    clock.advance(60_000)
    const config = await http.call('GET', `/mcp/config?agent_id=${agentId}`)
    assert.deepEqual(config.body, { mcpServers: { crm: { type: 'sse', url: 'http://localhost:13001/sse' } } })
    await http.call('POST', '/mcp/register', { name: 'wiki', url: 'http://docs:9100/sse' })
    const instance = await http.call('POST', '/api/agents/instances', {
      instance_id: 'inst-crm',
      agent_id: agentId,
      position: { x: 1, y: 1 },
      screenplay_id: 'play-1',
      conversation_id: 'conv-1',
      mcp_configs: ['wiki'],
    })
    assert.equal(instance.status, 200, JSON.stringify(instance.body))
    const ofInstance = await http.call('GET', '/mcp/config?instance_id=inst-crm')
    assert.deepEqual(Object.keys(ofInstance.body.mcpServers).sort(), ['crm', 'wiki'], "the instance's own servers and its agent's")
    const missing = await http.call('GET', '/mcp/config')
    assert.equal(missing.status, 400)
    assert.equal(missing.body.detail, 'Either instance_id or agent_id must be provided')
    assert.equal((await http.call('GET', '/mcp/config?agent_id=ghost')).status, 404)
    assert.equal((await http.call('GET', '/mcp/config?instance_id=ghost')).status, 404)
  })
})

describe('MCP registry: probes, resolve, cleanup', () => {
  it('probes a real MCP server (healthy, with its tool count) and one that is down (unhealthy, readable error)', async (t) => {
    const mcp = await startMcpTestServer(t)
    const { http } = await gateway(t)
    await http.call('POST', '/mcp/register', { name: 'calc', url: mcp.url })
    const up = await http.call('GET', '/mcp/calc/health')
    assert.equal(up.status, 200)
    assert.equal(up.body.status, 'healthy', up.body.error)
    assert.equal(up.body.tools_count, 2)
    assert.equal(up.body.error, null)
    assert.equal((await http.call('GET', '/mcp/calc')).body.tools_count, 2, 'the probe stores the tool count')

    await http.call('POST', '/mcp/register', { name: 'down', url: `http://127.0.0.1:${await closedPort()}/mcp` })
    const down = await http.call('GET', '/mcp/down/health')
    assert.equal(down.status, 200)
    assert.equal(down.body.status, 'unhealthy')
    assert.equal(typeof down.body.error, 'string')
    assert.ok(down.body.error.length > 0)
    assert.equal((await http.call('GET', '/mcp/down')).body.status, 'unhealthy', 'a failed probe marks the server')
  })

  it('resolves names to URLs and removes servers silent for longer than max_age_hours', async (t) => {
    const clock = new ManualClock()
    const { http } = await gateway(t, { clock })
    await http.call('POST', '/mcp/register', sidecar('old'))
    clock.advance(3 * 3_600_000)
    await http.call('POST', '/mcp/register', sidecar('new'))
    const resolved = await http.call('POST', '/mcp/resolve', { names: ['new', 'ghost'] })
    assert.deepEqual(resolved.body, { resolved: { new: 'http://sidecar-new:9000/sse' }, not_found: ['ghost'] })
    assert.deepEqual((await http.call('POST', '/mcp/cleanup?max_age_hours=2')).body, { removed: 1 })
    assert.deepEqual(
      (await http.call('GET', '/mcp/list')).body.items.map((i: { name: string }) => i.name),
      ['new'],
    )
    assert.deepEqual((await http.call('POST', '/mcp/cleanup')).body, { removed: 0 }, 'default 24 h')
  })

  it('keeps registrations (and their credentials) across a restart', async (t) => {
    const db = await restartableTestApp(t)
    const env = { MCP_CREDENTIALS_KEY: KEY, ALLOWED_OUTBOUND_HOSTS }
    const first = await db.start({ env })
    const firstHttp = httpJson(await listen(first.app))
    await firstHttp.call('POST', '/mcp/register', sidecar('crm', { auth: TOKEN }))
    await first.app.close()
    const second = await db.start({ env })
    const http = httpJson(await listen(second.app))
    const got = await http.call('GET', '/mcp/crm')
    assert.equal(got.status, 200)
    assert.equal(got.body.has_auth, true)
    const server = await second.deps.mcpRegistry.registry.find('crm')
    assert.equal(server?.headers?.Authorization, `Bearer ${TOKEN}`)
    await second.app.close()

    const rekeyed = await db.start({ env: { ...env, MCP_CREDENTIALS_KEY: randomBytes(32).toString('hex') } })
    const probe = await httpJson(await listen(rekeyed.app)).call('GET', '/mcp/crm/health')
    assert.equal(probe.status, 200)
    assert.equal(probe.body.status, 'unhealthy')
    assert.match(probe.body.error, /MCP_CREDENTIALS_KEY is not the key they were stored with/)
  })

  it('reports its health to other modules', async (t) => {
    const clock = new ManualClock()
    const { http, deps } = await gateway(t, { clock, env: { MCP_SERVERS: 'core=http://127.0.0.1:1/mcp' } })
    await http.call('POST', '/mcp/register', sidecar('a'))
    await http.call('POST', '/mcp/register', sidecar('b'))
    clock.advance(60_000)
    await http.call('POST', '/mcp/heartbeat/b')
    clock.advance(60_000)
    assert.deepEqual(await deps.mcpRegistry.registry.health(), { total: 3, healthy: 1, unhealthy: ['a', 'core'] })
  })
})
