// OpenAPI generated from the route schemas: /openapi.json, Swagger UI at /docs, Redoc at /redoc.
// Everything is served from installed packages, so the docs work offline.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import fastifySwagger from '@fastify/swagger'
import fastifySwaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { withAccess } from './access.js'

const require = createRequire(import.meta.url)

export interface DocsInfo {
  title: string
  version: string
  description: string
}

export async function registerDocs(app: FastifyInstance, info: DocsInfo): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key (auth.mode api_key) or a JWT (auth.mode jwt)' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          session: { type: 'apiKey', in: 'cookie', name: 'cg_session', description: 'From the login page (/login)' },
        },
      },
    },
    transform: (input) => withAccessDocs(withErrorResponses(jsonSchemaTransform(input)), input.route.config?.access),
    transformObject: jsonSchemaTransformObject,
  })
  await app.register(withAccess('public', fastifySwaggerUi), { routePrefix: '/docs' })

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger())

  let redocBundle: Buffer | undefined
  app.get('/redoc/redoc.standalone.js', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    redocBundle ??= readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'))
    return reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(redocBundle)
  })
  app.get('/redoc', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(redocPage(info.title)),
  )
}

/** The error bodies every route may answer (error-handler.ts), documented once for all routes. */
const ERROR_RESPONSES = {
  '4xx': {
    description: 'The request was refused: {"detail": "<what was wrong, in words>"}. 422 (validation) adds the per-field list under `errors`.',
    type: 'object',
    properties: {
      detail: { description: 'A readable sentence (a few legacy endpoints answer an object here)' },
      errors: {
        type: 'array',
        description: '422 only: one entry per invalid field',
        items: {
          type: 'object',
          properties: {
            loc: { type: 'array', items: { oneOf: [{ type: 'string' }, { type: 'integer' }] }, description: 'e.g. ["body", "name"]' },
            msg: { type: 'string' },
            type: { type: 'string' },
          },
          required: ['loc', 'msg', 'type'],
        },
      },
    },
    required: ['detail'],
  },
  '5xx': {
    description: 'Internal Server Error (never with details), or 503 while the database is unreachable',
    type: 'object',
    properties: { detail: { type: 'string' } },
    required: ['detail'],
  },
}

function withErrorResponses<T extends { schema: { response?: unknown; hide?: boolean } }>(transformed: T): T {
  const { schema } = transformed
  if (!schema || schema.hide) return transformed
  const response = { ...ERROR_RESPONSES, ...(schema.response as Record<string, unknown> | undefined) }
  return { ...transformed, schema: { ...schema, response } }
}

/** Every operation names the role it needs (`x-required-role`) and the credentials it takes. */
function withAccessDocs<T extends { schema: unknown }>(transformed: T, access: string | undefined): T {
  if (!transformed.schema || access === undefined) return transformed
  const security = access === 'public' ? [] : [{ bearer: [] }, { apiKey: [] }, { session: [] }]
  return { ...transformed, schema: { ...(transformed.schema as object), security, 'x-required-role': access } }
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
