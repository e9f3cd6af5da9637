// JSON bodies: an empty body with a JSON content type counts as "no body" (clients send bare
// PATCH/PUT calls that way), malformed JSON is a 400 that says so, and text no database can
// store (NUL, unpaired surrogates) is a 422 naming the field.
import type { FastifyInstance } from 'fastify'
import { BadRequestError } from './errors.js'
import { assertStorableJson } from './storable-text.js'

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
      try {
        assertStorableJson(text, value)
      } catch (unstorable) {
        return done(unstorable as Error, undefined)
      }
      done(null, value)
    })
  })
}
