// Renders every failure as FastAPI-style JSON: {"detail": ...}. 4xx say what the caller did
// wrong in words; 5xx are logged with the request id and never leak their message or stack.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod'
import { isDatabaseUnavailable } from '../db/errors.js'
import { isAppError } from './errors.js'
import { unsupportedMediaType } from './json-body.js'

export interface FieldError {
  loc: Array<string | number>
  msg: string
  type: string
}

/** Friendlier words for Fastify's own client errors. */
const FASTIFY_CLIENT_ERRORS: Record<string, (err: FastifyError, limit: number, req: FastifyRequest) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_err, limit) => `Request body is too large (limit ${limit} bytes)`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_err, _limit, req) => unsupportedMediaType(req.headers['content-type']).message,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => 'Request body length does not match Content-Length',
}

/**
 * Sees each answer to a request no route took (a path nothing matches, a URL the router cannot
 * read), so the HTTP metrics count them without an app-wide hook that every routed request pays for.
 */
export type UnroutedObserver = (req: FastifyRequest, reply: FastifyReply) => void

export function installErrorHandlers(app: FastifyInstance, bodyLimit: number, onUnrouted?: UnroutedObserver): void {
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ detail: 'Not Found' })
    onUnrouted?.(req, reply)
  })

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      // FastAPI names the query string `query`; keep the client's vocabulary.
      const context = err.validationContext === 'querystring' ? 'query' : (err.validationContext ?? 'body')
      const errors: FieldError[] = err.validation.map((issue) => ({
        loc: [context, ...issue.instancePath.split('/').filter(Boolean)],
        msg: issue.message ?? 'is invalid',
        type: issue.keyword,
      }))
      return reply.code(422).send({ detail: describeFieldErrors(errors), errors })
    }
    if (isAppError(err)) {
      return reply.code(err.status).send({ detail: err.body })
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response does not match its schema')
      return reply.code(500).send({ detail: 'Internal Server Error' })
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      const explain = err.code ? FASTIFY_CLIENT_ERRORS[err.code] : undefined
      return reply.code(status).send({ detail: explain ? explain(err, bodyLimit, req) : err.message })
    }
    if (isDatabaseUnavailable(err)) {
      // The outage itself is logged once, when the database is lost and when it is back.
      req.log.debug({ err }, 'database unreachable')
      return reply.code(503).send({ detail: 'Database is unreachable' })
    }
    req.log.error({ err }, 'request failed')
    return reply.code(500).send({ detail: 'Internal Server Error' })
  })
}

/** One readable sentence for a list of field errors, e.g. `body.name: is required`. */
export function describeFieldErrors(errors: FieldError[]): string {
  const parts = errors.map((e) => `${e.loc.join('.')}: ${e.msg}`)
  return `Invalid request: ${parts.join('; ')}`
}

const ROUTER_ERRORS: Record<string, string> = {
  FST_ERR_MAX_PARAM_LENGTH: 'A path parameter is too long',
  FST_ERR_BAD_URL: 'The URL is malformed',
}

/** Answers the errors the router raises before any route runs (bad URL encoding, over-long ids). */
export function routerErrorAnswer(onUnrouted?: UnroutedObserver) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): void => {
    void reply.code(err.statusCode ?? 400).send({ detail: ROUTER_ERRORS[err.code] ?? 'The request could not be routed' })
    onUnrouted?.(req, reply)
  }
}
