// The real executors through the whole app: HTTP → run service → worker → executor → events →
// run row, against a fake LLM server, fake CLI scripts and a fake Conductor.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { createAgent, PERSONA } from '../../../test/helpers/agent-factories.js'
import { buildTestApp } from '../../../test/helpers/build-test-app.js'
import { startFakeConductor, deferred, taskDocument, type ConductorAnswer } from '../../../test/helpers/fake-conductor.js'
import { fakeCliDir, isProcessRunning, waitUntil } from '../../../test/helpers/fake-cli.js'
import { startFakeLlmServer } from '../../../test/helpers/fake-llm-server.js'
import { startMcpTestServer } from '../../../test/helpers/mcp-test-server.js'

function workDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-e2e-cwd-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function createRun(app: FastifyInstance, body: Record<string, unknown>) {
  const res = await app.inject({ method: 'POST', url: '/api/runs', payload: body })
  assert.ok(res.statusCode === 200 || res.statusCode === 202, res.body)
  return res.json()
}

/** The run's stored events, replayed over SSE (the run has ended, so the stream ends). */
async function eventsOf(app: FastifyInstance, runId: string): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const res = await app.inject({ method: 'GET', url: `/api/runs/${runId}/events` })
  return res.body
    .split('\n\n')
    .map((frame) => ({ event: /^event: (.*)$/m.exec(frame)?.[1], data: /^data: (.*)$/m.exec(frame)?.[1] }))
    .filter((f): f is { event: string; data: string } => f.event !== undefined && f.data !== undefined)
    .map((f) => ({ event: f.event, data: JSON.parse(f.data) as Record<string, unknown> }))
}

describe('llm executor end to end', () => {
  it('completes an openai run against an OpenAI-compatible server', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['Hello', ' from', ' the model'], usage: { input: 11, output: 3 } })
    const { app } = await buildTestApp(t, { env: { OPENAI_API_KEY: 'sk-e2e', OPENAI_BASE_URL: server.baseUrl } })
    const run = await createRun(app, { input: 'greet me', ai_provider: 'openai', model: 'gpt-e2e', wait: true })

    assert.equal(run.status, 'completed')
    assert.equal(run.executor, 'llm')
    assert.equal(run.output, 'Hello from the model')
    assert.deepEqual(run.usage, { tokens_in: 11, tokens_out: 3 })
    assert.equal(server.requests[0]?.body.model, 'gpt-e2e')
    const events = await eventsOf(app, run.run_id)
    assert.equal(
      events
        .filter((e) => e.event === 'text.delta')
        .map((e) => e.data.text)
        .join(''),
      'Hello from the model',
    )
    assert.equal(events.at(-1)?.event, 'run.completed')
  })

  it('stores the model’s token deltas coalesced, not one event per token', async (t) => {
    const server = await startFakeLlmServer(t)
    const tokens = ['one', ' two', ' three', ' four', ' five', ' six']
    server.script({ text: tokens, chunkDelayMs: 10 })
    const { app } = await buildTestApp(t, { env: { OPENAI_API_KEY: 'sk-e2e', OPENAI_BASE_URL: server.baseUrl, RUN_COALESCE_MS: '60000' } })
    const run = await createRun(app, { input: 'count', ai_provider: 'openai', wait: true })
    assert.equal(run.status, 'completed', run.error)
    const deltas = (await eventsOf(app, run.run_id)).filter((e) => e.event === 'text.delta')
    assert.deepEqual(
      deltas.map((e) => e.data.text),
      [tokens.join('')],
      'six tokens, one stored event',
    )
  })

  it('fails the run with a readable error when the key is missing', async (t) => {
    const { app } = await buildTestApp(t)
    const run = await createRun(app, { input: 'greet me', ai_provider: 'openai', wait: true })
    assert.equal(run.status, 'failed')
    assert.equal(run.exit_code, 1)
    assert.equal(run.error, 'OPENAI_API_KEY is not configured (providers.openai.api_key); the openai provider cannot run')
  })
})

