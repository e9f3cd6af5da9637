// The backup file: JSON Lines, one record a line, written and read as a stream.
//   {"format":"conductor-gateway-backup","version":1,"created_at":"…","dialect":"sqlite","migrations":[…]}
//   {"table":"agents","columns":["agent_id",…],"rows":2}      then that many lines, one row each:
//   ["Coder_Agent",…]                                           values in the header's column order
//   {"end":true,"tables":12,"rows":3456}                       a file without it was cut short
// Values are JSON scalars: JSON columns as their JSON text, booleans as true/false.

export const BACKUP_FORMAT = 'conductor-gateway-backup'
export const BACKUP_VERSION = 1

export interface BackupHeader {
  format: typeof BACKUP_FORMAT
  version: number
  created_at: string
  dialect: string
  /** The schema migrations applied to the source, in order: restore needs the same. */
  migrations: string[]
}

export interface TableHeader {
  table: string
  columns: string[]
  rows: number
}

export interface BackupTrailer {
  end: true
  tables: number
  rows: number
}

export type Row = unknown[]

/**
 * Where a data stream goes: a backup file, or another database (restore, migrate-storage).
 * `rows` resolves once the sink can take more, which is how backpressure reaches the reader.
 */
export interface DataSink {
  begin(header: BackupHeader): Promise<void>
  table(header: TableHeader): Promise<void>
  rows(rows: Row[]): Promise<void>
  end(trailer: BackupTrailer): Promise<void>
}

/** A backup that cannot be restored, or a target that cannot take it; the message says why. */
export class DataTransferError extends Error {
  override name = 'DataTransferError'
}
