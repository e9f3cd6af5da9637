// Once the server starts closing it accepts no new connection, but a keep-alive connection that
// was busy at that moment can still bring requests. Fastify's own answer to those
// (`return503OnClosing`) has a body of its own shape; this one answers with the contract's
// `{"detail": …}` and closes the connection, so the client sends its next request elsewhere.
import type { FastifyInstance } from 'fastify'
import { UnavailableError } from './errors.js'

export const SHUTTING_DOWN = 'The gateway is shutting down'

/** Needs Fastify's `return503OnClosing: false` (else Fastify answers before any hook runs). */
export function refuseRequestsWhileClosing(app: FastifyInstance): void {
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onRequest', (_req, reply, done) => {
    if (!closing) return done()
    void reply.header('connection', 'close')
    done(new UnavailableError(SHUTTING_DOWN))
  })
}
