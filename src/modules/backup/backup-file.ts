// The backup file on disk: a sink that writes JSON Lines with backpressure (to FILE.partial, renamed
// once complete, so a failed backup never leaves a file that looks whole), and a reader that streams
// a file into any sink, naming the line of the first thing it cannot accept.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { BACKUP_FORMAT, BACKUP_VERSION, DataTransferError, type BackupHeader, type DataSink, type Row, type TableHeader } from './backup-format.js'
import type { Progress } from './progress.js'

const ROWS_PER_BATCH = 500

export interface FileSink extends DataSink {
  /** Removes the partial file after a failure. */
  abort(): Promise<void>
}

export function fileSink(file: string): FileSink {
  const partial = `${file}.partial`
  let out: WriteStream | undefined
  const write = async (text: string) => {
    if (!out) throw new Error('backup file is not open')
    // events.once rejects when the stream emits 'error' while we wait.
    if (!out.write(text)) await once(out, 'drain')
  }
  return {
    async begin(header) {
      out = createWriteStream(partial, { flags: 'w', highWaterMark: 1 << 16 })
      await once(out, 'open')
      await write(`${JSON.stringify(header)}\n`)
    },
    table: (header) => write(`${JSON.stringify(header)}\n`),
    rows: (rows) => write(rows.map((row) => `${JSON.stringify(row)}\n`).join('')),
    async end(trailer) {
      await write(`${JSON.stringify(trailer)}\n`)
      const stream = out!
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))
      await rename(partial, file)
    },
    async abort() {
      out?.destroy()
      await rm(partial, { force: true })
    },
  }
}

/** Reads the header only (the restore checks it before touching the target). */
export async function readBackupHeader(file: string): Promise<BackupHeader> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })
  try {
    for await (const line of lines) return parseHeader(line)
    throw new DataTransferError('line 1: the file is empty, not a conductor-gateway backup')
  } finally {
    lines.close()
  }
}

export async function readBackupFile(file: string, sink: DataSink, progress: Progress): Promise<void> {
  const { size } = await stat(file)
  const input = createReadStream(file, { highWaterMark: 1 << 16 })
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  progress.start('restore', size)
  let lineNo = 0
  let table: TableHeader | undefined
  let batch: Row[] = []
  let batchStart = 0
  let ended = false
  const at = (line: number, err: unknown): never => {
    if (err instanceof DataTransferError) throw new DataTransferError(`line ${line}: ${err.message}`)
    throw new DataTransferError(`line ${line}: the database refused it: ${(err as Error).message}`)
  }
  const flush = async () => {
    if (batch.length === 0) return
    const rows = batch
    const first = batchStart
    batch = []
    try {
      await sink.rows(rows)
    } catch (err) {
      if (err instanceof DataTransferError || rows.length === 1) at(first, err)
      // One INSERT carries the whole batch: the database does not say which of its rows it refused.
      throw new DataTransferError(
        `lines ${first}–${first + rows.length - 1} (table ${table?.table}): the database refused a row among them: ${(err as Error).message}`,
      )
    }
    progress.update(input.bytesRead, table?.table)
  }
  try {
    for await (const line of lines) {
      lineNo += 1
      if (ended) throw new DataTransferError(`line ${lineNo}: text after the end record`)
      if (lineNo === 1) {
        await sink.begin(parseHeader(line)).catch((err) => at(1, err))
        continue
      }
      const record = parseLine(line, lineNo)
      if (Array.isArray(record)) {
        if (!table) throw new DataTransferError(`line ${lineNo}: a row before any table header`)
        if (record.length !== table.columns.length) {
          throw new DataTransferError(`line ${lineNo}: a row of table ${table.table} has ${record.length} values for ${table.columns.length} columns`)
        }
        if (batch.length === 0) batchStart = lineNo
        batch.push(record)
        if (batch.length >= ROWS_PER_BATCH) await flush()
        continue
      }
      await flush()
      if (record.end === true) {
        if (typeof record.rows !== 'number') throw new DataTransferError(`line ${lineNo}: the end record has no row count`)
        await sink.end({ end: true, tables: Number(record.tables), rows: record.rows }).catch((err) => at(lineNo, err))
        ended = true
        continue
      }
      table = parseTableHeader(record, lineNo)
      await sink.table(table).catch((err) => at(lineNo, err))
    }
    if (!ended) throw new DataTransferError(`the backup ends at line ${lineNo} without its end record: the file was cut short`)
    progress.finish()
  } finally {
    lines.close()
    input.destroy()
  }
}

function parseLine(line: string, lineNo: number): Record<string, unknown> | unknown[] {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err) {
    throw new DataTransferError(`line ${lineNo}: not valid JSON (${(err as Error).message})`)
  }
  if (value === null || typeof value !== 'object') throw new DataTransferError(`line ${lineNo}: expected a row (an array) or a record (an object)`)
  return value as Record<string, unknown> | unknown[]
}

function parseHeader(line: string): BackupHeader {
  const header = parseLine(line, 1) as Partial<BackupHeader>
  if (Array.isArray(header) || header.format !== BACKUP_FORMAT) throw new DataTransferError('line 1: not a conductor-gateway backup')
  if (header.version !== BACKUP_VERSION)
    throw new DataTransferError(`line 1: backup format version ${header.version} is not supported (expected ${BACKUP_VERSION})`)
  if (!Array.isArray(header.migrations) || !header.migrations.every((m) => typeof m === 'string')) {
    throw new DataTransferError('line 1: the header lists no schema migrations')
  }
  return header as BackupHeader
}

function parseTableHeader(record: Record<string, unknown>, lineNo: number): TableHeader {
  const { table, columns, rows } = record
  if (typeof table !== 'string' || !Array.isArray(columns) || !columns.every((c) => typeof c === 'string') || !Number.isInteger(rows)) {
    throw new DataTransferError(`line ${lineNo}: expected a table header {"table", "columns", "rows"}`)
  }
  return { table, columns: columns as string[], rows: rows as number }
}
