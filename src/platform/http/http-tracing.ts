// A server span per HTTP request (OpenTelemetry HTTP semantic conventions), continuing the
// caller's trace when it sent `traceparent`. The span is the active context for the rest of the
// request, so spans made while handling it are its children.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import type { FastifyInstance } from 'fastify'
import { tracer } from '../tracing.js'

export function installHttpTracing(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    const route = req.routeOptions.url
    const parent = propagation.extract(context.active(), req.headers)
    const span = tracer().startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'url.path': req.url.split('?')[0],
          ...(route && { 'http.route': route }),
          ...(req.headers['user-agent'] && { 'user_agent.original': req.headers['user-agent'] }),
          'client.address': req.ip,
        },
      },
      parent,
    )
    // Not onResponse: streams (SSE) take the reply over and never reach it.
    let ended = false
    const end = () => {
      if (ended) return
      ended = true
      const status = reply.raw.statusCode
      span.setAttribute('http.response.status_code', status)
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    }
    reply.raw.once('finish', end).once('close', end)
    context.with(trace.setSpan(parent, span), done)
  })
}
