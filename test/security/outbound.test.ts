// Outbound requests to registered URLs: the policy itself, then MCP servers registered over real
// HTTP (registration, probes, bindings, runs) against local MCP servers that count connections.
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { OutboundPolicy } from '../../src/platform/outbound.js'
import { createAgent } from '../helpers/agent-factories.js'
import { buildTestApp, listen, restartableTestApp, type TestAppOptions, testConfig } from '../helpers/build-test-app.js'
import { startFakeLlmServer } from '../helpers/fake-llm-server.js'
import { type HttpJson, httpJson } from '../helpers/http-json.js'
import { startMcpTestServer } from '../helpers/mcp-test-server.js'

describe('OutboundPolicy (security.allowed_outbound_hosts)', () => {
  const policy = new OutboundPolicy(['mcp.internal', 'tools.example.com:8443', '*.corp.example'], ['http://localhost:8000'])

  it('allows listed hosts, ports, subdomains and the operator’s own configured URLs', () => {
    for (const url of [
      'http://mcp.internal/sse',
      'https://mcp.internal:443/mcp',
      'https://tools.example.com:8443/mcp',
      'http://a.corp.example/x',
      'http://deep.a.corp.example/x',
      'http://localhost:8000/agents/x/execute',
    ]) {
      assert.doesNotThrow(() => policy.check(url, 'url'), url)
    }
  })

  it('refuses everything else with a 422 naming the setting', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:5006/api/runs',
      'https://tools.example.com/mcp',
      'http://corp.example/x',
      'http://evilcorp.example/x',
      'http://mcp.internal.evil.com/x',
      'http://localhost:9000/',
      'file:///etc/passwd',
      'not a url',
    ]) {
      assert.throws(
        () => policy.check(url, 'url'),
        (err: Error & { status?: number }) => err.status === 422,
        url,
      )
    }
    assert.throws(() => policy.check('http://10.0.0.1/', 'url'), /ALLOWED_OUTBOUND_HOSTS/)
  })

  it('allows nothing when nothing is configured', () => {
    assert.throws(
      () => new OutboundPolicy([]).check('https://example.com', 'url'),
      /not an allowed outbound host: add it to security.allowed_outbound_hosts/,
    )
  })
})

/** A server that answers every request with a redirect to `target`, counting nothing of its own. */
async function startRedirector(t: TestContext, target: string): Promise<number> {
  const server = createServer((_req, res) => void res.writeHead(307, { location: target }).end())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return (server.address() as AddressInfo).port
}

const portOf = (url: string) => new URL(url).port

async function gatewayAllowing(t: TestContext, hosts: string | undefined, options: TestAppOptions = {}) {
  const llm = await startFakeLlmServer(t)
  const env: Record<string, string> = { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseUrl, MCP_PROBE_TIMEOUT_MS: '60000', ...options.env }
  if (hosts !== undefined) env.ALLOWED_OUTBOUND_HOSTS = hosts
  const testApp = await buildTestApp(t, { ...options, env })
  return { ...testApp, llm, http: httpJson(await listen(testApp.app)) }
}

async function runWith(http: HttpJson, agentId: string) {
  const res = await http.call('POST', '/api/runs', { input: 'what is 1 + 2?', ai_provider: 'openai', agent_id: agentId, wait: true })
  assert.ok(res.status === 200 || res.status === 202, JSON.stringify(res.body))
  return res.body
}

