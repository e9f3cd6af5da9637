// GET /sse and POST /messages?sessionId= — the HTTP+SSE transport of protocol 2024-11-05, for
// older clients (Python mcp-use, Claude CLI configs written for the original gateway).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { clientKeyOf, type WorkBudget } from '../../platform/http/limits.js'
import type { Principal } from '../auth/principal.js'
import { loadMcpRuntime } from './load-mcp-runtime.js'
import { mcpCallerOf } from './mcp-identity.js'
import type { LegacySseSessions } from './legacy-sse.js'
import { type OriginPolicy, originGuard } from './origin-guard.js'
import { copyReplyHeaders } from './raw-reply.js'
import { limitToolCalls } from './tool-call-limit.js'
import type { McpServices } from './tools/context.js'

export interface LegacySseOptions {
  services: McpServices
  sessions: LegacySseSessions
  origin: OriginPolicy
  heartbeatMs: number
  /** Tool calls spend it (limits.expensive_per_minute). */
  work: WorkBudget
}

export const legacySseRoutes: FastifyPluginAsyncZod<LegacySseOptions> = async (app, { services, sessions, origin, heartbeatMs, work }) => {
  app.addHook('preClose', async () => {
    await Promise.all(sessions.all().map((t) => t.close().catch(() => {})))
  })
  const guard = originGuard(origin)
  const tags = ['mcp']

  app.get(
    '/sse',
    {
      onRequest: guard,
      config: { access: 'user', bearerOnly: true, stream: true },
      schema: { tags, summary: 'Legacy MCP transport: the event stream (first event: the POST endpoint)' },
    },
    async (req, reply) => {
      const { createConductorMcp, SSEServerTransport } = await loadMcpRuntime()
      copyReplyHeaders(reply)
      reply.hijack()
      const transport = new SSEServerTransport('/messages', reply.raw)
      const server = createConductorMcp(services, mcpCallerOf(req.principal))
      const heartbeat = setInterval(() => reply.raw.write(': ping\n\n'), heartbeatMs)
      heartbeat.unref()
      let closed = false
      // Closing the server closes the transport, which calls this again.
      transport.onclose = () => {
        if (closed) return
        closed = true
        clearInterval(heartbeat)
        sessions.remove(transport.sessionId)
        void server.close().catch(() => {})
      }
      sessions.add(transport, ownerOf(req.principal))
      try {
        await server.connect(transport)
        // The session's messages come only from its opener (see LegacySseSessions), whose budget they spend.
        const client = clientKeyOf(req)
        limitToolCalls(transport, () => work.spend(client))
      } catch (err) {
        req.log.error({ err }, 'MCP SSE session failed to start')
        sessions.remove(transport.sessionId)
        clearInterval(heartbeat)
        reply.raw.end()
      }
    },
  )

  app.post(
    '/messages',
    {
      onRequest: guard,
      config: { access: 'user', bearerOnly: true },
      schema: {
        tags,
        summary: 'Legacy MCP transport: a JSON-RPC message for the session’s stream (202; the answer arrives on the stream)',
        querystring: z.object({ sessionId: z.string().uuid({ message: 'sessionId must be the id the /sse stream announced' }) }),
      },
    },
    async (req, reply) => {
      const { JSONRPCMessageSchema } = await loadMcpRuntime()
      const parsed = JSONRPCMessageSchema.safeParse(req.body)
      if (!parsed.success) return reply.code(400).send({ detail: 'The body is not a JSON-RPC 2.0 message' })
      const delivered = await sessions.deliver(req.query.sessionId, parsed.data, ownerOf(req.principal), req.headers)
      if (!delivered) return reply.code(404).send({ detail: `Session not found: ${req.query.sessionId} (open a new one with GET /sse)` })
      return reply.code(202).send('Accepted')
    },
  )
}

/** Whose session it is: the principal's subject (every anonymous caller of mode `none` is the same one). */
function ownerOf(principal: Principal | undefined): string {
  return principal?.subject ?? 'anonymous'
}
