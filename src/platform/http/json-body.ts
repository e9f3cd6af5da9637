// JSON bodies: an empty body with a JSON content type counts as "no body" (clients send bare
// PATCH/PUT calls that way), malformed JSON is a 400 that says so, and so is a NUL character
// (PostgreSQL text cannot hold one; refusing it here keeps both dialects alike).
import type { FastifyInstance } from 'fastify'
import { BadRequestError } from './errors.js'
import { containsNul } from './nul-guard.js'

/** application/json or any +json type, with or without parameters (`; charset=utf-8`). */
const JSON_CONTENT_TYPE = /^application\/([\w.+-]+\+)?json(\s*;|$)/i

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  // Only JSON is accepted (multipart is added by the routes that take uploads); text/plain would
  // otherwise arrive as a string and fail validation with a less helpful message.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser(JSON_CONTENT_TYPE, { parseAs: 'string' }, (req, body, done) => {
    const text = body as string
    if (text.trim() === '') return done(null, undefined)
    parseJson(req, text, (err: Error | null, value?: unknown) => {
      if (err) return done(new BadRequestError(`Request body is not valid JSON: ${err.message}`), undefined)
      if (containsNul(value)) return done(new BadRequestError('Request body contains a NUL character (\\u0000), which text fields cannot hold'), undefined)
      done(null, value)
    })
  })
}
