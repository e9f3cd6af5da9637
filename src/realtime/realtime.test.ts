import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { WebSocket } from 'ws'
import { buildTestApp, listen } from '../../test/helpers/build-test-app.js'
import { fakeCliDir } from '../../test/helpers/fake-cli.js'

interface Frame {
  type: string
  data: Record<string, unknown>
  timestamp: number
}

/** Collects a socket's JSON frames and waits for ones matching a predicate. */
function collect(socket: WebSocket) {
  const frames: Frame[] = []
  const waiters = new Set<() => void>()
  socket.on('message', (raw) => {
    frames.push(JSON.parse(raw.toString()))
    for (const waiter of waiters) waiter()
  })
  return {
    frames,
    async until(predicate: (frames: Frame[]) => boolean, timeoutMs = 10_000): Promise<Frame[]> {
      if (predicate(frames)) return frames
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out: ${JSON.stringify(frames.map((f) => f.type))}`)), timeoutMs)
        const check = () => {
          if (!predicate(frames)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(frames)
        }
        waiters.add(check)
      })
    },
  }
}

const types = (frames: Frame[]) => frames.map((f) => f.type)

/** Opens an injected WebSocket, collecting frames from the very first one. */
async function connect(app: FastifyInstance, path: string, context: Record<string, unknown> = {}) {
  let inbox: ReturnType<typeof collect> | undefined
  const socket = await app.injectWS(path, context, { onInit: (ws: WebSocket) => (inbox = collect(ws)) })
  return { socket, inbox: inbox! }
}

/** A browser on the feed, then a run of the councilor scheduler ('check the build'). */
async function watchCouncilorRun(t: TestContext, provider: string, councilorId: string) {
  const { app, deps } = await buildTestApp(t)
  const { socket: ws, inbox } = await connect(app, '/ws/gamification')
  t.after(() => ws.terminate())
  const run = await deps.runs.create({
    source: 'councilor',
    input: 'check the build',
    provider,
    councilor: { councilorId, taskName: 'Build check', displayName: 'Builder' },
  })
  return { run, inbox }
}

describe('WS /ws/gamification', () => {
  it('greets each client and answers its commands', async (t) => {
    const { app } = await buildTestApp(t)
    const before = Date.now()
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    await inbox.until((f) => f.length === 1)
    assert.equal(inbox.frames[0]!.type, 'connected')
    assert.equal(typeof inbox.frames[0]!.data.client_id, 'string')
    const { timestamp } = inbox.frames[0]!
    assert.ok(timestamp >= before / 1000 && timestamp <= Date.now() / 1000, `the time of sending, in seconds: ${timestamp}`)
    ws.send(JSON.stringify({ command: 'ping' }))
    ws.send(JSON.stringify({ command: 'get_stats' }))
    ws.send(JSON.stringify({ command: 'dance' }))
    ws.send('not json')
    await inbox.until((f) => f.length === 5)
    assert.deepEqual(types(inbox.frames), ['connected', 'pong', 'stats', 'error', 'error'])
    assert.equal(inbox.frames[2]!.data.active_connections, 1)
    assert.equal(inbox.frames[3]!.data.message, 'Unknown command: dance')
  })

  it('delivers only the subscribed types after subscribe', async (t) => {
    const { app } = await buildTestApp(t)
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    ws.send(JSON.stringify({ command: 'subscribe', topics: ['task_completed'] }))
    await inbox.until((f) => types(f).includes('subscribed'))
    await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'hello', ai_provider: 'echo', wait: true } })
    await inbox.until((f) => types(f).includes('task_completed'))
    assert.deepEqual(types(inbox.frames), ['connected', 'subscribed', 'task_completed'])
  })

  it('tells the feed about a run from submission to completion', async (t) => {
    // Echo pauses before each word, so a run lasts a while and its duration is not 0.
    const { app } = await buildTestApp(t, { env: { ECHO_DELAY_MS: '20' } })
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    const run = (
      await app.inject({
        method: 'POST',
        url: '/api/runs',
        payload: { input: 'all done here', ai_provider: 'echo', conversation_id: 'c7', wait: true },
      })
    ).json()
    await inbox.until((f) => types(f).includes('stream_end'))
    assert.deepEqual(types(inbox.frames), ['connected', 'task_submitted', 'task_picked', 'stream_start', 'task_completed', 'stream_end'])
    const completed = inbox.frames.find((f) => f.type === 'task_completed')!.data
    assert.equal(completed.task_id, run.run_id)
    assert.equal(completed.conversation_id, 'c7')
    assert.equal(completed.status, 'completed')
    assert.equal(completed.result_summary, 'all done here')
    assert.equal(completed.level, 'result')
    assert.equal(completed.duration_ms, Date.parse(run.ended_at) - Date.parse(run.started_at))
  })

  it('tells the feed how a completed run reads: its severity from its output', async (t) => {
    const { app } = await buildTestApp(t)
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    const cases = [
      ['all done here', 'success'],
      ['one call is deprecated', 'warning'],
      ['the build failed twice', 'error'],
    ]
    for (const [input, severity] of cases) {
      const run = (await app.inject({ method: 'POST', url: '/api/runs', payload: { input, ai_provider: 'echo', wait: true } })).json()
      assert.deepEqual([run.status, run.severity], ['completed', severity], input)
      const isIt = (f: Frame) => f.type === 'task_completed' && f.data.task_id === run.run_id
      const completed = (await inbox.until((frames) => frames.some(isIt))).find(isIt)!.data
      assert.deepEqual([completed.status, completed.severity], ['completed', severity], input)
    }
  })

  it('reports a failed run as task_error', async (t) => {
    const { app } = await buildTestApp(t)
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    await app.inject({ method: 'POST', url: '/api/runs', payload: { input: 'x', ai_provider: 'openai', wait: true } })
    const frames = await inbox.until((f) => types(f).includes('task_error'))
    assert.equal(frames.find((f) => f.type === 'task_error')!.data.status, 'error')
  })

  it('has the councilor feed ready for runs of the councilor scheduler', async (t) => {
    const { run, inbox } = await watchCouncilorRun(t, 'echo', 'councilor_X_1')
    const frames = await inbox.until((f) => types(f).includes('councilor_completed'))
    const started = frames.find((f) => f.type === 'councilor_started')!.data
    const completed = frames.find((f) => f.type === 'councilor_completed')!.data
    assert.deepEqual([started.councilor_id, started.task_name, started.execution_id], ['councilor_X_1', 'Build check', run.id])
    assert.deepEqual([completed.status, completed.result, completed.severity], ['completed', 'check the build', 'success'])
  })

  it('announces a stream-execute run as task_started, as the original did', async (t) => {
    const { app } = await buildTestApp(t)
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    const job = (
      await app.inject({ method: 'POST', url: '/api/v1/stream-execute', payload: { input: 'streamed', ai_provider: 'echo', instance_id: 'inst-s' } })
    ).json()
    const frames = await inbox.until((f) => types(f).includes('stream_end'))
    assert.deepEqual(types(frames), ['connected', 'task_started', 'task_picked', 'stream_start', 'task_completed', 'stream_end'])
    const started = frames[1]!.data
    assert.deepEqual(
      [started.task_id, started.instance_id, started.status, started.level],
      [job.job_id.slice('job_'.length), 'inst-s', 'processing', 'debug'],
    )
    assert.equal(started.agent_emoji, '🤖')
  })

  it('gives the debug console the raw Claude stream-json of a cli run, with the news and tool calls it carries', async (t) => {
    const claude = fakeCliDir(t).claude()
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-ws-cli-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    const { app } = await buildTestApp(t, { env: { CLAUDE_COMMAND: claude.command } })
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    const run = (
      await app.inject({
        method: 'POST',
        url: '/api/runs',
        payload: { input: 'list files', ai_provider: 'claude', cwd, conversation_id: 'c-cli', wait: true },
      })
    ).json()
    assert.equal(run.status, 'completed', run.error)
    const frames = await inbox.until((f) => types(f).includes('stream_end'))
    const raw = frames.filter((f) => f.type === 'agent_stream')
    assert.deepEqual(
      raw.map((f) => f.data.event_type),
      ['system', 'assistant', 'assistant', 'user', 'stream_event', 'result'],
    )
    assert.deepEqual(
      raw[0]!.data.event,
      { type: 'system', subtype: 'init', session_id: 's-1', tools: ['Bash'], mcp_servers: [] },
      'the CLI’s object, unchanged',
    )
    assert.deepEqual([raw[0]!.data.task_id, raw[0]!.data.conversation_id, raw[0]!.data.level], [run.run_id, 'c-cli', 'debug'])
    const news = (type: string) => frames.find((f) => f.type === type)!.data
    assert.deepEqual([news('agent_init').tools_count, news('agent_init').mcp_servers, news('agent_init').level], [1, [], 'news'])
    assert.deepEqual(
      [news('agent_tool_use').tool, news('agent_tool_use').tool_id, news('agent_tool_use').input_keys],
      ['Bash', 'toolu_1', ['command']],
    )
    assert.deepEqual([news('agent_result').subtype, news('agent_result').cost_usd, news('agent_result').num_turns], ['success', 0.0123, 2])
    const calls = frames.filter((f) => f.type === 'tool_call').map((f) => [f.data.phase, f.data.tool, f.data.call_id, f.data.conversation_id])
    assert.deepEqual(calls, [
      ['start', 'Bash', 'toolu_1', 'c-cli'],
      ['end', 'Bash', 'toolu_1', 'c-cli'],
    ])
    assert.deepEqual(news('stream_end').stats, { tool_calls: 1 })
  })

  it('reports a failed councilor run as councilor_error', async (t) => {
    const { run, inbox } = await watchCouncilorRun(t, 'openai', 'councilor_X_2')
    const frames = await inbox.until((f) => types(f).includes('councilor_error'))
    const error = frames.find((f) => f.type === 'councilor_error')!.data
    assert.deepEqual([error.councilor_id, error.execution_id, error.status, error.severity], ['councilor_X_2', run.id, 'error', 'error'])
    assert.match(String(error.error), /OPENAI_API_KEY is not configured/)
  })

  it('drops a client that stops reading while the others keep receiving everything', { timeout: 60_000 }, async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { SSE_MAX_BUFFERED_BYTES: '65536' } })
    const base = (await listen(app)).replace('http', 'ws')
    const fast = new WebSocket(`${base}/ws/gamification`)
    const slow = new WebSocket(`${base}/ws/gamification`)
    t.after(() => {
      fast.terminate()
      slow.terminate()
    })
    const fastInbox = collect(fast)
    collect(slow)
    await Promise.all([new Promise((r) => fast.once('open', r)), new Promise((r) => slow.once('open', r))])
    await fastInbox.until((f) => f.length === 1)
    // The slow client stops reading its socket: what the server sends piles up in its buffer.
    ;(slow as unknown as { _socket: { pause(): void } })._socket.pause()
    const slowClosed = new Promise((resolve) => slow.once('close', resolve))
    const blob = 'x'.repeat(200_000)
    for (let i = 0; i < 40; i++) {
      deps.gamification.broadcast({ type: 'system_alert', data: { message: `alert ${i}`, blob } })
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await fastInbox.until((f) => f.filter((m) => m.type === 'system_alert').length === 40, 20_000)
    assert.equal(deps.gamification.clientCount, 1, 'the slow client was dropped')
    ;(slow as unknown as { _socket: { resume(): void } })._socket.resume()
    await slowClosed
  })
})

const WATCHER_TOKEN = 'a-long-shared-secret-123'
const AS_WATCHER = { env: { INTERNAL_TOKEN: WATCHER_TOKEN } }
const WATCHER_HEADERS = { 'x-internal-token': WATCHER_TOKEN }

describe('POST /api/internal/task-event', () => {
  it('rebroadcasts a watcher event with its data unchanged', async (t) => {
    const { app } = await buildTestApp(t, AS_WATCHER)
    const { socket: ws, inbox } = await connect(app, '/ws/gamification')
    t.after(() => ws.terminate())
    await inbox.until((f) => f.length === 1)
    const data = { task_id: 't1', agent_id: 'A', status: 'completed', duration_ms: 1234, result_summary: 'ok' }
    const res = await app.inject({
      method: 'POST',
      url: '/api/internal/task-event',
      payload: { type: 'task_completed', data },
      headers: WATCHER_HEADERS,
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { success: true, message: 'Event task_completed broadcasted', clients_count: 1 })
    const frames = await inbox.until((f) => types(f).includes('task_completed'))
    assert.deepEqual(frames.at(-1)!.data, data)
  })

  it('refuses unknown or missing types with 422', async (t) => {
    const { app } = await buildTestApp(t, AS_WATCHER)
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/internal/task-event',
      payload: { type: 'task_exploded' },
      headers: WATCHER_HEADERS,
    })
    assert.equal(unknown.statusCode, 422)
    assert.match(unknown.json().detail, /body\.type: must be one of: task_inputted/)
    const missing = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload: { data: {} }, headers: WATCHER_HEADERS })
    assert.equal(missing.statusCode, 422)
  })

  it('never trusts the caller’s address: a local caller, direct or behind a reverse proxy, needs a credential', async (t) => {
    const { app } = await buildTestApp(t, { env: { TRUST_PROXY: 'true' } })
    const payload = { type: 'task_picked', data: {} }
    const local = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload, remoteAddress: '127.0.0.1' })
    assert.equal(local.statusCode, 401)
    assert.match(local.json().detail, /INTERNAL_TOKEN/)
    // What a reverse proxy on the same host delivers: a loopback peer forwarding an internet caller.
    const proxied = await app.inject({
      method: 'POST',
      url: '/api/internal/task-event',
      payload,
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    assert.equal(proxied.statusCode, 401)
    const spoofed = await app.inject({
      method: 'POST',
      url: '/api/internal/task-event',
      payload,
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '127.0.0.1' },
    })
    assert.equal(spoofed.statusCode, 401)
    await assert.rejects(app.injectWS('/ws/agent-stream', { remoteAddress: '127.0.0.1' } as never), /401/)
  })

  it('requires the shared token when one is configured', async (t) => {
    const token = 'a-long-shared-secret-123'
    const { app } = await buildTestApp(t, { env: { INTERNAL_TOKEN: token } })
    const payload = { type: 'task_picked', data: {} }
    const none = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload })
    assert.equal(none.statusCode, 401)
    const wrong = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload, headers: { 'x-internal-token': 'nope' } })
    assert.equal(wrong.statusCode, 401)
    const right = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload, headers: { 'x-internal-token': token } })
    assert.equal(right.statusCode, 200)
    const bearer = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload, headers: { authorization: `Bearer ${token}` } })
    assert.equal(bearer.statusCode, 200)
  })
})

describe('WS /ws/agent-stream', () => {
  it('rebroadcasts watcher frames at debug level with the news they carry', async (t) => {
    const { app } = await buildTestApp(t, AS_WATCHER)
    const { socket: browser, inbox } = await connect(app, '/ws/gamification')
    const watcher = new WebSocket(`${(await listen(app)).replace('http', 'ws')}/ws/agent-stream`, { headers: WATCHER_HEADERS })
    await new Promise((resolve, reject) => watcher.once('open', resolve).once('error', reject))
    t.after(() => {
      browser.terminate()
      watcher.terminate()
    })
    await inbox.until((f) => f.length === 1)
    const context = { task_id: 't9', agent_id: 'X_Agent', instance_id: 'i1', conversation_id: 'c1' }
    watcher.send(JSON.stringify({ type: 'stream_start', data: { ...context, bound_mcps: ['crm'] } }))
    watcher.send('garbage is ignored')
    watcher.send(
      JSON.stringify({
        type: 'agent_stream',
        data: {
          ...context,
          event_type: 'assistant',
          event: {
            type: 'assistant',
            message: { content: [{ type: 'tool_use', id: 'toolu_0123456789ABCDEF', name: 'mcp__crm__list_leads', input: { limit: 10 } }] },
          },
        },
      }),
    )
    const frames = await inbox.until((f) => types(f).includes('agent_tool_use'))
    assert.deepEqual(types(frames), ['connected', 'stream_start', 'agent_stream', 'agent_tool_use'])
    assert.equal(frames[1]!.data.level, 'debug')
    assert.deepEqual(frames[3]!.data, { ...context, level: 'news', tool: 'mcp__crm__list_leads', tool_id: 'toolu_012345', input_keys: ['limit'] })
  })

  it('refuses a watcher without the token when one is configured', async (t) => {
    const { app } = await buildTestApp(t, { env: { INTERNAL_TOKEN: 'a-long-shared-secret-123' } })
    await assert.rejects(app.injectWS('/ws/agent-stream'), /401/)
    const ok = await app.injectWS('/ws/agent-stream', { headers: { 'x-internal-token': 'a-long-shared-secret-123' } })
    ok.terminate()
  })
})
