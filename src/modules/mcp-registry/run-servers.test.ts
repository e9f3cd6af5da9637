// Runs use the registry: an llm run calls a tool of a real MCP server registered over HTTP (its
// credentials sent), bindings and policies decide which servers a run gets, tool calls reach
// WebSocket clients as `tool_call` messages, and a server that is down fails the run readably.
import assert from 'node:assert/strict'
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider'
import { convertArrayToReadableStream, MockLanguageModelV3 } from 'ai/test'
import { WebSocket } from 'ws'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { buildTestApp, listen, type TestAppOptions } from '../../../test/helpers/build-test-app.js'
import { execute, executionRequest } from '../../../test/helpers/executor-harness.js'
import { closedPort } from '../../../test/helpers/fake-conductor.js'
import { fakeCliDir } from '../../../test/helpers/fake-cli.js'
import { startFakeLlmServer } from '../../../test/helpers/fake-llm-server.js'
import { httpJson } from '../../../test/helpers/http-json.js'
import { startMcpTestServer } from '../../../test/helpers/mcp-test-server.js'
import { waitFor } from '../../../test/helpers/wait.js'
import { LlmExecutor } from '../../engine/executors/llm.executor.js'

const KEY = Buffer.alloc(32, 7).toString('base64')
const TOKEN = 'calc-token-0123456789'

async function gateway(t: TestContext, options: TestAppOptions = {}) {
  const llm = await startFakeLlmServer(t)
  const mcp = await startMcpTestServer(t)
  const testApp = await buildTestApp(t, {
    ...options,
    env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseUrl, MCP_CREDENTIALS_KEY: KEY, MCP_PROBE_TIMEOUT_MS: '60000', ...options.env },
  })
  const base = await listen(testApp.app)
  return { ...testApp, llm, mcp, base, http: httpJson(base) }
}

async function run(http: ReturnType<typeof httpJson>, body: Record<string, unknown>) {
  const res = await http.call('POST', '/api/runs', { input: 'what is 40 + 2?', ai_provider: 'openai', wait: true, ...body })
  assert.ok(res.status === 200 || res.status === 202, JSON.stringify(res.body))
  return res.body
}

/** The names of the tools the model was offered in its first request. */
function offeredTools(llm: Awaited<ReturnType<typeof startFakeLlmServer>>): string[] {
  const tools = (llm.requests[0]?.body.tools ?? []) as Array<{ function: { name: string } }>
  return tools.map((tool) => tool.function.name).sort()
}

