// The original's MCP introspection routes (original-gateway.md §2.1, §2.10), answered with the one
// endpoint this gateway serves: /mcp (Streamable HTTP) and its legacy SSE twin.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { MCP_SERVER_NAME } from './mcp-identity.js'

const DESCRIPTION = 'Conductor Gateway tools: agents, runs, screenplays, conversations, system'

const ServerEntry = z.object({ type: z.literal('http'), transport: z.literal('http'), url: z.string() })
const McpConfigDto = z.object({ mcpServers: z.record(z.string(), ServerEntry) })
const StatusDto = z.object({
  status: z.literal('ok'),
  mcps: z.record(z.string(), z.object({ port: z.number(), running: z.boolean(), description: z.string(), url: z.string(), sse_url: z.string() })),
  mcp_config: McpConfigDto,
})
const SidecarsDto = z.object({
  count: z.number(),
  sidecars: z.array(z.object({ name: z.string(), url: z.string(), port: z.number(), container_id: z.null() })),
})
const HostQuery = z.object({
  host: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$|^\[[0-9a-fA-F:]+\]$/, { message: 'host must be a host name or address' })
    .default('localhost'),
})

export const mcpsStatusRoutes: FastifyPluginAsyncZod<{ port: number }> = async (app, { port }) => {
  const tags = ['mcp']
  const base = (host: string) => `http://${host}:${port}`
  const config = (host: string) => ({
    mcpServers: { [MCP_SERVER_NAME]: { type: 'http' as const, transport: 'http' as const, url: `${base(host)}/mcp` } },
  })

  app.get(
    '/mcps/status',
    { schema: { tags, summary: 'The gateway’s MCP endpoint and a client config for it', response: { 200: StatusDto } } },
    async () => ({
      status: 'ok' as const,
      mcps: {
        [MCP_SERVER_NAME]: { port, running: true, description: DESCRIPTION, url: `${base('localhost')}/mcp`, sse_url: `${base('localhost')}/sse` },
      },
      mcp_config: config('localhost'),
    }),
  )

  app.get(
    '/mcps/config',
    {
      schema: {
        tags,
        summary: 'mcpServers config for Claude CLI (--mcp-config) and other clients',
        querystring: HostQuery,
        response: { 200: McpConfigDto },
      },
    },
    async (req) => config(req.query.host),
  )

  app.get(
    '/api/system/mcp/sidecars',
    { schema: { tags, summary: 'MCP servers this gateway runs: its own endpoint', response: { 200: SidecarsDto } } },
    async () => ({ count: 1, sidecars: [{ name: MCP_SERVER_NAME, url: `${base('localhost')}/mcp`, port, container_id: null }] }),
  )
}
