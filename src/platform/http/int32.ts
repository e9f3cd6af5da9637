// Whole numbers kept in 32-bit `integer` columns (version numbers, display orders, exit codes).
// Bounding them at the edge turns an out-of-range value into a readable 422 instead of a
// database error, and both databases then accept exactly the same input.
import { z } from 'zod'

export const INT32_MIN = -2_147_483_648
export const INT32_MAX = 2_147_483_647

/** A whole number a 32-bit integer column can hold. */
export function int32() {
  return z
    .number()
    .int({ message: 'must be a whole number' })
    .min(INT32_MIN, { message: `must be at least ${INT32_MIN}` })
    .max(INT32_MAX, { message: `must be at most ${INT32_MAX}` })
}
