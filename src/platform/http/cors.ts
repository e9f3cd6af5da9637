// Cross-origin callers (a web client served from another origin), allowed only from the configured
// origins. With none configured the plugin is not registered at all: its hook would work on every
// request to add nothing, and a preflight gets the 404 any unknown path gets either way.
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'

export async function allowCrossOrigin(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return
  await app.register(cors, {
    origin: [...origins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: [
      'Content-Type',
      'Authorization',
      'Accept',
      'X-Requested-With',
      'X-API-Key',
      'X-User-Id',
      'X-Session-Id',
      'Last-Event-ID',
      'Idempotency-Key',
      'Mcp-Session-Id',
      'Mcp-Protocol-Version',
    ],
    exposedHeaders: ['X-Request-Id', 'Mcp-Session-Id'],
    maxAge: 600,
  })
}
