// The gateway's MCP server over real HTTP, driven by the official SDK client on both transports.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { buildTestApp, listen, type TestApp } from '../../../test/helpers/build-test-app.js'
import { waitFor } from '../../../test/helpers/wait.js'
import { PERSONA_TEMPLATES } from './persona-templates.js'

const ORIGINAL_TOOLS = [
  'list_available_agents',
  'get_agent_info',
  'validate_conductor_system',
  'execute_agent_stateless',
  'execute_agent_contextual',
  'start_interactive_session',
  'clear_agent_history',
  'install_agent_templates',
  'backup_agents',
  'restore_agents',
  'migrate_storage',
  'get_system_config',
  'set_environment',
]
const SCOPED_TOOLS = [
  'list_screenplays',
  'get_screenplay',
  'create_screenplay',
  'list_conversations',
  'get_conversation',
  'create_conversation',
  'list_runs',
  'get_run',
  'cancel_run',
]
const SECRET = 'sk-test-secret-value-that-must-not-leak'

type Transport = 'streamable-http' | 'sse'
const TRANSPORTS: Transport[] = ['streamable-http', 'sse']

async function connect(t: Pick<TestContext, 'after'>, base: string, transport: Transport): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' })
  await client.connect(
    transport === 'sse' ? new SSEClientTransport(new URL(`${base}/sse`)) : new StreamableHTTPClientTransport(new URL(`${base}/mcp`)),
  )
  t.after(() => client.close())
  return client
}

function textOf(result: unknown): string {
  const { content } = result as CallToolResult
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
}

// biome-ignore lint/suspicious/noExplicitAny: structured results are read field by field in assertions
function dataOf(result: unknown): any {
  return (result as CallToolResult).structuredContent
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult
}

async function gateway(t: TestContext, env: Record<string, string> = {}): Promise<{ testApp: TestApp; base: string; agentId: string }> {
  const testApp = await buildTestApp(t, { env: { OPENAI_API_KEY: SECRET, RUN_COALESCE_MS: '0', ...env } })
  const agentId = await createAgent(testApp.app, { ai_provider: 'echo' })
  return { testApp, agentId, base: await listen(testApp.app) }
}

