// Text PostgreSQL cannot store — NUL characters and unpaired UTF-16 surrogates — is refused where
// it enters (URL and JSON body) with a readable 4xx, instead of failing deep in a query with a 500.
// SQLite would store it, so refusing it everywhere keeps both databases accepting the same input.
import type { RequestCheck } from './request-checks.js'
import { NotFoundError, ValidationError } from './errors.js'

// Code-unit regex (no `u` flag): a high surrogate not followed by a low one, or a low one alone.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Why `text` cannot be stored, or undefined when it can. */
export function unstorableTextProblem(text: string): string | undefined {
  if (text.includes('\0')) return 'contains a NUL character (U+0000)'
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)'
  return undefined
}

/** The first unstorable string (key or value) inside a parsed JSON value, with its path. */
export function findUnstorableText(value: unknown, path: Array<string | number> = []): { path: Array<string | number>; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = unstorableTextProblem(value)
    return problem ? { path, problem } : undefined
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = findUnstorableText(item, [...path, index])
      if (found) return found
    }
    return undefined
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = unstorableTextProblem(key)
      if (keyProblem) return { path, problem: `has a key that ${keyProblem}` }
      const found = findUnstorableText(item, [...path, key])
      if (found) return found
    }
  }
  return undefined
}

/** JSON escapes that can produce unstorable text; bodies without them need no walk. */
const SUSPICIOUS_ESCAPE = /\\u(0000|d[89a-f][0-9a-f]{2})/i

/** Throws a 422 naming the field when a parsed JSON body holds unstorable text. */
export function assertStorableJson(rawText: string, value: unknown): void {
  if (!SUSPICIOUS_ESCAPE.test(rawText)) return
  const found = findUnstorableText(value)
  if (found) throw new ValidationError(`Invalid request: ${['body', ...found.path].join('.')}: ${found.problem}`)
}

/** A NUL in the path is an id nothing can have (404); in the query string it is a 422. */
export const refuseNulInUrl: RequestCheck = (req) => {
  const nul = req.url.indexOf('%00')
  if (nul === -1) return undefined
  const query = req.url.indexOf('?')
  if (query === -1 || nul < query) return new NotFoundError('Not Found')
  return new ValidationError('Invalid request: the query string contains a NUL character (%00)')
}
