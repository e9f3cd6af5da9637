// NUL characters (U+0000) in request input: PostgreSQL text cannot store them (the query fails),
// SQLite can. Refusing them at the edge gives one readable 400 on both dialects.
import type { FastifyInstance } from 'fastify'

/** True when any string (or object key) inside `value` holds U+0000. */
export function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0')
  if (Array.isArray(value)) return value.some(containsNul)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(([key, inner]) => key.includes('\0') || containsNul(inner))
  }
  return false
}

/** Answers 400 for a URL whose path or query carries an encoded NUL (`%00`). */
export function installNulUrlGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    if (/%00/.test(req.url)) return reply.code(400).send({ detail: 'The URL contains a NUL character (%00)' })
  })
}
