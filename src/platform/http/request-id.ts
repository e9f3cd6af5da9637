import type { IncomingMessage } from 'node:http'
import { randomUUID } from 'node:crypto'
import type { RequestCheck } from './request-checks.js'

const SAFE_ID = /^[\w.:-]{1,128}$/

/** Keeps a caller's X-Request-Id when it is short and plain; otherwise makes one. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id']
  return typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID()
}

/** Every answer names its request, refusals included. */
export const answerWithRequestId: RequestCheck = (req, reply) => {
  void reply.header('x-request-id', req.id)
  return undefined
}
