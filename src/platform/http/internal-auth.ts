// Who may call the watcher-facing endpoints (/api/internal/*, /ws/agent-stream): holders of the
// configured shared token; without a token configured, only callers on this machine.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { ForbiddenError, UnauthorizedError } from './errors.js'

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

export function assertInternalCaller(req: FastifyRequest, token: string | null): void {
  if (token === null) {
    // Not req.ip: behind trust_proxy that would be a forwarded, caller-chosen address.
    if (!LOOPBACK.has(req.raw.socket?.remoteAddress ?? '')) {
      throw new ForbiddenError('Internal endpoints accept only local callers unless INTERNAL_TOKEN is configured')
    }
    return
  }
  const given = tokenOf(req)
  if (given === undefined) throw new UnauthorizedError('Missing internal token (X-Internal-Token header)')
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new UnauthorizedError('Invalid internal token')
}

function tokenOf(req: FastifyRequest): string | undefined {
  const header = req.headers['x-internal-token']
  if (typeof header === 'string' && header !== '') return header
  const auth = req.headers.authorization
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length)
  const query = (req.query as Record<string, unknown> | undefined)?.token
  return typeof query === 'string' && query !== '' ? query : undefined
}
