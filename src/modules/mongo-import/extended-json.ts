// Reading `mongoexport` output: one document a line (its default) or one JSON array (--jsonArray),
// in MongoDB Extended JSON, canonical or relaxed. `$oid` becomes its hex string, `$date` a Date,
// the `$number…` wrappers numbers; anything else stays as it is.
import { createReadStream } from 'node:fs'
import { open, readFile } from 'node:fs/promises'
import { createInterface } from 'node:readline'

export type Document = Record<string, unknown>

export interface ExportedDocument {
  /** Where the document is in its file: the line (one per line) or the array index + 1 (--jsonArray). */
  at: number
  doc?: Document
  /** Why the entry could not be read (it is reported and skipped). */
  error?: string
}

/** The documents of one export file, streamed when it is one document a line. */
export async function* readExport(file: string): AsyncGenerator<ExportedDocument> {
  if (await startsWithArray(file)) {
    // --jsonArray output is one JSON value: it is read whole.
    let parsed: unknown
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'))
    } catch (err) {
      yield { at: 1, error: `the file is not valid JSON (${(err as Error).message})` }
      return
    }
    for (const [index, value] of (parsed as unknown[]).entries()) yield entryOf(index + 1, value)
    return
  }
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  let lineNo = 0
  for await (const line of lines) {
    lineNo += 1
    if (line.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (err) {
      yield { at: lineNo, error: `not valid JSON (${(err as Error).message})` }
      continue
    }
    yield entryOf(lineNo, value)
  }
}

function entryOf(at: number, value: unknown): ExportedDocument {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { at, error: 'not a document (a JSON object)' }
  return { at, doc: decode(value) as Document }
}

async function startsWithArray(file: string): Promise<boolean> {
  const handle = await open(file, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').trimStart().startsWith('[')
  } finally {
    await handle.close()
  }
}

/** Extended JSON → plain values. */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode)
  if (value === null || typeof value !== 'object') return value
  const object = value as Record<string, unknown>
  const keys = Object.keys(object)
  if (keys.length === 1) {
    const [key] = keys as [string]
    const inner = object[key]
    switch (key) {
      case '$oid':
        return String(inner)
      case '$date':
        return dateOf(inner)
      case '$numberLong':
      case '$numberInt':
      case '$numberDouble':
      case '$numberDecimal':
        return Number(inner)
      case '$binary':
      case '$uuid':
        return typeof inner === 'string' ? inner : (inner as { base64?: string }).base64
    }
  }
  return Object.fromEntries(keys.map((key) => [key, decode(object[key])]))
}

function dateOf(inner: unknown): Date | null {
  if (typeof inner === 'string') return parseTime(inner)
  if (typeof inner === 'number') return new Date(inner)
  if (inner && typeof inner === 'object' && '$numberLong' in inner) return new Date(Number((inner as { $numberLong: string }).$numberLong))
  return null
}

const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i

/** ISO-8601 with or without a zone; the original wrote naive UTC (and some local) times: naive is read as UTC. */
export function parseTime(text: string): Date | null {
  const trimmed = text.trim()
  if (!/^\d{4}-\d{2}-\d{2}/.test(trimmed)) return null
  const iso = HAS_ZONE.test(trimmed) || trimmed.length === 10 ? trimmed : `${trimmed.replace(' ', 'T')}Z`
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? null : date
}

/** Epoch milliseconds of a decoded time (Date, ISO string, epoch number), or undefined. */
export function millisOf(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime()
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string') return parseTime(value)?.getTime()
  return undefined
}
