// /binder/* over real HTTP against real MCP servers: binding with policies and probes, changes to a
// binding, rebind and the health monitor (suspend, reactivate), persistence across a restart.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { buildTestApp, listen, restartableTestApp } from '../../../test/helpers/build-test-app.js'
import { closedPort } from '../../../test/helpers/fake-conductor.js'
import { type HttpJson, httpJson } from '../../../test/helpers/http-json.js'
import { startMcpTestServer } from '../../../test/helpers/mcp-test-server.js'
import { waitFor } from '../../../test/helpers/wait.js'

/** Probes of live servers must not time out on a loaded machine; dead ones are refused at once anyway. */
const env = { MCP_PROBE_TIMEOUT_MS: '60000' }

async function gateway(t: TestContext) {
  const testApp = await buildTestApp(t, { env })
  return { ...testApp, http: httpJson(await listen(testApp.app)) }
}

/** Registers `calc` (a live MCP server) and `down` (nothing listening). */
async function registerServers(t: TestContext, http: HttpJson): Promise<{ liveUrl: string; deadUrl: string }> {
  const mcp = await startMcpTestServer(t)
  const deadUrl = `http://127.0.0.1:${await closedPort()}/mcp`
  assert.equal((await http.call('POST', '/mcp/register', { name: 'calc', url: mcp.url })).status, 201)
  assert.equal((await http.call('POST', '/mcp/register', { name: 'down', url: deadUrl })).status, 201)
  return { liveUrl: mcp.url, deadUrl }
}

describe('MCP binder: bind and read', () => {
  it('binds the servers that are registered and answer; reports the others with reasons', async (t) => {
    const { http } = await gateway(t)
    const { liveUrl } = await registerServers(t, http)
    const res = await http.call('POST', '/binder/bind', { instance_id: 'inst-1', agent_id: 'agent-1', mcp_names: ['calc', 'ghost', 'down'] })
    assert.equal(res.status, 200)
    assert.equal(res.body.success, true, JSON.stringify(res.body.failures))
    assert.deepEqual(res.body.bound_mcps, ['calc'])
    assert.deepEqual(res.body.failed_mcps, ['ghost', 'down'])
    assert.match(res.body.failures[0].reason, /not found in the registry/)
    assert.match(res.body.failures[1].reason, /health check failed/)
    assert.deepEqual(res.body.mcp_servers_config, { mcpServers: { calc: { url: liveUrl, transport: 'http' } } })

    const again = await http.call('POST', '/binder/bind', { instance_id: 'inst-1', agent_id: 'agent-1', mcp_names: [] })
    assert.equal(again.body.message, 'Already bound')
    assert.deepEqual(again.body.bound_mcps, ['calc'])

    const binding = await http.call('GET', '/binder/bindings/inst-1')
    assert.equal(binding.status, 200)
    assert.equal(binding.body.agent_id, 'agent-1')
    assert.equal(binding.body.mcps.calc.status, 'active')
    assert.equal(typeof binding.body.mcps.calc.bound_at, 'string')
    assert.deepEqual((await http.call('GET', '/binder/bindings/inst-1/config')).body, { mcpServers: { calc: { url: liveUrl, transport: 'http' } } })

    await http.call('POST', '/binder/bind', { instance_id: 'inst-2', agent_id: 'agent-2', mcp_names: [] })
    const all = await http.call('GET', '/binder/bindings')
    assert.deepEqual(
      { total: all.body.total, active: all.body.active_count, ids: all.body.bindings.map((b: { instance_id: string }) => b.instance_id) },
      { total: 2, active: 2, ids: ['inst-1', 'inst-2'] },
    )
    assert.deepEqual(
      (await http.call('GET', '/binder/bindings?agent_id=agent-2')).body.bindings.map((b: { instance_id: string }) => b.instance_id),
      ['inst-2'],
    )
    assert.deepEqual(
      (await http.call('GET', '/binder/bindings?mcp_name=calc')).body.bindings.map((b: { instance_id: string }) => b.instance_id),
      ['inst-1'],
    )
    assert.deepEqual((await http.call('GET', '/binder/stats')).body, {
      total_bindings: 2,
      active_bindings: 2,
      mcp_usage: { calc: 1 },
      health_check_running: false,
    })
  })

  it('binds what the agent lists when no names are given, and says so when it lists none', async (t) => {
    const { http, app } = await gateway(t)
    await registerServers(t, http)
    const agentId = await createAgent(app, { mcp_configs: ['calc'] })
    const bound = await http.call('POST', '/binder/bind', { instance_id: 'inst-1', agent_id: agentId })
    assert.deepEqual(bound.body.bound_mcps, ['calc'])
    const bare = await createAgent(app, { name: 'Bare_Agent' })
    const empty = await http.call('POST', '/binder/bind', { instance_id: 'inst-2', agent_id: bare })
    assert.equal(empty.body.message, 'No MCPs configured for this agent')
    assert.deepEqual(empty.body.bound_mcps, [])
    assert.equal((await http.call('POST', '/binder/bind', { instance_id: 'inst-3', agent_id: 'ghost-agent' })).status, 404)
  })
})

