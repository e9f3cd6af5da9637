// Per-client limits: expensive routes answer 429 with Retry-After past their budget (per client,
// not globally), MCP tool calls spend the same budget (a JSON-RPC error past it), open streams are
// capped per client, WebSocket messages are bounded in size and rate.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { WebSocket } from 'ws'
import { RATE_LIMITED } from '../../src/modules/mcp-server/tool-call-limit.js'
import { bearer, createRoleKeys } from '../helpers/api-keys.js'
import { buildTestApp, listen } from '../helpers/build-test-app.js'
import { mcpClientWithKey } from '../helpers/mcp-client.js'

describe('per-client limits', () => {
  it('an expensive route answers 429 with Retry-After once a client used its minute; another client is unaffected', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '2' } })
    const keys = await createRoleKeys(deps)
    const run = (key: string) => app.inject({ method: 'POST', url: '/api/runs', headers: bearer(key), payload: { input: 'hi', ai_provider: 'echo' } })
    assert.equal((await run(keys.user)).statusCode, 202)
    assert.equal((await run(keys.user)).statusCode, 202)
    const refused = await run(keys.user)
    assert.equal(refused.statusCode, 429)
    assert.match(refused.headers['retry-after'] as string, /^\d+$/)
    assert.match(refused.json().detail, /at most 2 a minute per client/)
    assert.equal((await run(keys.admin)).statusCode, 202, 'limits are per client')
    assert.equal((await app.inject({ url: '/api/runs', headers: bearer(keys.user) })).statusCode, 200, 'cheap routes are not limited')
  })

  it('caps the streams one client holds open', async (t) => {
    const { app } = await buildTestApp(t, { env: { STREAMS_PER_CLIENT: '2' } })
    const url = (await listen(app)).replace('http', 'ws')
    const open = async () => {
      const ws = new WebSocket(`${url}/ws/gamification`)
      t.after(() => ws.terminate())
      return Promise.race([
        once(ws, 'open').then(() => ws),
        once(ws, 'unexpected-response').then(([, res]) => (res as { statusCode: number }).statusCode),
      ])
    }
    const first = await open()
    assert.ok(first instanceof WebSocket)
    assert.ok((await open()) instanceof WebSocket)
    assert.equal(await open(), 429)
    first.close()
    await once(first, 'close')
    let again: WebSocket | number = 429
    for (let i = 0; i < 50 && again === 429; i++) again = await open()
    assert.ok(again instanceof WebSocket, 'a closed stream frees its slot')
  })

  it('closes a WebSocket that sends too much (1009) or too often (1008)', async (t) => {
    const { app } = await buildTestApp(t, { env: { WS_MAX_MESSAGE_BYTES: '1024', WS_MESSAGES_PER_MINUTE: '5' } })
    const url = (await listen(app)).replace('http', 'ws')
    const big = new WebSocket(`${url}/ws/gamification`)
    await once(big, 'open')
    big.send('x'.repeat(2048))
    const [bigCode] = await once(big, 'close')
    assert.equal(bigCode, 1009)
    const chatty = new WebSocket(`${url}/ws/gamification`)
    await once(chatty, 'open')
    for (let i = 0; i < 10; i++) chatty.send(JSON.stringify({ type: 'ping' }))
    const [chattyCode] = await once(chatty, 'close')
    assert.equal(chattyCode, 1008)
  })
})

for (const transport of ['streamable-http', 'sse'] as const) {
  describe(`MCP tool calls over ${transport} spend the client's budget of expensive requests`, () => {
    it('refuses the call past the budget with a JSON-RPC error; lists and pings go on; REST shares the budget', async (t) => {
      const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '3' } })
      const keys = await createRoleKeys(deps)
      const base = await listen(app)
      const client = await mcpClientWithKey(t, base, transport, keys.user)
      const run = () => app.inject({ method: 'POST', url: '/api/runs', headers: bearer(keys.user), payload: { input: 'hi', ai_provider: 'echo' } })
      const listAgents = () => client.callTool({ name: 'list_available_agents', arguments: {} })

      assert.equal((await run()).statusCode, 202, 'one REST run')
      for (let i = 0; i < 2; i++) assert.notEqual((await listAgents()).isError, true, `tool call ${i + 1}`)
      await assert.rejects(listAgents(), (err: unknown) => {
        assert.ok(err instanceof McpError)
        assert.equal(err.code, RATE_LIMITED)
        assert.match(err.message, /Too many requests that start work: at most 3 a minute per client; retry in \d+ s/)
        assert.equal(typeof (err.data as { retry_after_seconds?: unknown }).retry_after_seconds, 'number')
        return true
      })
      for (let i = 0; i < 5; i++) {
        assert.ok((await client.listTools()).tools.length > 0, 'tools/list is not limited')
        await client.ping()
      }
      assert.equal((await run()).statusCode, 429, 'REST runs share the budget')
      const other = await mcpClientWithKey(t, base, transport, keys.admin)
      assert.notEqual((await other.callTool({ name: 'list_available_agents', arguments: {} })).isError, true, 'budgets are per client')
    })
  })
}
