// A request answered before its body was read (413 while an upload is still arriving, 401 before
// parsing) leaves bytes on the connection that belong to no request. Reusing that connection can
// reset the client's next request, so such answers close it: `Connection: close` tells the
// client to send its next request elsewhere.
import type { IncomingHttpHeaders } from 'node:http'
import type { FastifyInstance } from 'fastify'

export function closeConnectionsWithUnreadBodies(app: FastifyInstance): void {
  app.addHook('onSend', function closeIfBodyUnread(req, reply, payload, done) {
    if (!req.raw.complete && hasBody(req.headers) && !reply.raw.headersSent) void reply.header('connection', 'close')
    done(null, payload)
  })
}

/**
 * Whether a body follows the head. Node marks a request without one complete only after its
 * 'request' event, so an answer sent synchronously (a kept answer) would otherwise look early.
 */
function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length']
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
