// The CLI side of data transfers: `backup FILE`, `restore FILE`, `migrate-storage --from URL --to URL`.
// Prints a summary on stdout, a progress bar on stderr when it is a terminal, and a refusal's reason.
import { isDatabaseUnavailable } from '../../platform/db/errors.js'
import { DataTransferError } from './backup-format.js'
import { createDataTransfer, type TransferSummary } from './data-transfer.js'
import { progressBar, silentProgress } from './progress.js'

export interface CommandIo {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WriteStream
}

const processIo: CommandIo = { stdout: process.stdout, stderr: process.stderr }

function transfer(databaseUrl: string, io: CommandIo) {
  return createDataTransfer({ databaseUrl, progress: io.stderr.isTTY ? progressBar(io.stderr) : silentProgress })
}

function tableLines(summary: TransferSummary): string {
  return Object.entries(summary.tables)
    .map(([table, rows]) => `  ${table.padEnd(32)} ${rows}\n`)
    .join('')
}

/** Exit codes: 0 done, 1 refused (the reason is printed), 2 usage. */
async function refusals(io: CommandIo, work: () => Promise<void>): Promise<number> {
  try {
    await work()
    return 0
  } catch (err) {
    if (isDatabaseUnavailable(err)) {
      io.stderr.write(`conductor-gateway: cannot reach the database: ${(err as Error).message}\n`)
      return 1
    }
    if (!(err instanceof DataTransferError)) throw err
    io.stderr.write(`conductor-gateway: ${err.message}\n`)
    return 1
  }
}

export function backupCommand(databaseUrl: string, file: string, io = processIo): Promise<number> {
  return refusals(io, async () => {
    const result = await transfer(databaseUrl, io).backup(file)
    io.stdout.write(
      `backed up ${result.rows} rows of ${Object.keys(result.tables).length} tables to ${file} (${result.bytes} bytes)\n${tableLines(result)}`,
    )
  })
}

export function restoreCommand(databaseUrl: string, file: string, io = processIo): Promise<number> {
  return refusals(io, async () => {
    const result = await transfer(databaseUrl, io).restore(file)
    io.stdout.write(
      `restored ${result.rows} rows of ${Object.keys(result.tables).length} tables from ${file} ` +
        `(made ${result.backup.created_at} on ${result.backup.dialect})\n${tableLines(result)}`,
    )
  })
}

export function migrateStorageCommand(fromUrl: string, toUrl: string, io = processIo): Promise<number> {
  return refusals(io, async () => {
    const result = await transfer(fromUrl, io).migrateStorage(fromUrl, toUrl)
    io.stdout.write(
      `copied ${result.rows} rows of ${Object.keys(result.tables).length} tables from ${result.from} to ${result.to}\n${tableLines(result)}`,
    )
  })
}
