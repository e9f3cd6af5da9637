// OpenTelemetry tracing on a real gateway process, switched on by the standard OTEL_* variables and
// exporting over OTLP/HTTP to a receiver this test runs: a span per request (continuing the
// caller's traceparent), an `invoke_agent` span per run with `chat` and `execute_tool` children,
// named and attributed as the GenAI semantic conventions say.
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { tracingWanted } from '../src/platform/tracing.js'
import { startFakeLlmServer } from './helpers/fake-llm-server.js'
import { freePort, startGateway } from './helpers/gateway-process.js'
import { startMcpTestServer } from './helpers/mcp-test-server.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'
import { waitFor } from './helpers/wait.js'

interface OtlpValue {
  stringValue?: string
  intValue?: string | number
  doubleValue?: number
  boolValue?: boolean
  arrayValue?: { values?: OtlpValue[] }
}
interface OtlpAttribute {
  key: string
  value: OtlpValue
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: OtlpAttribute[]
  links?: Array<{ traceId: string; spanId: string }>
  status?: { code?: number }
}
interface ExportRequest {
  resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>
}

const SERVER = 2
const CLIENT = 3

function plain(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return Number(value.intValue)
  if (value.doubleValue !== undefined) return value.doubleValue
  if (value.boolValue !== undefined) return value.boolValue
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plain)
  return undefined
}

function attributesOf(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]))
}

/** An OTLP/HTTP trace receiver (the JSON encoding the exporter sends). */
async function startReceiver(t: Pick<TestContext, 'after'>) {
  const requests: ExportRequest[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      if (req.url === '/v1/traces' && (req.headers['content-type'] ?? '').includes('json')) requests.push(JSON.parse(body) as ExportRequest)
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const spans = () => requests.flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)))
  const resources = () => requests.flatMap((r) => r.resourceSpans.map((rs) => attributesOf(rs.resource.attributes)))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, resources }
}

async function databaseEnv(t: Pick<TestContext, 'after'>, cwd: string): Promise<Record<string, string>> {
  if (testDialect() === 'sqlite') return { DATABASE_URL: `sqlite:${path.join(cwd, 'gw.db')}` }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
}

