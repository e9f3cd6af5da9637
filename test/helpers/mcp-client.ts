// An MCP SDK client of the gateway that sends an API key, over either transport.
import type { TestContext } from 'node:test'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { bearer } from './api-keys.js'

export type McpTransport = 'streamable-http' | 'sse'

export async function mcpClientWithKey(t: Pick<TestContext, 'after'>, base: string, transport: McpTransport, key: string): Promise<Client> {
  const requestInit = { headers: bearer(key) }
  const client = new Client({ name: 'gateway-test', version: '1.0.0' })
  await client.connect(
    transport === 'sse'
      ? new SSEClientTransport(new URL(`${base}/sse`), { requestInit })
      : new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit }),
  )
  t.after(() => client.close())
  return client
}