describe('llm executor end to end with an agent', () => {
  it('sends the agent’s persona as the system prompt and gives the model its MCP tools', async (t) => {
    const server = await startFakeLlmServer(t)
    const mcp = await startMcpTestServer(t)
    server.script({ toolCalls: [{ id: 'call_1', name: 'add', arguments: { a: 40, b: 2 } }] }, { text: ['It is 42.'] })
    const { app } = await buildTestApp(t, { env: { OPENAI_API_KEY: 'sk-e2e', OPENAI_BASE_URL: server.baseUrl, MCP_SERVERS: `calc=${mcp.url}` } })
    const agentId = await createAgent(app, { mcp_configs: ['calc'] })
    const run = await createRun(app, { input: 'what is 40 + 2?', agent_id: agentId, ai_provider: 'openai', wait: true })

    assert.equal(run.status, 'completed', run.error)
    assert.equal(run.output, 'It is 42.')
    assert.deepEqual(mcp.calls, [{ a: 40, b: 2 }])
    const messages = server.requests[0]?.body.messages as Array<{ role: string; content: string }>
    assert.equal(messages[0]?.role, 'system')
    assert.ok(messages[0]?.content.includes(PERSONA.trim()))
    const events = await eventsOf(app, run.run_id)
    assert.deepEqual(
      events.filter((e) => e.event.startsWith('tool.')).map((e) => [e.event, e.data.name]),
      [
        ['tool.started', 'add'],
        ['tool.finished', 'add'],
      ],
    )
  })

  it('fails the run naming the agent’s MCP server that is not configured', async (t) => {
    const server = await startFakeLlmServer(t)
    const { app } = await buildTestApp(t, { env: { OPENAI_API_KEY: 'sk-e2e', OPENAI_BASE_URL: server.baseUrl } })
    const agentId = await createAgent(app, { mcp_configs: ['crm'] })
    const run = await createRun(app, { input: 'hi', agent_id: agentId, ai_provider: 'openai', wait: true })
    assert.equal(run.status, 'failed')
    assert.match(run.error, /MCP server 'crm' is not configured/)
    assert.equal(server.requests.length, 0)
  })
})

describe('cli executor end to end', () => {
  it('completes a claude run and keeps the raw stream-json as provider events', async (t) => {
    const claude = fakeCliDir(t).claude()
    const cwd = workDir(t)
    const { app } = await buildTestApp(t, { env: { CLAUDE_COMMAND: claude.command } })
    const run = await createRun(app, { input: 'list files', ai_provider: 'claude', cwd, wait: true })

    assert.equal(run.status, 'completed', run.error)
    assert.equal(run.executor, 'cli')
    assert.equal(run.output, 'I will list the files.\nThere is a.txt.')
    assert.deepEqual(run.usage, { tokens_in: 105, tokens_out: 20, cost_usd: 0.0123 })
    assert.equal(claude.invocation()?.cwd, cwd)
    const events = await eventsOf(app, run.run_id)
    const raw = events.filter((e) => e.event === 'provider.event')
    assert.equal(raw.length, 6)
    assert.deepEqual(raw[0]?.data.provider, 'claude')
    assert.deepEqual((raw[0]!.data.event as { type: string }).type, 'system')
    assert.deepEqual(
      events.filter((e) => e.event.startsWith('tool.')).map((e) => e.event),
      ['tool.started', 'tool.finished'],
    )
  })

  it('cancels a running claude run: status cancelled, partial output kept, process killed', async (t) => {
    const slow = fakeCliDir(t).slow()
    const { app } = await buildTestApp(t, { env: { CLAUDE_COMMAND: slow.command, CLI_KILL_GRACE_MS: '300' } })
    const run = await createRun(app, { input: 'wait forever', ai_provider: 'claude', cwd: workDir(t) })
    // queued, started, the raw assistant event, then its text: the CLI has spoken.
    const lastSeq = async () => (await app.inject({ method: 'GET', url: `/api/runs/${run.run_id}` })).json().last_seq as number
    await waitUntil(async () => (await lastSeq()) >= 4, 15_000, 'the CLI printed its first line')

    const res = await app.inject({ method: 'POST', url: `/api/runs/${run.run_id}/cancel` })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().status, 'cancelled')
    assert.equal(res.json().output, 'started, now waiting')
    const pids = slow.pids()!
    assert.equal(isProcessRunning(pids.self), false)
    await waitUntil(() => !isProcessRunning(pids.child!), 5_000, 'the CLI’s child is gone')
  })

  it('times out a claude run that does not finish: status timed_out, exit 124, process killed', async (t) => {
    const slow = fakeCliDir(t).slow()
    const { app } = await buildTestApp(t, { env: { CLAUDE_COMMAND: slow.command, CLI_KILL_GRACE_MS: '300' } })
    const run = await createRun(app, { input: 'wait forever', ai_provider: 'claude', cwd: workDir(t), timeout_ms: 1_500, wait: true })
    assert.equal(run.status, 'timed_out')
    assert.equal(run.exit_code, 124)
    const pids = slow.pids()
    if (pids) await waitUntil(() => !isProcessRunning(pids.self) && !isProcessRunning(pids.child!), 5_000, 'the CLI and its child are gone')
  })

  it('fails a run whose CLI is not installed with exit code 127', async (t) => {
    const { app } = await buildTestApp(t, { env: { GEMINI_COMMAND: '/nonexistent/gemini' } })
    const run = await createRun(app, { input: 'hi', ai_provider: 'gemini', cwd: workDir(t), wait: true })
    assert.equal(run.status, 'failed')
    assert.equal(run.exit_code, 127)
    assert.match(run.error, /command not found: \/nonexistent\/gemini/)
  })
})

