// File paths a screenplay is linked to (relative, markdown) and the key that detects duplicates.
// Rules follow the original gateway (original-gateway.md §2.2, "Paths" and "Duplicate detection").
import { createHash } from 'node:crypto'
import path from 'node:path'

const FORBIDDEN_PATH_CHARS = ['<', '>', ':', '"', '|', '?', '*', '\0']
const ALLOWED_EXTENSIONS = ['.md', '.txt', '.markdown']
const MARKDOWN_EXTENSIONS = ['.md', '.markdown']
const MAX_PATH_LENGTH = 500

/** Trim, use forward slashes, collapse `//`, drop one leading `/`. */
export function sanitizeFilePath(raw: string): string {
  return raw
    .trim()
    .replaceAll('\\', '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^\//, '')
}

function isSafeRelativePath(p: string): boolean {
  if (p === '' || p.length > MAX_PATH_LENGTH) return false
  if (p.includes('..') || p.startsWith('/') || p.startsWith('\\') || p.includes('//')) return false
  if (FORBIDDEN_PATH_CHARS.some((c) => p.includes(c))) return false
  return ALLOWED_EXTENSIONS.includes(path.posix.extname(p).toLowerCase())
}

function isMarkdown(p: string): boolean {
  return MARKDOWN_EXTENSIONS.includes(path.posix.extname(p).toLowerCase())
}

export type FileField = 'file_path' | 'import_path' | 'export_path'

const MARKDOWN_ERROR_PREFIX: Record<FileField, string> = {
  file_path: 'File must have .md or .markdown extension',
  import_path: 'Import file must have .md or .markdown extension',
  export_path: 'Export file must have .md or .markdown extension',
}

/**
 * Sanitises each given path; returns the clean paths, or the list of problems in the
 * original's wording (`Invalid file_path: …`).
 */
export function checkFilePaths(
  given: Partial<Record<FileField, string | null>>,
): { ok: true; paths: Partial<Record<FileField, string | null>> } | { ok: false; problems: string[] } {
  const paths: Partial<Record<FileField, string | null>> = {}
  const problems: string[] = []
  for (const field of Object.keys(given) as FileField[]) {
    const raw = given[field]
    if (raw === undefined) continue
    if (raw === null) {
      paths[field] = null
      continue
    }
    const clean = sanitizeFilePath(raw)
    if (!isSafeRelativePath(clean)) problems.push(`Invalid ${field}: ${raw}`)
    else if (!isMarkdown(clean)) problems.push(`${MARKDOWN_ERROR_PREFIX[field]}: ${clean}`)
    else paths[field] = clean
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, paths }
}

/**
 * base64url(sha256("<sanitised path>:<file name>")) with padding, as the original computes it;
 * a path that stays unsafe after sanitising counts as empty.
 */
export function fileKeyOf(filePath: string | null, fileName: string): string {
  const clean = filePath === null ? '' : sanitizeFilePath(filePath)
  const digest = createHash('sha256').update(`${isSafeRelativePath(clean) ? clean : ''}:${fileName.trim()}`)
  return `${digest.digest('base64url')}=`
}

/** The key a stored path gets: its own name without extension. */
export function fileKeyOfPath(filePath: string): string {
  return fileKeyOf(filePath, path.posix.basename(filePath, path.posix.extname(filePath)))
}

export function contentHashOf(content: string): string {
  return createHash('sha256').update(content.trim().replace(/\r\n?/g, '\n')).digest('hex')
}
