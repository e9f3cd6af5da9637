// Liveness (/health, the original's body) and readiness (/ready, checks the database).
import type { FastifyReply } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { UnavailableError } from '../../platform/http/errors.js'

export const GATEWAY_VERSION = '3.1.0'

const HealthDto = z.object({
  status: z.literal('healthy'),
  service: z.literal('conductor_gateway'),
  version: z.string(),
  mode: z.string(),
  endpoints: z.object({
    api: z.string(),
    health: z.string(),
    websocket_gamification: z.string(),
    websocket_agent_stream: z.string(),
    mcp: z.string(),
  }),
})

const ReadyDto = z.object({ status: z.literal('ready'), database: z.enum(['sqlite', 'postgres']) })

export interface HealthOptions {
  host: string
  port: number
  mode: string
  database: { dialect: 'sqlite' | 'postgres'; ping(): Promise<void> }
}

export const healthRoutes: FastifyPluginAsyncZod<HealthOptions> = async (app, { host, port, mode, database }) => {
  const base = `http://${host}:${port}`
  const ws = `ws://${host}:${port}`
  const body = {
    status: 'healthy' as const,
    service: 'conductor_gateway' as const,
    version: GATEWAY_VERSION,
    mode,
    // `mcp` was the original's separate MCP port (original-gateway.md §2.1.2); here it is /mcp on the main port.
    endpoints: {
      api: `${base}/api/v1`,
      health: `${base}/health`,
      websocket_gamification: `${ws}/ws/gamification`,
      websocket_agent_stream: `${ws}/ws/agent-stream`,
      mcp: `${base}/mcp`,
    },
  }
  let serialized: string | undefined

  app.route({
    method: ['GET', 'OPTIONS'],
    url: '/health',
    schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: HealthDto } },
    // The body never changes: serialized by its schema on the first probe, then sent as it is,
    // without a promise per probe.
    handler: (_req, reply) => {
      serialized ??= reply.serialize(body) as string
      void (reply as FastifyReply).type('application/json; charset=utf-8').send(serialized)
    },
  })

  app.get(
    '/ready',
    {
      schema: { tags: ['operations'], summary: 'Readiness: 503 while the database is unreachable', response: { 200: ReadyDto } },
    },
    async (req) => {
      try {
        await database.ping()
      } catch (err) {
        req.log.warn({ err }, 'readiness check failed')
        throw new UnavailableError('Database is unreachable')
      }
      return { status: 'ready' as const, database: database.dialect }
    },
  )
}
