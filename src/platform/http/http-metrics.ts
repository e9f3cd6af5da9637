// Counts every answered HTTP request by route template (never the raw URL: ids would explode the
// label set) and status, with its latency; and keeps a gauge of open WebSocket connections.
import type { FastifyInstance } from 'fastify'
import type { Metrics } from '../metrics.js'

/** Requests no route matched share one label value. */
const UNMATCHED = 'unmatched'

export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  // preHandler: @fastify/websocket marks upgrade requests (req.ws) in its own onRequest hook.
  app.addHook('preHandler', async (req) => {
    // The connection lives as long as its socket.
    if (!(req as { ws?: boolean }).ws) return
    const route = req.routeOptions.url ?? UNMATCHED
    metrics.websocketOpened(route)
    req.raw.socket.once('close', () => metrics.websocketClosed(route))
  })
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequest(req.method, req.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000)
  })
}
