// GET /metrics: the Prometheus text exposition of this instance's metrics.
import type { FastifyPluginAsync } from 'fastify'
import type { Metrics } from '../../platform/metrics.js'

export const metricsRoutes: FastifyPluginAsync<{ metrics: Metrics }> = async (app, { metrics }) => {
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await metrics.scrape()
    return reply.type(metrics.contentType).header('cache-control', 'no-store').send(body)
  })
}
