// The instance endpoints answer bad bodies with 400 and the original's detail (an object
// `{"success":false,"error":…}` or a plain string, per endpoint) instead of the usual 422.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'

/** A route error handler: schema failures become 400 with `detailOf(message)`; others go on. */
export function legacyBodyErrors(detailOf: (message: string) => unknown) {
  return (err: FastifyError, _req: FastifyRequest, reply: FastifyReply) => {
    if (!hasZodFastifySchemaValidationErrors(err) || err.validationContext !== 'body') throw err
    const first = err.validation[0]!
    const field = first.instancePath.split('/').filter(Boolean).join('.')
    const text = first.message ?? 'is invalid'
    // Messages written for these endpoints name their field or start with a capital; the shared
    // generic ones ("is required", "must be a string") get the field in front.
    const message = /^[A-Z]/.test(text) || (field !== '' && text.startsWith(field)) ? text : `${field || 'body'}: ${text}`
    return reply.code(400).send({ detail: detailOf(message) })
  }
}

export const objectDetail = (message: string) => ({ success: false, error: message })
export const stringDetail = (message: string) => message
