import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { RunStop } from '../run-stop.js'
import { execute, executionRequest } from '../../../test/helpers/executor-harness.js'
import { closedPort, deferred, startFakeConductor, taskDocument, type ConductorAnswer } from '../../../test/helpers/fake-conductor.js'
import type { ClusterChannel } from '../../platform/events/cluster-channel.js'
import type { ExecutionRequest } from '../executor.js'
import type { Frame } from '../../platform/events/frame.js'
import { ConductorCallbackRouter } from './conductor-callbacks.js'
import { ConductorExecutor } from './conductor.executor.js'

const RUN_ID = '65a1b2c3d4e5f60718293a4b'

function conductorRequest(overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return executionRequest({
    runId: RUN_ID,
    provider: 'conductor',
    agentId: 'Writer_Agent',
    input: 'write a haiku',
    prompt: '<prompt>ignored by the Conductor</prompt>',
    cwd: '/srv/project',
    timeoutMs: 90_500,
    instanceId: 'inst-1',
    conversationId: 'conv-1',
    screenplayId: '65a1b2c3d4e5f60718290000',
    contextMode: 'stateless',
    ...overrides,
  })
}

function frame(type: string, data: Record<string, unknown> = {}, taskId = RUN_ID): Frame {
  return { type, data: { task_id: taskId, agent_id: 'Writer_Agent', ...data } }
}

describe('ConductorExecutor', () => {
  it('posts the §2.3 body and maps the task document it answers with', async (t) => {
    const conductor = await startFakeConductor(t)
    const executor = new ConductorExecutor({ apiUrl: conductor.url, callbacks: new ConductorCallbackRouter() })
    const run = await execute(executor, conductorRequest())

    assert.deepEqual(run.result, { output: 'done: write a haiku', exitCode: 0 })
    assert.equal(conductor.calls.length, 1)
    assert.equal(conductor.calls[0]!.path, '/agents/Writer_Agent/execute')
    assert.deepEqual(conductor.calls[0]!.body, {
      task_id: RUN_ID,
      user_input: 'write a haiku',
      cwd: '/srv/project',
      timeout: 91,
      provider: null,
      instance_id: 'inst-1',
      conversation_id: 'conv-1',
      screenplay_id: '65a1b2c3d4e5f60718290000',
      context_mode: 'stateless',
    })
  })

  it('turns the watcher’s callbacks for its task into live events while it waits', async (t) => {
    const conductor = await startFakeConductor(t)
    const router = new ConductorCallbackRouter()
    const release = deferred<ConductorAnswer>()
    conductor.answer(() => release.promise)
    const executor = new ConductorExecutor({ apiUrl: conductor.url, callbacks: router })
    const running = execute(executor, conductorRequest())

    const call = await conductor.nextCall()
    const assistant = {
      type: 'assistant',
      message: {
        content: [
          { type: 'text', text: 'Autumn wind' },
          { type: 'tool_use', id: 'tu1', name: 'Read', input: { file_path: 'a.md' } },
        ],
      },
    }
    const toolResult = { type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'tu1', content: 'notes' }] } }
    const result = { type: 'result', subtype: 'success', result: 'Autumn wind', total_cost_usd: 0.5, usage: { input_tokens: 7, output_tokens: 3 } }
    assert.equal(router.dispatch(frame('stream_start', { bound_mcps: [] })), true)
    assert.equal(router.dispatch(frame('agent_stream', { event_type: 'assistant', event: assistant })), true)
    assert.equal(router.dispatch(frame('agent_stream', { event_type: 'user', event: toolResult })), true)
    assert.equal(router.dispatch(frame('agent_stream', { event_type: 'result', event: result })), true)
    assert.equal(router.dispatch(frame('agent_stream', { event: assistant }, 'another-task')), false)
    release.resolve({ body: taskDocument(call, { result: 'Autumn wind\n(haiku)' }) })
    const run = await running

    assert.deepEqual(run.result, { output: 'Autumn wind\n(haiku)', exitCode: 0, usage: { tokensIn: 7, tokensOut: 3, costUsd: 0.5 } })
    assert.deepEqual(
      run.events.map((e) => (e.type === 'provider.event' ? `${e.provider}:${(e.event as { type: string }).type}` : e.type)),
      ['claude:assistant', 'text.delta', 'tool.started', 'claude:user', 'tool.finished', 'claude:result', 'usage'],
    )
    assert.deepEqual(run.of('provider.event')[0]!.event, assistant, 'the raw stream-json object, for the debug console')
    assert.deepEqual(run.of('tool.finished')[0], { type: 'tool.finished', toolCallId: 'tu1', name: 'Read', output: 'notes', isError: false })
    assert.equal(router.dispatch(frame('stream_end')), false, 'no longer subscribed once the run ended')
  })

  it('fails with the task’s exit code and keeps its result', async (t) => {
    const conductor = await startFakeConductor(t)
    conductor.answer((call) => ({ body: taskDocument(call, { status: 'error', result: 'claude: permission denied', exit_code: 2 }) }))
    const run = await execute(new ConductorExecutor({ apiUrl: conductor.url, callbacks: new ConductorCallbackRouter() }), conductorRequest())
    assert.deepEqual(run.result, { output: 'claude: permission denied', exitCode: 2, error: 'the Conductor task ended with exit code 2' })
  })

  it('reports a Conductor HTTP error with its detail and does not retry it', async (t) => {
    const conductor = await startFakeConductor(t)
    conductor.answer(() => ({ status: 500, body: { detail: 'Tempo de espera excedido' } }))
    const run = await execute(
      new ConductorExecutor({ apiUrl: conductor.url, callbacks: new ConductorCallbackRouter(), retryDelaysMs: [1, 1] }),
      conductorRequest(),
    )
    assert.deepEqual(run.result, { output: '', exitCode: 1, error: 'Conductor API error (HTTP 500): Tempo de espera excedido' })
    assert.equal(conductor.calls.length, 1)
  })

  it('does not retry once the Conductor may have accepted the request (connection dropped)', async (t) => {
    const conductor = await startFakeConductor(t)
    conductor.answer(() => 'drop-connection')
    const run = await execute(
      new ConductorExecutor({ apiUrl: conductor.url, callbacks: new ConductorCallbackRouter(), retryDelaysMs: [1, 1] }),
      conductorRequest(),
    )
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /^the Conductor call failed: /)
    assert.equal(conductor.calls.length, 1)
  })

  it('retries refused connections, then gives up with a readable error', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`
    let attempts = 0
    const counting: typeof fetch = (input, init) => {
      attempts++
      return fetch(input, init)
    }
    const executor = new ConductorExecutor({ apiUrl: url, callbacks: new ConductorCallbackRouter(), retryDelaysMs: [5, 5], fetch: counting })
    const run = await execute(executor, conductorRequest())
    assert.equal(attempts, 3)
    assert.deepEqual(run.result, { output: '', exitCode: 1, error: `cannot connect to the Conductor at ${url} after 3 attempts: ECONNREFUSED` })
  })

  it('succeeds when the Conductor comes up between attempts', async (t) => {
    const port = await closedPort()
    let attempts = 0
    const startingLate: typeof fetch = async (input, init) => {
      attempts++
      try {
        return await fetch(input, init)
      } finally {
        if (attempts === 1) await startFakeConductor(t, port)
      }
    }
    const executor = new ConductorExecutor({
      apiUrl: `http://127.0.0.1:${port}`,
      callbacks: new ConductorCallbackRouter(),
      retryDelaysMs: [5, 5],
      fetch: startingLate,
    })
    const run = await execute(executor, conductorRequest())
    assert.equal(attempts, 2)
    assert.deepEqual(run.result, { output: 'done: write a haiku', exitCode: 0 })
  })

  it('stops waiting when the run is stopped and keeps what the callbacks streamed', async (t) => {
    const conductor = await startFakeConductor(t)
    const router = new ConductorCallbackRouter()
    conductor.answer(() => new Promise<ConductorAnswer>(() => {}))
    const stop = new RunStop()
    const running = execute(new ConductorExecutor({ apiUrl: conductor.url, callbacks: router }), conductorRequest(), { stop })
    await conductor.nextCall()
    router.dispatch(frame('agent_stream', { event: { type: 'assistant', message: { content: [{ type: 'text', text: 'half a poem' }] } } }))
    stop.stop('timeout')
    const run = await running
    assert.deepEqual(run.result, { output: 'half a poem', exitCode: 124, error: 'stopped waiting for the Conductor (its task cannot be cancelled)' })
  })

  it('refuses a run that names no agent', async () => {
    const run = await execute(
      new ConductorExecutor({ apiUrl: 'http://127.0.0.1:1', callbacks: new ConductorCallbackRouter() }),
      conductorRequest({ agentId: null }),
    )
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /names no agent/)
  })
})

