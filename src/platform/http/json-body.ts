// JSON bodies: an empty body with a JSON content type counts as "no body" (clients send bare
// PATCH/PUT calls that way), malformed JSON is a 400 that says so, text no database can store
// (NUL, unpaired surrogates) is a 422 naming the field, and any other content type is a 415
// naming it. A body without any Content-Type is read as JSON, as the original did (§1.5).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { AppError, BadRequestError } from './errors.js'
import { assertStorableJson } from './storable-text.js'

/** application/json and application/<anything>+json, with or without parameters (charset…). */
const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i

const utf8 = new TextDecoder('utf-8', { fatal: true })

export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error')
  const parse = (req: FastifyRequest, bytes: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    let text: string
    try {
      text = utf8.decode(bytes)
    } catch {
      return done(new BadRequestError('Request body is not valid UTF-8'), undefined)
    }
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
  }
  // Only JSON is accepted (multipart is added by the routes that take uploads); text/plain would
  // otherwise arrive as a string and fail validation with a less helpful message.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'buffer' }, (req, body, done) => parse(req, body as Buffer, done))
  // Fastify hands every other content type, and a body without one, to the catch-all parser.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    const type = req.headers['content-type']
    if (type === undefined) return parse(req, body as Buffer, done)
    done(unsupportedMediaType(type), undefined)
  })
}

export function unsupportedMediaType(type: string | undefined): AppError {
  const given = type?.trim() ? `Unsupported content type '${type.trim()}'` : 'Unsupported content type'
  return new AppError('unsupported_media_type', `${given}; send application/json`, 415)
}
