// Once the server starts closing it accepts no new connection, but a keep-alive connection that
// was busy at that moment can still bring requests. Fastify's own answer to those
// (`return503OnClosing`) has a body of its own shape; this one answers with the contract's
// `{"detail": …}` and closes the connection, so the client sends its next request elsewhere.
import type { FastifyInstance } from 'fastify'
import { UnavailableError } from './errors.js'
import type { RequestCheck } from './request-checks.js'

export const SHUTTING_DOWN = 'The gateway is shutting down'

/**
 * A check that refuses requests once `app` starts closing. Needs Fastify's `return503OnClosing:
 * false` (else Fastify answers before any hook runs).
 */
export function refusalWhileClosing(app: FastifyInstance): RequestCheck {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  return (_req, reply) => {
    if (!closing) return undefined
    void reply.header('connection', 'close')
    return new UnavailableError(SHUTTING_DOWN)
  }
}
