// POST /mcp — the Streamable HTTP transport, stateless: each request gets a fresh server and
// transport, so any gateway instance answers any request and there is no "Session not found".
// The Mcp-Session-Id handed out at initialize is only a correlation id (for cancellations); no
// instance stores it. GET and DELETE answer 405: there is no server-initiated stream to open
// and no session to end.
import { randomUUID } from 'node:crypto'
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import { clientKeyOf, type WorkBudget } from '../../platform/http/limits.js'
import type { CallCancels } from './call-cancels.js'
import { loadMcpRuntime } from './load-mcp-runtime.js'
import { mcpCallerOf } from './mcp-identity.js'
import { type OriginPolicy, originGuard } from './origin-guard.js'
import { copyReplyHeaders } from './raw-reply.js'
import { limitToolCalls } from './tool-call-limit.js'
import type { McpServices } from './tools/context.js'

const CORRELATION_ID = /^[\w.:-]{1,200}$/

export interface StreamableHttpOptions {
  services: McpServices
  cancels: CallCancels
  origin: OriginPolicy
  /** Tool calls spend it (limits.expensive_per_minute). */
  work: WorkBudget
}

export const streamableHttpRoutes: FastifyPluginAsync<StreamableHttpOptions> = async (app, { services, cancels, origin, work }) => {
  const open = new Set<StreamableHTTPServerTransport>()
  app.addHook('preClose', async () => {
    await Promise.all([...open].map((t) => t.close().catch(() => {})))
  })
  const guard = originGuard(origin)
  const schema = { tags: ['mcp'], summary: 'MCP Streamable HTTP endpoint (JSON-RPC; see the README’s MCP section)', hide: false }

  app.post('/mcp', { onRequest: guard, schema, config: { access: 'user', bearerOnly: true } }, async (req, reply) => {
    const messages = Array.isArray(req.body) ? (req.body as unknown[]) : [req.body]
    const sent = req.headers['mcp-session-id']
    const initializing = messages.some((m) => methodOf(m) === 'initialize')
    const correlation = typeof sent === 'string' && CORRELATION_ID.test(sent) ? sent : initializing ? randomUUID() : undefined

    if (correlation) {
      for (const m of messages) {
        const requestId = methodOf(m) === 'notifications/cancelled' ? (m as { params?: { requestId?: unknown } }).params?.requestId : undefined
        if (typeof requestId === 'string' || typeof requestId === 'number') cancels.cancel(correlation, requestId)
      }
    }

    const { createConductorMcp, StreamableHTTPServerTransport } = await loadMcpRuntime()
    const requestGone = new AbortController()
    const releases: Array<() => void> = []
    const server = createConductorMcp(services, mcpCallerOf(req.principal), (requestId) => {
      if (!correlation) return requestGone.signal
      const tracked = cancels.track(correlation, requestId)
      releases.push(tracked.release)
      return AbortSignal.any([requestGone.signal, tracked.signal])
    })
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    open.add(transport)
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) requestGone.abort(new Error('the client went away'))
      open.delete(transport)
      for (const release of releases) release()
      void transport.close().catch(() => {})
      void server.close().catch(() => {})
    })
    copyReplyHeaders(reply)
    if (initializing && correlation) reply.raw.setHeader('mcp-session-id', correlation)
    reply.hijack()
    try {
      await server.connect(transport)
      const client = clientKeyOf(req)
      limitToolCalls(transport, () => work.spend(client))
      await transport.handleRequest(req.raw, reply.raw, req.body)
    } catch (err) {
      req.log.error({ err }, 'MCP request failed')
      answerRaw(reply, 500, 'The MCP request could not be handled')
    }
  })

  for (const method of ['GET', 'DELETE'] as const) {
    app.route({
      method,
      url: '/mcp',
      onRequest: guard,
      config: { access: 'user', bearerOnly: true },
      schema: { ...schema, summary: 'Not offered: the endpoint is stateless (405)' },
      handler: async (_req, reply) =>
        reply
          .code(405)
          .header('allow', 'POST')
          .send({ detail: 'This MCP endpoint is stateless: POST JSON-RPC messages to /mcp; there is no stream to open or session to end' }),
    })
  }
}

function methodOf(message: unknown): string | undefined {
  return typeof message === 'object' && message !== null && typeof (message as { method?: unknown }).method === 'string'
    ? (message as { method: string }).method
    : undefined
}

function answerRaw(reply: FastifyReply, status: number, detail: string): void {
  if (reply.raw.headersSent) {
    reply.raw.end()
    return
  }
  reply.raw.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ detail }))
}
