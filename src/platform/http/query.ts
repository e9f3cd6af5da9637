// Query-string building blocks: query values arrive as strings and must be parsed explicitly
// (z.coerce.boolean would read "false" as true).
import { z } from 'zod'

export const QueryBool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes')

export function queryInt(options: { min?: number; max?: number; default: number }) {
  let schema = z.coerce.number({ message: 'must be a whole number' }).int({ message: 'must be a whole number' })
  if (options.min !== undefined) schema = schema.min(options.min, { message: `must be at least ${options.min}` })
  if (options.max !== undefined) schema = schema.max(options.max, { message: `must be at most ${options.max}` })
  return schema.default(options.default)
}

/** An id taken from the path: any string; an unknown or malformed id is a 404, never a 422. */
export const PathId = z.string()
