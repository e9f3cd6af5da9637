// OpenAPI generated from the route schemas: /openapi.json, Swagger UI at /docs, Redoc at /redoc.
// Everything is served from installed packages, so the docs work offline.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'

const require = createRequire(import.meta.url)

export interface DocsInfo {
  title: string
  version: string
  description: string
}

export async function registerDocs(app: FastifyInstance, info: DocsInfo): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: { openapi: '3.0.3', info },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' })

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  let redocBundle: Buffer | undefined
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_req, reply) => {
    redocBundle ??= readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'))
    return reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(redocBundle)
  })
  app.get('/redoc', { schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(redocPage(info.title)),
  )
}

function redocPage(title: string): string {
  return `<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${title} — API reference</title>
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
`
}
