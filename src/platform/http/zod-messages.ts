// Readable validation wording shared by every schema (the client shows `detail` to people).
import { z } from 'zod'

let installed = false

export function installZodMessages(): void {
  if (installed) return
  installed = true
  z.config({
    customError: (issue) => {
      if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required'
      if (issue.code === 'invalid_type') return `must be ${article(issue.expected)}`
      return undefined
    },
  })
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`
}
