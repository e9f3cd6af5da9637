// The CLI side of `import-mongo DIR`: migrates the gateway's database, imports, prints the report.
import type { Config } from '../../config.js'
import { keyBytesOf } from '../../config/mcp-registry.js'
import { openDatabase } from '../../platform/db/database.js'
import { migrateToLatest } from '../../platform/db/migrate.js'
import { CredentialSealer } from '../mcp-registry/credentials.js'
import { ImportMongoError, importMongoExport } from './mongo-import.js'

/** Exit code 0 when every document was imported or already present; 1 when some were skipped for a reason of their own; 2 when the directory is unusable. */
export async function importMongoCommand(config: Config, dir: string): Promise<number> {
  const database = openDatabase(config.database.url, { poolSize: 2 })
  const key = config.mcp_registry.credentialsKey
  const mcp = { sealer: key ? new CredentialSealer(keyBytesOf(key)!) : null, configured: new Set(Object.keys(config.mcp.servers)) }
  try {
    await migrateToLatest(database)
    const summary = await importMongoExport(dir, database, mcp, (line) => process.stdout.write(`${line}\n`))
    return summary.rejected > 0 ? 1 : 0
  } catch (err) {
    if (!(err instanceof ImportMongoError)) throw err
    process.stderr.write(`conductor-gateway: ${err.message}\n`)
    return 2
  } finally {
    await database.close()
  }
}
