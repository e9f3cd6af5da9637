// What @fastify/multipart and busboy throw, as readable 4xx: a malformed multipart body (no
// boundary, cut short) arrives as a plain Error and would otherwise be a 500.
import { AppError, BadRequestError, isAppError } from './errors.js'

const LIMIT_CODES = new Set(['FST_PARTS_LIMIT', 'FST_FILES_LIMIT', 'FST_FIELDS_LIMIT'])
const BAD_FORM_CODES = new Set([
  'FST_PROTO_VIOLATION',
  'FST_INVALID_JSON_FIELD_ERROR',
  'FST_MP_PREMATURE_CLOSE',
  'FST_INVALID_MULTIPART_CONTENT_TYPE',
])

/**
 * The AppError to answer for an error raised while reading a multipart request; `tooLarge`
 * words the file-size limit. Errors that are not about the request body come back unchanged.
 */
export function multipartRequestError(err: unknown, tooLarge: () => AppError): unknown {
  if (isAppError(err)) return err
  const code = (err as { code?: unknown }).code
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge()
  if (typeof code === 'string' && LIMIT_CODES.has(code)) {
    return new AppError('payload_too_large', 'The form has too many parts or fields: send only the file', 413)
  }
  if (typeof code === 'string' && BAD_FORM_CODES.has(code)) return new BadRequestError(`The multipart form is invalid: ${(err as Error).message}`)
  // busboy's parse errors (no boundary, cut short, a boundary too long) carry neither a code
  // nor a status; only the reading of the body is wrapped, so they are about the body.
  if (err instanceof Error && code === undefined && !('statusCode' in err)) {
    return new BadRequestError(`The multipart body is malformed: ${err.message}`)
  }
  return err
}
