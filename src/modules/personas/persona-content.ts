// Rules persona content and metadata must meet (original-gateway.md §2.3), plus the content
// statistics the stats and validate endpoints report.
import { createHash } from 'node:crypto'
import { z } from 'zod'

export const PERSONA_MAX_CHARS = 50_000
export const METADATA_MAX_CHARS = 5_000
const CONTROL_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f]/

/** Why `content` is not acceptable persona content, or undefined when it is. */
export function personaContentProblem(content: string): string | undefined {
  if (content.trim() === '') return 'cannot be empty'
  if (content.length > PERSONA_MAX_CHARS) return `cannot exceed ${PERSONA_MAX_CHARS} characters (got ${content.length})`
  const control = CONTROL_CHAR.exec(content)
  if (control) {
    const code = control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()
    return `contains a control character (U+${code}) at position ${control.index}`
  }
  return undefined
}

/** Why `metadata` is not acceptable, or undefined when it is. */
export function metadataProblem(metadata: Record<string, unknown>): string | undefined {
  if (Object.keys(metadata).some((key) => key.trim() === '')) return 'keys cannot be empty'
  const size = JSON.stringify(metadata).length
  if (size > METADATA_MAX_CHARS) return `cannot exceed ${METADATA_MAX_CHARS} characters as JSON (got ${size})`
  return undefined
}

export const PersonaContent = z
  .string()
  .superRefine((content, ctx) => {
    const problem = personaContentProblem(content)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .describe(`Markdown persona; not blank, at most ${PERSONA_MAX_CHARS} characters, no control characters; stored trimmed`)

export const PersonaMetadata = z
  .record(z.string(), z.unknown())
  .superRefine((metadata, ctx) => {
    const problem = metadataProblem(metadata)
    if (problem) ctx.addIssue({ code: 'custom', message: problem })
  })
  .describe(`Free-form object, at most ${METADATA_MAX_CHARS} characters as JSON`)

export function contentHashOf(content: string): string {
  return createHash('sha256').update(content, 'utf8').digest('hex')
}

export interface ContentStats {
  lines: number
  words: number
  characters: number
  markdownElements: Record<'headers' | 'bold' | 'italic' | 'codeBlocks' | 'links' | 'images' | 'lists', number>
}

const MARKDOWN_PATTERNS = {
  headers: /^#+\s+/gm,
  bold: /\*\*.*?\*\*/g,
  italic: /\*.*?\*/g,
  codeBlocks: /```[\s\S]*?```/g,
  links: /\[.*?\]\(.*?\)/g,
  images: /!\[.*?\]\(.*?\)/g,
  lists: /^\s*[-*+]\s+/gm,
} as const

export function contentStatsOf(content: string): ContentStats {
  const count = (pattern: RegExp) => content.match(pattern)?.length ?? 0
  return {
    lines: content.split('\n').length,
    words: content.split(/\s+/).filter(Boolean).length,
    characters: content.length,
    markdownElements: {
      headers: count(MARKDOWN_PATTERNS.headers),
      bold: count(MARKDOWN_PATTERNS.bold),
      italic: count(MARKDOWN_PATTERNS.italic),
      codeBlocks: count(MARKDOWN_PATTERNS.codeBlocks),
      links: count(MARKDOWN_PATTERNS.links),
      images: count(MARKDOWN_PATTERNS.images),
      lists: count(MARKDOWN_PATTERNS.lists),
    },
  }
}
