// Data transfer (backup, restore, storage migration): these read and write files on the gateway's
// host and take database URLs, so only callers with the admin role get them (conductor-mcp.ts).
// The operations themselves come from the data-transfer module.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { DataTransfer } from '../ports.js'
import { answering, fail, ok } from '../tool-results.js'
import type { McpServices } from './context.js'

/** The tools only admins are offered; everyone else neither lists nor calls them. */
export const ADMIN_TOOLS = ['backup_agents', 'restore_agents', 'migrate_storage'] as const

const FilePath = z.string().trim().min(1).max(1000)
const DatabaseUrl = z
  .string()
  .trim()
  .regex(/^(sqlite:|postgres(ql)?:\/\/)/, 'must start with sqlite: or postgres://')
  .describe('A database URL: sqlite:<file> or postgres://user@host:5432/db')

export function registerAdminTools(server: McpServer, s: Pick<McpServices, 'dataTransfer'>): void {
  const transfer = (body: (t: DataTransfer) => Promise<unknown>, what: string) =>
    answering(async () => {
      if (!s.dataTransfer) return fail(`${what} is not configured in this build of the gateway.`)
      const result = await body(s.dataTransfer)
      return ok(`✅ ${what} done\n${JSON.stringify(result, null, 2)}`, { result: result as unknown })
    })

  server.registerTool(
    'backup_agents',
    {
      title: 'Back up the gateway’s data',
      description: 'Writes the agents, personas and the rest of the gateway’s data to a backup file on the gateway’s host.',
      inputSchema: { backup_path: FilePath.describe('File to write (absolute, on the gateway’s host)') },
    },
    ({ backup_path }) => transfer((t) => t.backup(backup_path), 'Backup'),
  )

  server.registerTool(
    'restore_agents',
    {
      title: 'Restore a backup',
      description: 'Restores the gateway’s data from a backup file written by backup_agents.',
      inputSchema: { backup_path: FilePath.describe('Backup file to read (absolute, on the gateway’s host)') },
    },
    ({ backup_path }) => transfer((t) => t.restore(backup_path), 'Restore'),
  )

  server.registerTool(
    'migrate_storage',
    {
      title: 'Copy data between databases',
      description: 'Copies the gateway’s data from one database to another (e.g. the embedded SQLite file to a PostgreSQL server).',
      inputSchema: { from_url: DatabaseUrl, to_url: DatabaseUrl },
    },
    ({ from_url, to_url }) => transfer((t) => t.migrateStorage(from_url, to_url), 'Storage migration'),
  )
}
