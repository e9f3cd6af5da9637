// Counts every answered HTTP request by route template (never the raw URL: ids would explode the
// label set) and status, with its latency; and keeps a gauge of open WebSocket connections.
import type { FastifyInstance } from 'fastify'
import type { Metrics } from '../metrics.js'
import type { UnroutedObserver } from './error-handler.js'
import { addRouteHook } from './route-hooks.js'

interface WebSocketLike {
  once(event: 'close', listener: () => void): unknown
}

/** Requests no route matched share one label value. */
const UNMATCHED = 'unmatched'

export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  // Before @fastify/websocket's own onRoute hook turns the handler into the socket's handler.
  app.addHook('onRoute', (route) => {
    if (!route.websocket) return
    const handler = route.handler as unknown as (this: unknown, socket: WebSocketLike, ...rest: unknown[]) => unknown
    const url = route.url ?? route.path
    route.handler = function (this: unknown, socket: WebSocketLike, ...rest: unknown[]) {
      metrics.websocketOpened(url)
      socket.once('close', () => metrics.websocketClosed(url))
      return handler.call(this, socket, ...rest)
    } as unknown as typeof route.handler
  })
  app.addHook('onRoute', (route) => {
    const tally = metrics.httpRoute(route.url)
    addRouteHook(route, 'onResponse', function countAnswer(req, reply, done) {
      tally.record(req.method, reply.statusCode, reply.elapsedTime / 1000)
      done()
    })
  })
}

/** Counts the answers to requests no route took, as the error handlers give them. */
export function unroutedRequestCounter(metrics: Metrics): UnroutedObserver {
  const unmatched = metrics.httpRoute(UNMATCHED)
  return (req, reply) => unmatched.record(req.method, reply.statusCode, reply.elapsedTime / 1000)
}