describe('runs use registered MCP servers', () => {
  it('an llm run calls a tool of a server registered over HTTP, with its credentials, and WebSocket clients see the call', async (t) => {
    const { http, llm, mcp, base, app } = await gateway(t)
    const socket = new WebSocket(`${base.replace('http', 'ws')}/ws/gamification`)
    t.after(() => socket.terminate())
    const frames: Array<{ type: string; data: Record<string, unknown> }> = []
    socket.on('message', (raw) => frames.push(JSON.parse(raw.toString())))
    await new Promise((resolve) => socket.once('open', resolve))

    assert.equal((await http.call('POST', '/mcp/register', { name: 'calc', url: mcp.url, auth: TOKEN })).status, 201)
    const agentId = await createAgent(app, { mcp_configs: ['calc'] })
    llm.script({ toolCalls: [{ id: 'call_1', name: 'add', arguments: { a: 40, b: 2 } }] }, { text: ['It is 42.'] })
    const done = await run(http, { agent_id: agentId, conversation_id: 'conv-1' })

    assert.equal(done.status, 'completed', done.error)
    assert.equal(done.output, 'It is 42.')
    assert.deepEqual(mcp.calls, [{ a: 40, b: 2 }])
    assert.ok(mcp.authorizations.length > 0)
    assert.ok(
      mcp.authorizations.every((a) => a === `Bearer ${TOKEN}`),
      'every request to the server carries its credentials',
    )
    assert.deepEqual(offeredTools(llm), ['add', 'explode'])

    await waitFor(() => frames.filter((f) => f.type === 'tool_call').length === 2, 10_000, 'both tool_call messages arrive')
    const calls = frames.filter((f) => f.type === 'tool_call').map((f) => f.data)
    assert.deepEqual(
      calls.map((c) => [c.phase, c.tool, c.call_id, c.mcp_name, c.conversation_id]),
      [
        ['start', 'add', 'call_1', 'calc', 'conv-1'],
        ['end', 'add', 'call_1', 'calc', 'conv-1'],
      ],
    )
    assert.deepEqual(calls[0]?.params, { a: 40, b: 2 })
    assert.equal(typeof (await http.call('GET', '/mcp/calc')).body.last_used, 'string', 'the registry records the use')
  })

  it('gives a run the servers its instance is bound to, and not the suspended ones', async (t) => {
    const { http, llm, mcp, app } = await gateway(t)
    await http.call('POST', '/mcp/register', { name: 'calc', url: mcp.url })
    const agentId = await createAgent(app)
    await http.call('POST', '/binder/bind', { instance_id: 'inst-1', agent_id: agentId, mcp_names: ['calc'] })
    const listing = await createAgent(app, { name: 'Listing_Agent', mcp_configs: ['calc'] })
    await http.call('POST', '/binder/bind', { instance_id: 'inst-2', agent_id: listing, mcp_names: ['calc'] })
    llm.script({ toolCalls: [{ id: 'call_1', name: 'add', arguments: { a: 1, b: 2 } }] }, { text: ['3'] })
    const bound = await run(http, { agent_id: agentId, instance_id: 'inst-1' })
    assert.equal(bound.status, 'completed', bound.error)
    assert.deepEqual(mcp.calls, [{ a: 1, b: 2 }])

    await http.call('POST', '/mcp/register', { name: 'calc', url: `http://127.0.0.1:${await closedPort()}/mcp` })
    await http.call('POST', '/binder/rebind/inst-1')
    llm.requests.length = 0
    llm.script({ text: ['no tools'] })
    const suspended = await run(http, { agent_id: agentId, instance_id: 'inst-1' })
    assert.equal(suspended.status, 'completed', suspended.error)
    assert.deepEqual(offeredTools(llm), [], 'a suspended server is left out')

    await http.call('POST', '/binder/rebind/inst-2')
    llm.requests.length = 0
    llm.script({ text: ['still no tools'] })
    const listed = await run(http, { agent_id: listing, instance_id: 'inst-2' })
    assert.equal(listed.status, 'completed', listed.error)
    assert.deepEqual(offeredTools(llm), [], 'suspended on the instance, even though its agent lists it')
  })

  it('leaves out the servers the agent’s policy denies', async (t) => {
    const { http, llm, mcp, app } = await gateway(t)
    await http.call('POST', '/mcp/register', { name: 'calc', url: mcp.url })
    const agentId = await createAgent(app, { mcp_configs: ['calc'] })
    await http.call('POST', '/binder/policies', { agent_id: agentId, denied_mcps: ['calc'] })
    llm.script({ text: ['fine'] })
    const done = await run(http, { agent_id: agentId })
    assert.equal(done.status, 'completed', done.error)
    assert.deepEqual(offeredTools(llm), [])
    assert.equal(mcp.authorizations.length, 0, 'the denied server is not even contacted')
  })

  it('fails only the run when a registered server is down, with an error naming it; the next run works', async (t) => {
    const { http, llm, app } = await gateway(t)
    const deadUrl = `http://127.0.0.1:${await closedPort()}/mcp`
    await http.call('POST', '/mcp/register', { name: 'crm', url: deadUrl })
    const withCrm = await createAgent(app, { mcp_configs: ['crm'] })
    const failed = await run(http, { agent_id: withCrm })
    assert.equal(failed.status, 'failed')
    assert.match(failed.error, new RegExp(`^MCP server 'crm' \\(${deadUrl.replace(/[./]/g, '\\$&')}\\) is unreachable`))
    assert.equal(llm.requests.length, 0)

    llm.script({ text: ['still here'] })
    const next = await run(http, { input: 'hello' })
    assert.equal(next.status, 'completed', next.error)
    assert.equal(next.output, 'still here')
  })

  it('names an MCP server that is neither registered nor configured', async (t) => {
    const { http, app } = await gateway(t)
    const agentId = await createAgent(app, { mcp_configs: ['ghost'] })
    const failed = await run(http, { agent_id: agentId })
    assert.equal(failed.status, 'failed')
    assert.match(failed.error, /^MCP server 'ghost' is not configured \(register it with POST \/mcp\/register/)
  })
})

describe('the llm executor with the registry (AI SDK mock model)', () => {
  it('calls a tool of a server registered over HTTP', async (t) => {
    const { http, mcp, deps } = await gateway(t)
    await http.call('POST', '/mcp/register', { name: 'calc', url: mcp.url, auth: TOKEN })
    await http.call('POST', '/binder/bind', { instance_id: 'inst-9', agent_id: 'agent-9', mcp_names: ['calc'] })
    const model = new MockLanguageModelV3({
      doStream: [
        turn([
          { type: 'tool-call', toolCallId: 'c1', toolName: 'add', input: JSON.stringify({ a: 2, b: 3 }) },
          { type: 'finish', usage: USAGE, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
        ]),
        turn([
          { type: 'text-start', id: 't' },
          { type: 'text-delta', id: 't', delta: 'five' },
          { type: 'text-end', id: 't' },
          { type: 'finish', usage: USAGE, finishReason: { unified: 'stop', raw: 'stop' } },
        ]),
      ],
    })
    const executor = new LlmExecutor({
      models: { model: () => ({ model, modelId: 'mock' }) },
      mcpServers: deps.mcpRegistry.runServers,
      maxSteps: 5,
      maxRetries: 0,
    })
    const result = await execute(executor, executionRequest({ instanceId: 'inst-9', agentId: 'agent-9', mcpServers: [] }))
    assert.equal(result.result.exitCode, 0, result.result.error)
    assert.deepEqual(mcp.calls, [{ a: 2, b: 3 }])
    const started = result.events.find((e) => e.type === 'tool.started')
    assert.equal(started?.type === 'tool.started' && started.server, 'calc')
  })
})

describe('cli runs get registered servers in --mcp-config', () => {
  it('writes the agent’s and the instance’s bound servers, credentials as headers', async (t) => {
    const dir = fakeCliDir(t)
    const copyTo = path.join(dir.dir, 'mcp-copy.json')
    const reader = path.join(dir.dir, 'claude-reader')
    writeFileSync(
      reader,
      `#!/usr/bin/env node
const fs = require('node:fs'); fs.readFileSync(0)
const argv = process.argv.slice(2)
fs.copyFileSync(argv[argv.indexOf('--mcp-config') + 1], ${JSON.stringify(copyTo)})
`,
    )
    chmodSync(reader, 0o755)
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-mcp-cwd-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    const { http, app } = await gateway(t, { env: { CLAUDE_COMMAND: reader, ALLOWED_OUTBOUND_HOSTS: '127.0.0.1,*.internal' } })
    await http.call('POST', '/mcp/register', { name: 'crm', url: 'http://crm.internal:9000/sse', auth: TOKEN })
    await http.call('POST', '/mcp/register', { name: 'docs', url: 'http://docs.internal:9000/mcp' })
    const agentId = await createAgent(app, { mcp_configs: ['crm'] })
    await http.call('POST', '/binder/policies', { agent_id: agentId, require_healthy: false })
    const bind = await http.call('POST', '/binder/bind', { instance_id: 'inst-c', agent_id: agentId, mcp_names: ['docs'] })
    assert.deepEqual(bind.body.bound_mcps, ['docs'])
    const done = await run(http, { agent_id: agentId, instance_id: 'inst-c', ai_provider: 'claude', cwd, input: 'hi' })
    assert.equal(done.exit_code, 0, done.error)
    assert.deepEqual(JSON.parse(readFileSync(copyTo, 'utf8')), {
      mcpServers: {
        crm: { type: 'sse', url: 'http://crm.internal:9000/sse', headers: { Authorization: `Bearer ${TOKEN}` } },
        docs: { type: 'http', url: 'http://docs.internal:9000/mcp' },
      },
    })
  })
})

const USAGE = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
}

function turn(parts: LanguageModelV3StreamPart[]): { stream: ReadableStream<LanguageModelV3StreamPart> } {
  return { stream: convertArrayToReadableStream(parts) }
}
