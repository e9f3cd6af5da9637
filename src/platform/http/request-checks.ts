// The checks every request passes before its route's own hooks, run from one onRequest hook: each
// hook Fastify runs costs about what these checks cost together, and every request pays for every
// app-wide hook (a /health probe as much as a run).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Lets a request through (undefined) or refuses it with the error to answer it with. */
export type RequestCheck = (req: FastifyRequest, reply: FastifyReply) => Error | undefined

/** Runs `checks` in order on every request; the first refusal answers it. */
export function installRequestChecks(app: FastifyInstance, checks: readonly RequestCheck[]): void {
  app.addHook('onRequest', function runRequestChecks(req, reply, done) {
    for (const check of checks) {
      const refusal = check(req, reply)
      if (refusal) return done(refusal)
    }
    done()
  })
}