describe('ConductorCallbackRouter', () => {
  it('delivers frames by task id to every subscriber until each unsubscribes', () => {
    const router = new ConductorCallbackRouter()
    const seen: string[] = []
    const stopA = router.subscribe('t1', (f) => seen.push(`a:${f.type}`))
    const stopB = router.subscribe('t1', (f) => seen.push(`b:${f.type}`))
    assert.equal(router.dispatch(frame('task_picked', {}, 't1')), true)
    stopA()
    assert.equal(router.dispatch(frame('stream_end', {}, 't1')), true)
    stopB()
    assert.equal(router.dispatch(frame('task_completed', {}, 't1')), false)
    assert.equal(router.dispatch({ type: 'agent_stream', data: {} }), false)
    assert.deepEqual(seen, ['a:task_picked', 'b:task_picked', 'b:stream_end'])
  })

  it('forwards a frame to the instance whose run waits for it', () => {
    const [here, there] = pairedChannels()
    const local = new ConductorCallbackRouter(here)
    const remote = new ConductorCallbackRouter(there)
    const seen: Frame[] = []
    remote.subscribe('t9', (f) => seen.push(f))
    assert.equal(local.dispatch(frame('agent_stream', { event: { type: 'system' } }, 't9')), false)
    assert.deepEqual(seen, [frame('agent_stream', { event: { type: 'system' } }, 't9')])
  })
})

/** Two in-memory cluster channels, each delivering to the other only. */
function pairedChannels(): [ClusterChannel, ClusterChannel] {
  const make = (peer: () => Map<string, (payload: string) => void>) => {
    const handlers = new Map<string, (payload: string) => void>()
    const channel: ClusterChannel & { handlers: typeof handlers } = {
      isClustered: true,
      handlers,
      send: (name, payload) => peer().get(name)?.(payload),
      on: (name, handler) => void handlers.set(name, handler),
      close: async () => {},
    }
    return channel
  }
  const a = make(() => b.handlers)
  const b = make(() => a.handlers)
  return [a, b]
}