describe('MCP binder: policies', () => {
  it('applies the agent’s policy: deny wins, allow lists, the maximum, and require_healthy', async (t) => {
    const { http } = await gateway(t)
    await registerServers(t, http)
    await http.call('POST', '/mcp/register', { name: 'docs', url: 'http://127.0.0.1:1/mcp' })

    const saved = await http.call('POST', '/binder/policies', { agent_id: 'a1', allowed_mcps: ['calc', 'down'], denied_mcps: ['down'] })
    assert.equal(saved.status, 201)
    assert.deepEqual(saved.body, { success: true, agent_id: 'a1' })
    const denied = await http.call('POST', '/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: ['calc', 'down', 'docs'] })
    assert.deepEqual(denied.body.bound_mcps, ['calc'])
    assert.deepEqual(
      denied.body.failures.map((f: { name: string; reason: string }) => [f.name, f.reason]),
      [
        ['down', 'denied by the agent’s policy'],
        ['docs', 'not allowed by the agent’s policy'],
      ],
    )

    await http.call('POST', '/binder/policies', { agent_id: 'a2', max_concurrent_mcps: 1, require_healthy: false })
    const limited = await http.call('POST', '/binder/bind', { instance_id: 'i2', agent_id: 'a2', mcp_names: ['down', 'calc'] })
    assert.deepEqual(limited.body.bound_mcps, ['down'], 'without require_healthy a registered server is bound unprobed')
    assert.match(limited.body.failures[0].reason, /over the agent’s limit of 1/)

    const defaults = await http.call('POST', '/binder/bind', { instance_id: 'i3', agent_id: 'no-policy', mcp_names: ['calc', 'down'] })
    assert.deepEqual(defaults.body.bound_mcps, ['calc'], 'the default policy allows any server and requires health')
  })

  it('adds and removes servers of a binding under the same rules', async (t) => {
    const { http } = await gateway(t)
    await registerServers(t, http)
    await http.call('POST', '/binder/policies', { agent_id: 'a1', denied_mcps: ['docs'] })
    await http.call('POST', '/mcp/register', { name: 'docs', url: 'http://127.0.0.1:1/mcp' })
    await http.call('POST', '/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: [] })

    assert.equal((await http.call('POST', '/binder/add-mcp', { instance_id: 'i1', mcp_name: 'calc' })).status, 204)
    assert.equal((await http.call('GET', '/binder/bindings/i1')).body.mcps.calc.status, 'active')
    const denied = await http.call('POST', '/binder/add-mcp', { instance_id: 'i1', mcp_name: 'docs' })
    assert.equal(denied.status, 400)
    assert.equal(denied.body.detail, 'Failed to add MCP docs to instance i1: denied by the agent’s policy')
    const down = await http.call('POST', '/binder/add-mcp', { instance_id: 'i1', mcp_name: 'down' })
    assert.equal(down.status, 400)
    assert.match(down.body.detail, /^Failed to add MCP down to instance i1: health check failed/)
    assert.equal((await http.call('POST', '/binder/add-mcp', { instance_id: 'i1', mcp_name: 'ghost' })).status, 404)
    assert.equal((await http.call('POST', '/binder/add-mcp', { instance_id: 'nope', mcp_name: 'calc' })).status, 404)
    assert.deepEqual(Object.keys((await http.call('GET', '/binder/bindings/i1')).body.mcps), ['calc'], 'refused adds change nothing')

    assert.equal((await http.call('POST', '/binder/remove-mcp', { instance_id: 'i1', mcp_name: 'calc', reason: 'done' })).status, 204)
    assert.deepEqual((await http.call('GET', '/binder/bindings/i1')).body.mcps, {})
    const notBound = await http.call('POST', '/binder/remove-mcp', { instance_id: 'i1', mcp_name: 'calc' })
    assert.equal(notBound.status, 404)
    assert.equal(notBound.body.detail, "MCP 'calc' is not bound to instance i1")
    assert.equal((await http.call('POST', '/binder/remove-mcp', { instance_id: 'nope', mcp_name: 'calc' })).status, 404)
  })

  it('unbinds, and answers 404 for instances that are not bound', async (t) => {
    const { http } = await gateway(t)
    await http.call('POST', '/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: [] })
    assert.equal((await http.call('POST', '/binder/unbind', { instance_id: 'i1', reason: 'finished' })).status, 204)
    for (const [method, path, body] of [
      ['POST', '/binder/unbind', { instance_id: 'i1' }],
      ['GET', '/binder/bindings/i1', undefined],
      ['GET', '/binder/bindings/i1/config', undefined],
    ] as const) {
      const res = await http.call(method, path, body)
      assert.equal(res.status, 404, path)
      assert.equal(res.body.detail, 'Binding not found for instance i1')
    }
    const rebind = await http.call('POST', '/binder/rebind/i1')
    assert.equal(rebind.status, 404)
    assert.equal(rebind.body.detail, 'Instance not bound')
  })

  it('refuses malformed bodies with 422 and stores nothing', async (t) => {
    const { http } = await gateway(t)
    for (const [path, body] of [
      ['/binder/bind', { agent_id: 'a1' }],
      ['/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: ['bad name'] }],
      ['/binder/bind', { instance_id: '', agent_id: 'a1' }],
      ['/binder/policies', { agent_id: 'a1', max_concurrent_mcps: -1 }],
      ['/binder/policies', { agent_id: 'a1', allowed_mcps: 'calc' }],
      ['/binder/add-mcp', { instance_id: 'i1' }],
      ['/binder/health-monitoring/start?interval_seconds=0', undefined],
    ] as const) {
      const res = await http.call('POST', path, body)
      assert.equal(res.status, 422, `${path} ${JSON.stringify(body)}`)
      assert.equal(typeof res.body.detail, 'string')
    }
    assert.equal((await http.call('GET', '/binder/bindings')).body.total, 0)
  })
})

describe('MCP binder: health', () => {
  it('rebind suspends a server that stopped answering and reactivates it once it answers again', async (t) => {
    const { http } = await gateway(t)
    const { liveUrl, deadUrl } = await registerServers(t, http)
    await http.call('POST', '/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: ['calc'] })
    await http.call('POST', '/mcp/register', { name: 'calc', url: deadUrl })
    const suspended = await http.call('POST', '/binder/rebind/i1')
    assert.equal(suspended.status, 200)
    assert.deepEqual(suspended.body.failed_mcps, ['calc'])
    const mcp = (await http.call('GET', '/binder/bindings/i1')).body.mcps.calc
    assert.equal(mcp.status, 'suspended')
    assert.match(mcp.error_message, /^Health check failed during rebind/)
    assert.deepEqual((await http.call('GET', '/binder/bindings/i1/config')).body, { mcpServers: {} }, 'suspended servers are not handed out')

    await http.call('DELETE', '/mcp/unregister/calc')
    assert.equal((await http.call('POST', '/binder/rebind/i1')).body.failures[0].reason, 'Not found in registry during rebind')

    await http.call('POST', '/mcp/register', { name: 'calc', url: liveUrl })
    const back = await http.call('POST', '/binder/rebind/i1')
    assert.deepEqual(back.body.bound_mcps, ['calc'])
    assert.equal((await http.call('GET', '/binder/bindings/i1')).body.mcps.calc.status, 'active')
  })

  it('the health monitor suspends and reactivates bound servers until it is stopped', async (t) => {
    const { http } = await gateway(t)
    const { liveUrl, deadUrl } = await registerServers(t, http)
    await http.call('POST', '/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: ['calc'] })
    const started = await http.call('POST', '/binder/health-monitoring/start?interval_seconds=1')
    assert.deepEqual(started.body, { success: true, interval_seconds: 1 })
    assert.equal((await http.call('GET', '/binder/stats')).body.health_check_running, true)
    const statusOfCalc = async () => (await http.call('GET', '/binder/bindings/i1')).body.mcps.calc.status

    await http.call('POST', '/mcp/register', { name: 'calc', url: deadUrl })
    await waitFor(async () => (await statusOfCalc()) === 'suspended', 15_000, 'the monitor suspends calc')
    await http.call('POST', '/mcp/register', { name: 'calc', url: liveUrl })
    await waitFor(async () => (await statusOfCalc()) === 'active', 15_000, 'the monitor reactivates calc')

    assert.deepEqual((await http.call('POST', '/binder/health-monitoring/stop')).body, { success: true })
    assert.equal((await http.call('GET', '/binder/stats')).body.health_check_running, false)
  })
})

describe('MCP binder: persistence', () => {
  it('keeps bindings and policies across a restart', async (t) => {
    const db = await restartableTestApp(t)
    const first = await db.start({ env })
    const before = httpJson(await listen(first.app))
    await registerServers(t, before)
    await before.call('POST', '/binder/policies', { agent_id: 'a1', denied_mcps: ['down'] })
    await before.call('POST', '/binder/bind', { instance_id: 'i1', agent_id: 'a1', mcp_names: ['calc'] })
    await first.app.close()

    const second = await db.start({ env })
    const http = httpJson(await listen(second.app))
    const binding = await http.call('GET', '/binder/bindings/i1')
    assert.equal(binding.status, 200)
    assert.equal(binding.body.mcps.calc.status, 'active')
    const refused = await http.call('POST', '/binder/add-mcp', { instance_id: 'i1', mcp_name: 'down' })
    assert.equal(refused.status, 400)
    assert.match(refused.body.detail, /denied by the agent’s policy/)
  })
})
