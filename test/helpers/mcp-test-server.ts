// A real MCP server (the SDK's McpServer over streamable HTTP, stateless) on a local port,
// with tools whose calls the test can observe.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { z } from 'zod'

export interface McpTestServer {
  url: string
  /** Arguments of every `add` call, in order. */
  calls: Array<{ a: number; b: number }>
  /** The Authorization header of every HTTP request the server received (undefined when absent). */
  authorizations: Array<string | undefined>
  /** TCP connections accepted so far: 0 means nobody even tried to reach the server. */
  readonly connections: number
}

/** Tools: `add` (sums two numbers) and `explode` (always answers an isError result). */
export async function startMcpTestServer(t: Pick<TestContext, 'after'>): Promise<McpTestServer> {
  const calls: McpTestServer['calls'] = []
  const authorizations: McpTestServer['authorizations'] = []
  const build = () => {
    const server = new McpServer({ name: 'test-tools', version: '1.0.0' })
    server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
      calls.push({ a, b })
      return { content: [{ type: 'text', text: String(a + b) }] }
    })
    server.registerTool('explode', { description: 'Always fails' }, async () => ({ content: [{ type: 'text', text: 'boom' }], isError: true }))
    return server
  }
  const http = createServer((req, res) => {
    authorizations.push(req.headers.authorization)
    const server = build()
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    void server.connect(transport).then(() => transport.handleRequest(req, res))
  })
  let connections = 0
  http.on('connection', () => connections++)
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    http.closeAllConnections()
    return new Promise<void>((resolve) => http.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    calls,
    authorizations,
    get connections() {
      return connections
    },
  }
}
