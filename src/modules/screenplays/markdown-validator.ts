// The original gateway's markdown validator, rule for rule (original-gateway.md §2.2).

export interface MarkdownReport {
  isValid: boolean
  errors: string[]
  warnings: string[]
}

const LINK = /\[([^\]]*)\]\(([^)]*)\)/
const EMPTY_LINK_TEXT = /\[\]\([^)]*\)/
const EMPTY_LINK_URL = /\[[^\]]*\]\(\)/
const MAX_LINE = 120

export function validateMarkdown(content: string): MarkdownReport {
  if (content.trim() === '') return { isValid: false, errors: ['Content cannot be empty'], warnings: [] }
  const lines = content.split('\n')
  const errors: string[] = []
  const warnings: string[] = []

  let previousLevel = 0
  lines.forEach((line, index) => {
    if (!line.trim().startsWith('#')) return
    // compat: the level counts '#' in the unstripped line, so an indented heading is level 0.
    const level = line.length - line.replace(/^#+/, '').length
    if (level > 6) errors.push(`Line ${index + 1}: Heading level cannot exceed 6 (${'#'.repeat(level + 1)})`)
    if (level > previousLevel + 1) {
      warnings.push(`Heading level jumps from H${previousLevel} to H${level} (consider using H${previousLevel + 1})`)
    }
    previousLevel = level
  })

  const fences = lines.filter((line) => line.trim().startsWith('```')).length
  if (fences % 2 === 1) errors.push('Unclosed code block detected')

  lines.forEach((line, index) => {
    const looksLikeLink = ['[', ']', '(', ')'].every((c) => line.includes(c))
    if (looksLikeLink && !LINK.test(line)) warnings.push(`Line ${index + 1}: Malformed link syntax`)
  })
  lines.forEach((line, index) => {
    if (EMPTY_LINK_TEXT.test(line)) warnings.push(`Line ${index + 1}: Empty link text`)
    if (EMPTY_LINK_URL.test(line)) warnings.push(`Line ${index + 1}: Empty link URL`)
  })
  lines.forEach((line, index) => {
    if (line.length > MAX_LINE) {
      warnings.push(`Line ${index + 1}: Very long line (${line.length} characters), consider breaking it`)
    }
  })
  lines.forEach((line, index) => {
    if (line.endsWith(' ') || line.endsWith('\t')) warnings.push(`Line ${index + 1}: Trailing whitespace detected`)
  })

  return { isValid: errors.length === 0, errors, warnings }
}
