// The MCP server behind a load balancer: two gateway processes on one PostgreSQL, a client whose
// requests land on either. Streamable HTTP is stateless; legacy SSE POSTs are relayed to the
// process holding the stream; a cancel reaching the other process still stops the run.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { startGateway, type RunningGateway } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'
import { waitFor } from './helpers/wait.js'

const ENV = { ECHO_DELAY_MS: '100', RUN_COALESCE_MS: '0', LOG_LEVEL: 'warn' }

async function twoGateways(t: TestContext): Promise<[RunningGateway, RunningGateway]> {
  const db = await createTestDatabase()
  t.after(() => db.drop())
  const env = { ...ENV, DATABASE_URL: urlWithSchema(db.url, db.schema!) }
  const cwd = mkdtempSync(path.join(tmpdir(), 'gw-mcp-'))
  const a = await startGateway({ cwd, env })
  t.after(() => a.stop())
  const b = await startGateway({ cwd, env })
  t.after(() => b.stop())
  const agent = await fetch(`${a.url}/api/agents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Echo_Agent',
      description: 'Answers with its input',
      persona_content: '# Persona: Echo\n\nYou answer with exactly the words you were given, nothing more.',
      ai_provider: 'echo',
    }),
  })
  assert.equal(agent.status, 201, await agent.text())
  return [a, b]
}

/** A fetch that sends each request to the gateway `pick` chooses, whatever URL the client built. */
function routed(pick: (method: string, body: string) => RunningGateway, seen: string[]): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const body = typeof init?.body === 'string' ? init.body : ''
    const target = pick(init?.method ?? 'GET', body)
    seen.push(`${init?.method ?? 'GET'} ${target.url}`)
    return fetch(`${target.url}${url.pathname}${url.search}`, init)
  }
}

function textOf(result: unknown): string {
  return (result as CallToolResult).content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
}

async function exercise(client: Client, runStatus: (runId: string) => Promise<string>) {
  const { tools } = await client.listTools()
  assert.ok(tools.some((tool) => tool.name === 'execute_agent_stateless'))
  const created = (await client.callTool({ name: 'create_screenplay', arguments: { name: 'Shared', content: '# Shared' } })) as CallToolResult
  const id = (created.structuredContent as { id: string }).id
  const read = (await client.callTool({ name: 'get_screenplay', arguments: { screenplay_id: id } })) as CallToolResult
  assert.equal((read.structuredContent as { content: string }).content, '# Shared')
  const done = await client.callTool({ name: 'execute_agent_stateless', arguments: { agent_id: 'Echo_Agent', input_text: 'one two three' } })
  assert.equal(textOf(done), 'one two three')

  const stop = new AbortController()
  let runId: string | undefined
  const call = client.callTool(
    { name: 'execute_agent_stateless', arguments: { agent_id: 'Echo_Agent', input_text: 'a b c d e f g h i j k l m n o p q r s t' } },
    undefined,
    {
      signal: stop.signal,
      onprogress: (p) => {
        if (p.message === 'started') runId ??= 'pending'
      },
    },
  )
  await waitFor(() => runId !== undefined, 20_000, 'the run started')
  const runs = (await client.callTool({ name: 'list_runs', arguments: { status: 'running' } })) as CallToolResult
  runId = (runs.structuredContent as { runs: Array<{ run_id: string }> }).runs[0]!.run_id
  stop.abort('stop')
  await assert.rejects(call)
  await waitFor(async () => (await runStatus(runId!)) === 'cancelled', 20_000, 'the run was cancelled from the other process')
}

describe('MCP across two gateway processes on one PostgreSQL', { skip: testDialect() === 'sqlite' && 'needs PostgreSQL (several instances)' }, () => {
  it('Streamable HTTP: requests alternate between the processes; a cancel reaches the process running the call', { timeout: 90_000 }, async (t) => {
    const [a, b] = await twoGateways(t)
    const seen: string[] = []
    let n = 0
    let lastCall = a
    const pick = (_method: string, body: string) => {
      if (body.includes('notifications/cancelled')) return lastCall === a ? b : a
      const target = n++ % 2 === 0 ? a : b
      if (body.includes('"tools/call"')) lastCall = target
      return target
    }
    const client = new Client({ name: 'balanced', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(new URL(`${a.url}/mcp`), { fetch: routed(pick, seen) }))
    t.after(() => client.close())
    await exercise(client, async (id) => ((await (await fetch(`${b.url}/api/runs/${id}`)).json()) as { status: string }).status)
    assert.ok(seen.some((s) => s.includes(a.url)) && seen.some((s) => s.includes(b.url)), seen.join('\n'))
  })

  it('legacy SSE: the stream is on one process, every POST lands on the other and is relayed', { timeout: 90_000 }, async (t) => {
    const [a, b] = await twoGateways(t)
    const seen: string[] = []
    const client = new Client({ name: 'balanced-sse', version: '1.0.0' })
    await client.connect(new SSEClientTransport(new URL(`${a.url}/sse`), { fetch: routed((method) => (method === 'GET' ? a : b), seen) }))
    t.after(() => client.close())
    await exercise(client, async (id) => ((await (await fetch(`${a.url}/api/runs/${id}`)).json()) as { status: string }).status)
    assert.ok(seen.filter((s) => s.startsWith('POST')).every((s) => s.includes(b.url)))
    assert.ok(seen.some((s) => s.startsWith('GET') && s.includes(a.url)))
  })
})