for (const transport of TRANSPORTS) {
  describe(`MCP over ${transport}`, () => {
    it('lists every tool with described inputs', async (t) => {
      const { base } = await gateway(t)
      const client = await connect(t, base, transport)
      const { tools } = await client.listTools()
      const names = tools.map((tool) => tool.name)
      for (const name of [...ORIGINAL_TOOLS, ...SCOPED_TOOLS]) assert.ok(names.includes(name), `${name} is listed`)
      for (const tool of tools) {
        assert.ok(tool.description && tool.description.length > 20, `${tool.name} has a description`)
        const properties = (tool.inputSchema.properties ?? {}) as Record<string, { description?: string }>
        for (const [param, schema] of Object.entries(properties)) {
          assert.ok(schema.description, `${tool.name}.${param} has a description`)
        }
      }
    })

    it('calls the catalog, system and data tools', async (t) => {
      const { base, agentId } = await gateway(t)
      const client = await connect(t, base, transport)

      const agents = await call(client, 'list_available_agents')
      assert.ok(!agents.isError)
      assert.deepEqual(
        dataOf(agents).agents.map((a: { agent_id: string }) => a.agent_id),
        [agentId],
      )
      const info = await call(client, 'get_agent_info', { agent_id: agentId })
      assert.match(dataOf(info).persona, /Persona: Helper/)
      const unknown = await call(client, 'get_agent_info', { agent_id: 'Nobody_Agent' })
      assert.equal(unknown.isError, true)
      assert.match(textOf(unknown), /Nobody_Agent/)

      const checks = await call(client, 'validate_conductor_system')
      const byName = new Map(dataOf(checks).checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok]))
      assert.equal(byName.get('database'), true)
      assert.equal(byName.get('provider openai'), true)
      assert.equal(byName.get('provider anthropic'), false)
      assert.equal(byName.get('mcp registry'), true, 'an empty registry has nothing unhealthy')

      const config = await call(client, 'get_system_config')
      assert.ok(!textOf(config).includes(SECRET), 'no API key in the configuration')
      assert.equal(dataOf(config).providers.openai.api_key_set, true)
      const env = await call(client, 'set_environment', { environment: 'production' })
      assert.equal(env.isError, true)
      assert.match(textOf(env), /config\.yaml/)
      // The data tools call the data-transfer module; refusals come back as readable tool errors.
      const restore = await call(client, 'restore_agents', { backup_path: '/nonexistent-dir/backup.jsonl' })
      assert.equal(restore.isError, true)
      assert.match(textOf(restore), /no backup file at \/nonexistent-dir\/backup\.jsonl/)
      const migrate = await call(client, 'migrate_storage', { from_url: 'sqlite:./a.db', to_url: 'sqlite:./a.db' })
      assert.equal(migrate.isError, true)
      assert.match(textOf(migrate), /same database/)

      const templates = await call(client, 'install_agent_templates')
      assert.equal(dataOf(templates).templates.length, PERSONA_TEMPLATES.length)
      const template = PERSONA_TEMPLATES[0]!
      const installed = await call(client, 'install_agent_templates', { template_name: template.agentId })
      assert.equal(dataOf(installed).outcome, 'imported')
      const again = await call(client, 'install_agent_templates', { template_name: template.agentId })
      assert.equal(dataOf(again).outcome, 'unchanged')
      const templateInfo = await call(client, 'get_agent_info', { agent_id: template.agentId })
      assert.equal(dataOf(templateInfo).persona, template.personaContent)
      assert.equal((await call(client, 'install_agent_templates', { template_name: 'Missing' })).isError, true)

      const created = await call(client, 'create_screenplay', { name: 'Launch plan', content: '# Launch\n\nShip it.' })
      const screenplayId = dataOf(created).id
      assert.equal((await call(client, 'get_screenplay', { screenplay_id: 'missing' })).isError, true)
      assert.equal(dataOf(await call(client, 'get_screenplay', { screenplay_id: screenplayId })).content, '# Launch\n\nShip it.')
      assert.deepEqual(
        dataOf(await call(client, 'list_screenplays')).screenplays.map((s: { id: string }) => s.id),
        [screenplayId],
      )
      const conversation = await call(client, 'create_conversation', { title: 'Plan', screenplay_id: screenplayId, agent_id: agentId })
      const conversationId = dataOf(conversation).id
      assert.equal(dataOf(await call(client, 'get_conversation', { conversation_id: conversationId })).title, 'Plan')
      assert.equal(dataOf(await call(client, 'list_conversations', { screenplay_id: screenplayId })).total, 1)
      assert.equal((await call(client, 'create_conversation', { screenplay_id: 'no-such-screenplay' })).isError, true)

      const invalid = await call(client, 'list_runs', { limit: 1000 })
      assert.equal(invalid.isError, true, 'invalid arguments are a tool error')
      assert.match(textOf(invalid), /limit/)
    })

    it('runs agents through the run engine, with progress, history and run tools', async (t) => {
      // Words 20 ms apart: the SSE client SDK drops a notification that arrives in the same chunk as the
      // answer (see below), and an instant run could send `started` and the answer together.
      const { base, agentId, testApp } = await gateway(t, { ECHO_DELAY_MS: '20' })
      const client = await connect(t, base, transport)

      const progress: string[] = []
      const once = (await client.callTool(
        { name: 'execute_agent_stateless', arguments: { agent_id: agentId, input_text: 'alpha beta gamma' } },
        undefined,
        { onprogress: (p) => progress.push(p.message ?? '') },
      )) as CallToolResult
      assert.ok(!once.isError, textOf(once))
      assert.equal(textOf(once), 'alpha beta gamma')
      const run = await testApp.deps.runs.get(dataOf(once).run_id)
      assert.equal(run.source, 'mcp')
      assert.equal(run.options.contextMode, 'stateless')
      assert.ok(progress.includes('started'), progress.join(' | '))
      // The SSE client SDK drops notifications that arrive in the same chunk as the answer (it handles them a
      // microtask later, after the answer removed the progress handler); the Streamable HTTP client reads event by event.
      if (transport === 'streamable-http') {
        assert.ok(
          progress.some((m) => m.startsWith('writing')),
          progress.join(' | '),
        )
      }
      const first = await call(client, 'execute_agent_contextual', { agent_id: agentId, input_text: 'first question' })
      const conversationId = dataOf(first).conversation_id
      assert.equal(textOf(first), 'first question')
      const second = await call(client, 'execute_agent_contextual', {
        agent_id: agentId,
        input_text: 'second question',
        conversation_id: conversationId,
      })
      assert.equal(dataOf(second).conversation_id, conversationId)
      const history = dataOf(await call(client, 'get_conversation', { conversation_id: conversationId })).messages
      assert.deepEqual(
        history.map((m: { type: string; content: string }) => `${m.type}:${m.content}`),
        ['user:first question', 'bot:first question', 'user:second question', 'bot:second question'],
      )
      const fresh = await call(client, 'execute_agent_contextual', {
        agent_id: agentId,
        input_text: 'over',
        conversation_id: conversationId,
        clear_history: true,
      })
      assert.notEqual(dataOf(fresh).conversation_id, conversationId)

      const session = await call(client, 'start_interactive_session', { agent_id: agentId })
      assert.ok(dataOf(session).conversation_id)
      const sessionWithInput = await call(client, 'start_interactive_session', { agent_id: agentId, initial_input: 'hello there' })
      assert.equal(textOf(sessionWithInput), 'hello there')

      const withInstance = await call(client, 'execute_agent_stateless', { agent_id: agentId, input_text: 'kept', instance_id: 'inst-mcp-1' })
      assert.equal(textOf(withInstance), 'kept')
      const cleared = await call(client, 'clear_agent_history', { agent_id: agentId })
      assert.ok(dataOf(cleared).runs_hidden >= 1, textOf(cleared))
      assert.equal((await call(client, 'clear_agent_history', { agent_id: agentId, instance_id: 'someone-else' })).isError, true)

      const listed = dataOf(await call(client, 'list_runs', { agent_id: agentId, limit: 100 }))
      assert.ok(listed.runs.every((r: { source: string }) => r.source === 'mcp'))
      const got = dataOf(await call(client, 'get_run', { run_id: dataOf(once).run_id }))
      assert.equal(got.output, 'alpha beta gamma')
      assert.equal((await call(client, 'get_run', { run_id: 'no-such-run' })).isError, true)
      const failing = await call(client, 'execute_agent_stateless', { agent_id: 'Nobody_Agent', input_text: 'x' })
      assert.equal(failing.isError, true)
      assert.match(textOf(failing), /Nobody_Agent/)
    })

    it('answers a run id for a run longer than the wait, and cancels a run when the call is cancelled', async (t) => {
      const { base, agentId, testApp } = await gateway(t, { ECHO_DELAY_MS: '200', MCP_TOOL_WAIT_MS: '300' })
      const client = await connect(t, base, transport)
      const long = await call(client, 'execute_agent_stateless', { agent_id: agentId, input_text: 'a b c d e f g h i j k l m n o p' })
      assert.ok(!long.isError)
      assert.equal(dataOf(long).status, 'running')
      assert.match(textOf(long), /get_run/)
      const runId = dataOf(long).run_id
      await waitFor(async () => (await testApp.deps.runs.get(runId)).status === 'completed', 20_000, 'the long run completed')
      assert.equal(dataOf(await call(client, 'get_run', { run_id: runId })).output, 'a b c d e f g h i j k l m n o p')

      const stop = new AbortController()
      let startedRun: string | undefined
      const cancelled = client.callTool(
        { name: 'execute_agent_stateless', arguments: { agent_id: agentId, input_text: 'w1 w2 w3 w4 w5 w6' } },
        undefined,
        {
          signal: stop.signal,
          onprogress: () => {},
        },
      )
      await waitFor(
        async () => {
          const { runs } = await testApp.deps.runs.list({ statuses: ['running'], limit: 10, offset: 0 })
          startedRun = runs[0]?.id
          return startedRun !== undefined
        },
        10_000,
        'the second run is running',
      )
      stop.abort('changed my mind')
      await assert.rejects(cancelled)
      await waitFor(async () => (await testApp.deps.runs.get(startedRun!)).status === 'cancelled', 10_000, 'the run was cancelled')
    })

    it('serves screenplays as resources and personas as prompts', async (t) => {
      const { base, agentId, testApp } = await gateway(t)
      const client = await connect(t, base, transport)
      const screenplay = await testApp.deps.screenplays.create({ name: 'Roadmap', description: 'Next quarter', content: '# Roadmap' })
      const { resources } = await client.listResources()
      assert.deepEqual(
        resources.map((r) => [r.uri, r.name, r.mimeType]),
        [[`screenplay://${screenplay.id}`, 'Roadmap', 'text/markdown']],
      )
      const read = await client.readResource({ uri: `screenplay://${screenplay.id}` })
      assert.equal((read.contents[0] as { text: string }).text, '# Roadmap')
      await assert.rejects(client.readResource({ uri: 'screenplay://missing' }), /Screenplay not found/)

      const { prompts } = await client.listPrompts()
      assert.deepEqual(
        prompts.map((p) => p.name),
        [agentId],
      )
      const prompt = await client.getPrompt({ name: agentId, arguments: { task: 'Review my plan' } })
      const text = (prompt.messages[0]!.content as { text: string }).text
      assert.match(text, /Persona: Helper/)
      assert.match(text, /Review my plan$/)
      await assert.rejects(client.getPrompt({ name: 'Nobody_Agent' }), /No agent named/)
    })
  })
}