describe('tracing', () => {
  it('is off by default and follows the standard switches', () => {
    assert.equal(tracingWanted({}), false)
    assert.equal(tracingWanted({ OTEL_SERVICE_NAME: 'x' }), false)
    assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true)
    assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true)
    assert.equal(tracingWanted({ OTEL_TRACES_EXPORTER: 'otlp' }), true)
    assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }), false)
    assert.equal(tracingWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), false)
  })

  it('exports request, run, model-call and tool-call spans over OTLP', async (t) => {
    const receiver = await startReceiver(t)
    const llm = await startFakeLlmServer(t)
    const mcp = await startMcpTestServer(t)
    llm.script(
      { toolCalls: [{ id: 'call_1', name: 'add', arguments: { a: 40, b: 2 } }], usage: { input: 11, output: 3 } },
      { text: ['It is 42.'], usage: { input: 20, output: 5 } },
    )
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-tracing-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    const gateway = await startGateway({
      cwd,
      env: {
        ...(await databaseEnv(t, cwd)),
        OPENAI_API_KEY: 'sk-trace',
        OPENAI_BASE_URL: llm.baseUrl,
        MCP_SERVERS: `calc=${mcp.url}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'gateway-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    })
    t.after(() => gateway.stop('SIGKILL'))

    const agent = await fetch(`${gateway.url}/api/agents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Helper_Agent',
        description: 'Adds numbers',
        persona_content: '# Persona: Adder\n\nYou add numbers with the calc tools, carefully and briefly.',
        mcp_configs: ['calc'],
      }),
    })
    assert.equal(agent.status, 201, await agent.clone().text())
    const { agent_id: agentId } = (await agent.json()) as { agent_id: string }
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736'
    const callerSpan = '00f067aa0ba902b7'
    const created = await fetch(`${gateway.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${callerTrace}-${callerSpan}-01` },
      body: JSON.stringify({ input: 'what is 40 + 2?', agent_id: agentId, ai_provider: 'openai', model: 'gpt-test', wait: true }),
    })
    assert.equal(created.status, 200)
    const run = (await created.json()) as { run_id: string; status: string; output: string; error: string | null }
    assert.equal(run.status, 'completed', run.error ?? '')

    // SIGTERM flushes what is buffered.
    assert.equal(await gateway.stop('SIGTERM'), 0)
    await waitFor(() => receiver.spans().some((s) => s.name.startsWith('invoke_agent')), 30_000, 'the run span arrives')
    const spans = receiver.spans()
    const named = (name: string) => spans.filter((s) => s.name === name)

    assert.ok(receiver.resources().every((r) => r['service.name'] === 'gateway-under-test'))

    const [request] = named('POST /api/runs')
    assert.ok(request, `no request span among ${spans.map((s) => s.name).join(', ')}`)
    assert.equal(request.kind, SERVER)
    assert.equal(request.traceId, callerTrace, 'the request continues the caller’s trace')
    assert.equal(request.parentSpanId, callerSpan)
    assert.deepEqual(
      { ...attributesOf(request.attributes), 'client.address': undefined, 'user_agent.original': undefined },
      {
        'http.request.method': 'POST',
        'http.route': '/api/runs',
        'url.path': '/api/runs',
        'http.response.status_code': 200,
        'client.address': undefined,
        'user_agent.original': undefined,
      },
    )

    const runSpans = named('invoke_agent Helper_Agent')
    assert.equal(runSpans.length, 1)
    const runSpan = runSpans[0]!
    assert.deepEqual(
      runSpan.links?.map((l) => l.spanId),
      [request.spanId],
      'the run links the request that created it',
    )
    const runAttributes = attributesOf(runSpan.attributes)
    assert.equal(runAttributes['gen_ai.operation.name'], 'invoke_agent')
    assert.equal(runAttributes['gen_ai.provider.name'], 'openai')
    assert.equal(runAttributes['gen_ai.request.model'], 'gpt-test')
    assert.equal(runAttributes['gen_ai.agent.id'], agentId)
    assert.equal(runAttributes['gen_ai.agent.name'], 'Helper_Agent')
    assert.equal(runAttributes['conductor.run.id'], run.run_id)
    assert.equal(runAttributes['conductor.persona.version'], 1)
    assert.equal(runAttributes['conductor.run.state'], 'completed')
    assert.equal(runAttributes['gen_ai.usage.input_tokens'], 31)
    assert.equal(runAttributes['gen_ai.usage.output_tokens'], 8)

    const chats = named('chat gpt-test')
    assert.equal(chats.length, 2, 'one span per model call')
    for (const chat of chats) {
      assert.equal(chat.kind, CLIENT)
      assert.equal(chat.traceId, runSpan.traceId)
      assert.equal(chat.parentSpanId, runSpan.spanId)
      assert.equal(attributesOf(chat.attributes)['gen_ai.operation.name'], 'chat')
      assert.equal(attributesOf(chat.attributes)['gen_ai.provider.name'], 'openai')
    }
    assert.deepEqual(
      chats.map((c) => [attributesOf(c.attributes)['gen_ai.usage.input_tokens'], attributesOf(c.attributes)['gen_ai.usage.output_tokens']]).sort(),
      [
        [11, 3],
        [20, 5],
      ],
    )
    assert.deepEqual(chats.map((c) => attributesOf(c.attributes)['gen_ai.response.finish_reasons']).sort(), [['stop'], ['tool-calls']])

    const [tool] = named('execute_tool add')
    assert.ok(tool)
    assert.equal(tool.parentSpanId, runSpan.spanId)
    assert.equal(tool.traceId, runSpan.traceId)
    assert.deepEqual(
      { ...attributesOf(tool.attributes) },
      {
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'add',
        'gen_ai.tool.call.id': 'call_1',
        'gen_ai.tool.type': 'function',
        'conductor.run.id': run.run_id,
      },
    )
  })

  it('does not hold the exit on SIGTERM while the collector is down', { timeout: 60_000 }, async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-tracing-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    const closedPort = await freePort()
    const gateway = await startGateway({
      cwd,
      env: {
        ...(await databaseEnv(t, cwd)),
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
        // The exporter retries a refused connection until this deadline (about 13 s of backoff in all).
        OTEL_EXPORTER_OTLP_TIMEOUT: '30000',
      },
    })
    t.after(() => gateway.stop('SIGKILL'))
    assert.equal((await fetch(`${gateway.url}/api/screenplays`)).status, 200)

    gateway.child.kill('SIGTERM')
    // Generous next to the 2 s the spans get, far below the exporter's retries.
    const bound = new Promise<'still running'>((resolve) => setTimeout(resolve, 8_000, 'still running').unref())
    assert.equal(await Promise.race([gateway.exited(), bound]), 0)
    assert.match(gateway.logs(), /spans not exported within .* were dropped/)
  })
})
