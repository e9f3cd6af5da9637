// Requests Node's HTTP parser rejects before any route runs (malformed request line or headers,
// a body longer than its Content-Length, headers too large, a request that never completes):
// answered with the same `{"detail": "..."}` body as everything else, then the socket is closed.
// `rawJsonAnswer` is that answer for any socket no route will answer (a refused upgrade too).
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyBaseLogger } from 'fastify'

function answerFor(err: NodeJS.ErrnoException): [number, string] {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'The request was not complete in time']
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request headers are too large']
    default:
      return [400, `Malformed HTTP request (${err.code ?? 'parse error'}); check the request line, headers and Content-Length`]
  }
}

/** A whole HTTP answer, `{"detail"}` and `Connection: close`, for a socket no route will answer. */
export function rawJsonAnswer(status: number, detail: string): string {
  const body = JSON.stringify({ detail })
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`
}

export function clientErrorHandler(this: { log: FastifyBaseLogger }, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const [status, detail] = answerFor(err)
  this.log.debug({ err }, 'client error')
  if (socket.writable) socket.write(rawJsonAnswer(status, detail))
  socket.destroy(err)
}