describe('conductor executor end to end', () => {
  it('delegates to the Conductor and streams the watcher’s /ws/agent-stream frames into the run', async (t) => {
    const conductor = await startFakeConductor(t)
    const release = deferred<ConductorAnswer>()
    conductor.answer(() => release.promise)
    const token = 'a-long-shared-secret-for-e2e'
    const { app, deps } = await buildTestApp(t, { env: { CONDUCTOR_API_URL: conductor.url, INTERNAL_TOKEN: token } })
    const agentId = await createAgent(app, { name: 'Writer_Agent' })
    const created = await createRun(app, {
      input: 'write a haiku',
      agent_id: agentId,
      ai_provider: 'conductor',
      cwd: workDir(t),
      context_mode: 'stateless',
      timeout_ms: 60_000,
    })
    const call = await conductor.nextCall()
    assert.equal(call.path, '/agents/Writer_Agent/execute')
    assert.equal(call.body.task_id, created.run_id)
    assert.equal(call.body.context_mode, 'stateless')
    assert.equal(call.body.timeout, 60)

    const watcher = await app.injectWS('/ws/agent-stream', { headers: { 'x-internal-token': token } })
    t.after(() => watcher.terminate())
    const event = { type: 'assistant', message: { content: [{ type: 'text', text: 'Autumn wind' }] } }
    watcher.send(
      JSON.stringify({ type: 'agent_stream', data: { task_id: created.run_id, agent_id: 'Writer_Agent', event_type: 'assistant', event } }),
    )
    // queued, started, then the raw event and its text.
    const lastSeq = async () => (await app.inject({ method: 'GET', url: `/api/runs/${created.run_id}` })).json().last_seq as number
    await waitUntil(async () => (await lastSeq()) >= 4, 15_000, 'the watcher frame reached the run')
    release.resolve({ body: taskDocument(call, { result: 'Autumn wind, final' }) })

    await deps.runs.waitForEnd(created.run_id, 15_000)
    const run = (await app.inject({ method: 'GET', url: `/api/runs/${created.run_id}` })).json()
    assert.equal(run.status, 'completed')
    assert.equal(run.executor, 'conductor')
    assert.equal(run.output, 'Autumn wind, final')
    const events = await eventsOf(app, created.run_id)
    const streamed = events.filter((e) => e.event === 'provider.event' || e.event === 'text.delta')
    assert.deepEqual(
      streamed.map((e) => e.event),
      ['provider.event', 'text.delta'],
    )
    assert.deepEqual(streamed[0]?.data.event, event)
    assert.equal(streamed[1]?.data.text, 'Autumn wind')
  })

  it('fails the run with the Conductor’s error', async (t) => {
    const conductor = await startFakeConductor(t)
    conductor.answer(() => ({ status: 500, body: { detail: 'Agent not found' } }))
    const { app } = await buildTestApp(t, { env: { CONDUCTOR_API_URL: conductor.url } })
    const agentId = await createAgent(app)
    const run = await createRun(app, { input: 'x', agent_id: agentId, ai_provider: 'conductor', cwd: workDir(t), wait: true })
    assert.equal(run.status, 'failed')
    assert.equal(run.error, 'Conductor API error (HTTP 500): Agent not found')
  })
})
