// Rules for a markdown file uploaded as a conversation's context: the name, the encoding and
// the preview the client shows. The size limit is enforced by the route while it reads.
import { AppError, BadRequestError } from '../../platform/http/errors.js'

const PREVIEW_CHARS = 200

export interface UploadedFile {
  filename: string
  /** Reads the file; rejects (4xx) when it exceeds the upload limit. */
  read(): Promise<Uint8Array>
}

export function assertMarkdownFilename(filename: string): void {
  // compat: original-gateway.md §2.7 upload — only .md files (matched case-insensitively here).
  if (!filename.toLowerCase().endsWith('.md')) throw new BadRequestError('Apenas arquivos .md são permitidos')
}

/**
 * Decodes strict UTF-8 (a leading BOM is dropped); invalid bytes are a 400, not a guess. An
 * empty (or blank) file and a NUL character (binary data; PostgreSQL text cannot hold it)
 * are 400s too.
 */
export function decodeMarkdown(bytes: Uint8Array): string {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new BadRequestError('O arquivo não é UTF-8 válido: salve-o com a codificação UTF-8 e envie novamente')
  }
  if (text.trim() === '') throw new BadRequestError('O arquivo está vazio: envie um .md com o contexto')
  if (text.includes('\0')) throw new BadRequestError('O arquivo contém o caractere NUL (dados binários): envie um arquivo de texto .md')
  return text
}

/** Size in characters (code points) and the first characters, as the original reported them. */
export function describeText(text: string): { size: number; preview: string } {
  const chars = [...text]
  const preview = chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS).join('')}...` : text
  return { size: chars.length, preview }
}

/** 413 for an upload over the limit, worded the way the original did ("Máximo: 50.0KB"). */
export function uploadTooLarge(limitBytes: number): AppError {
  return new AppError('payload_too_large', `Arquivo muito grande. Máximo: ${(limitBytes / 1024).toFixed(1)}KB`, 413)
}