describe('MCP servers registered over HTTP reach only allowed outbound hosts', () => {
  it('registers, probes and runs a server on an allowed host; refuses one elsewhere (422 naming url) without contacting it', async (t) => {
    const allowed = await startMcpTestServer(t)
    const elsewhere = await startMcpTestServer(t)
    const { http, llm, app } = await gatewayAllowing(t, `127.0.0.1:${portOf(allowed.url)}`)

    assert.equal((await http.call('POST', '/mcp/register', { name: 'calc', url: allowed.url })).status, 201)
    assert.equal((await http.call('GET', '/mcp/calc/health')).body.status, 'healthy')
    const agentId = await createAgent(app, { mcp_configs: ['calc'] })
    llm.script({ toolCalls: [{ id: 'call_1', name: 'add', arguments: { a: 1, b: 2 } }] }, { text: ['3'] })
    const done = await runWith(http, agentId)
    assert.equal(done.status, 'completed', done.error)
    assert.deepEqual(allowed.calls, [{ a: 1, b: 2 }])

    const refused = await http.call('POST', '/mcp/register', { name: 'evil', url: elsewhere.url })
    assert.equal(refused.status, 422)
    assert.equal(
      refused.body.detail,
      `url points to 127.0.0.1:${portOf(elsewhere.url)}, which is not an allowed outbound host: add it to security.allowed_outbound_hosts (ALLOWED_OUTBOUND_HOSTS)`,
    )
    assert.equal((await http.call('GET', '/mcp/evil')).status, 404, 'nothing was stored')
    assert.equal(elsewhere.connections, 0, 'no request was sent to the refused server')
  })

  it('never contacts a server registered before the policy narrowed: its probe, binding and runs are refused', async (t) => {
    const allowed = await startMcpTestServer(t)
    const stored = await startMcpTestServer(t)
    const db = await restartableTestApp(t)
    const before = await db.start()
    assert.equal((await httpJson(await listen(before.app)).call('POST', '/mcp/register', { name: 'old', url: stored.url })).status, 201)
    await before.app.close()
    const connectionsBefore = stored.connections

    const llm = await startFakeLlmServer(t)
    const env = { ALLOWED_OUTBOUND_HOSTS: `127.0.0.1:${portOf(allowed.url)}`, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseUrl }
    const after = await db.start({ env })
    const http = httpJson(await listen(after.app))
    const probe = await http.call('GET', '/mcp/old/health')
    assert.equal(probe.status, 200)
    assert.equal(probe.body.status, 'unhealthy')
    assert.match(probe.body.error, /^the URL of MCP server 'old' points to 127\.0\.0\.1:\d+, which is not an allowed outbound host/)
    const bind = await http.call('POST', '/binder/bind', { instance_id: 'inst-1', agent_id: 'agent-1', mcp_names: ['old'] })
    assert.deepEqual(bind.body.failed_mcps, ['old'])
    const agentId = await createAgent(after.app, { mcp_configs: ['old'] })
    const failed = await runWith(http, agentId)
    assert.equal(failed.status, 'failed')
    assert.match(failed.error, /^the URL of MCP server 'old' points to .*ALLOWED_OUTBOUND_HOSTS/)
    assert.equal(llm.requests.length, 0)
    assert.equal(stored.connections, connectionsBefore, 'no request was sent to the server')
  })

  it('allows loopback by default and nothing else', async (t) => {
    const local = await startMcpTestServer(t)
    const { http } = await gatewayAllowing(t, undefined)
    assert.equal((await http.call('POST', '/mcp/register', { name: 'local', url: local.url })).status, 201)
    assert.equal((await http.call('POST', '/mcp/register', { name: 'named', url: 'http://localhost:9000/mcp' })).status, 201)
    for (const url of ['http://sidecar-crm:9000/sse', 'http://169.254.169.254/latest/meta-data', 'https://mcp.example.com/mcp']) {
      const res = await http.call('POST', '/mcp/register', { name: 'remote', url })
      assert.equal(res.status, 422, url)
      assert.match(res.body.detail, /^url points to .* not an allowed outbound host/)
    }
  })

  it('does not follow a redirect from an allowed server to another host during a run', async (t) => {
    const target = await startMcpTestServer(t)
    const redirector = await startRedirector(t, target.url)
    const { http, app } = await gatewayAllowing(t, `127.0.0.1:${redirector}`)
    // A /sse URL: the legacy SSE transport, which the AI SDK's client would otherwise follow redirects on.
    assert.equal((await http.call('POST', '/mcp/register', { name: 'hop', url: `http://127.0.0.1:${redirector}/sse` })).status, 201)
    const agentId = await createAgent(app, { mcp_configs: ['hop'] })
    const failed = await runWith(http, agentId)
    assert.equal(failed.status, 'failed')
    assert.match(failed.error, /^MCP server 'hop' .* is unreachable/)
    assert.equal(target.connections, 0, 'the redirect was not followed')
  })

  it('refuses a setting that is not a host pattern', () => {
    assert.throws(
      () => testConfig({ ALLOWED_OUTBOUND_HOSTS: 'https://mcp.example.com/' }),
      /allowed_outbound_hosts.*must be a host, host:port or \*\.domain/,
    )
  })
})