describe('MCP transport rules', () => {
  const initialize = {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  }
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

  it('refuses foreign origins and non-local Host names (403), unsupported protocol versions (400); notifications get 202', async (t) => {
    const { base } = await gateway(t)
    const port = new URL(base).port
    const post = (extra: Record<string, string>, body: unknown = initialize) =>
      fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...extra }, body: JSON.stringify(body) })

    const ok = await post({ origin: `http://localhost:${port}` })
    assert.equal(ok.status, 200)
    assert.match(ok.headers.get('content-type') ?? '', /text\/event-stream/)
    assert.match(await ok.text(), /"protocolVersion":"2025-11-25"/)
    assert.ok(ok.headers.get('mcp-session-id'), 'a correlation id is handed out')
    const older = await post({}, { ...initialize, params: { ...initialize.params, protocolVersion: '2025-06-18' } })
    assert.match(await older.text(), /"protocolVersion":"2025-06-18"/)

    const foreign = await post({ origin: 'https://evil.example.com' })
    assert.equal(foreign.status, 403)
    assert.match(((await foreign.json()) as { detail: string }).detail, /evil\.example\.com/)
    // fetch sets Host itself; node:http lets the test send a rebinding name.
    const rebinding = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request(`${base}/mcp`, { method: 'POST', headers: { ...headers, host: `evil.example.com:${port}` } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on('error', reject)
        req.end(JSON.stringify(initialize))
      }, reject)
    })
    assert.equal(rebinding, 403)
    assert.equal((await fetch(`${base}/sse`, { headers: { origin: 'https://evil.example.com' } })).status, 403)

    const badVersion = await post({ 'mcp-protocol-version': '1999-01-01' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' })
    assert.equal(badVersion.status, 400)
    assert.match(await badVersion.text(), /Unsupported protocol version/)
    const goodVersion = await post({ 'mcp-protocol-version': '2025-06-18' }, { jsonrpc: '2.0', id: 3, method: 'tools/list' })
    assert.equal(goodVersion.status, 200)
    const notification = await post({ 'mcp-protocol-version': '2025-11-25' }, { jsonrpc: '2.0', method: 'notifications/initialized' })
    assert.equal(notification.status, 202)

    assert.equal((await fetch(`${base}/mcp`, { headers: { accept: 'text/event-stream' } })).status, 405)
    const empty = await fetch(`${base}/mcp`, { method: 'POST', headers })
    assert.equal(empty.status, 400)
    const notJsonRpc = await post({}, { hello: 'world' })
    assert.equal(notJsonRpc.status, 400)
    const malformed = await fetch(`${base}/mcp`, { method: 'POST', headers, body: '{"jsonrpc":' })
    assert.equal(malformed.status, 400)
  })

  it('answers 404 for a legacy session no instance holds, 422 for a malformed session id, 400 for a body that is not JSON-RPC', async (t) => {
    const { base } = await gateway(t)
    const message = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    const post = (query: string, body = message) =>
      fetch(`${base}/messages${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    const missing = await post('?sessionId=4f1c2a3e-9b7d-4c1e-8f00-123456789abc')
    assert.equal(missing.status, 404)
    assert.match(((await missing.json()) as { detail: string }).detail, /Session not found/)
    assert.equal((await post('?sessionId=nope')).status, 422)
    assert.equal((await post('')).status, 422)
    assert.equal((await post('?sessionId=4f1c2a3e-9b7d-4c1e-8f00-123456789abc', '{"hello": 1}')).status, 400)
  })
})

describe('MCP introspection routes', () => {
  it('describe the one endpoint: /mcps/status, /mcps/config, /api/system/mcp/sidecars', async (t) => {
    const { testApp } = await gateway(t)
    const { app, config } = testApp
    const status = (await app.inject('/mcps/status')).json()
    assert.equal(status.status, 'ok')
    assert.equal(status.mcps.conductor.running, true)
    assert.equal(status.mcps.conductor.url, `http://localhost:${config.server.port}/mcp`)
    assert.deepEqual(status.mcp_config.mcpServers.conductor, { type: 'http', transport: 'http', url: `http://localhost:${config.server.port}/mcp` })
    const forHost = (await app.inject('/mcps/config?host=gateway.internal')).json()
    assert.equal(forHost.mcpServers.conductor.url, `http://gateway.internal:${config.server.port}/mcp`)
    assert.equal((await app.inject('/mcps/config?host=a/b')).statusCode, 422)
    const sidecars = (await app.inject('/api/system/mcp/sidecars')).json()
    assert.equal(sidecars.count, 1)
    assert.equal(sidecars.sidecars[0].url, `http://localhost:${config.server.port}/mcp`)
  })
})
