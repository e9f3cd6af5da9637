// Storage of registered (external) MCP servers.
import type { Insertable, Kysely, Selectable } from 'kysely'
import type { McpTransport } from '../../config/executors.js'
import { fromJson, toJson } from '../../platform/db/json.js'
import type { Tables } from '../../platform/db/tables.js'
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { McpMetadata, McpServerEntry, McpStatus } from './registry.model.js'

export type McpServerChanges = Partial<Pick<McpServerEntry, 'status' | 'toolsCount' | 'lastHeartbeat' | 'lastUsed'>> & { updatedAt: number }

export interface McpServersRepo {
  find(name: string, uow?: UnitOfWork): Promise<McpServerEntry | undefined>
  list(): Promise<McpServerEntry[]>
  /** Inserts, or replaces every field of the server of that name. */
  upsert(entry: McpServerEntry, uow?: UnitOfWork): Promise<void>
  /** False when no server has that name. */
  update(name: string, changes: McpServerChanges, uow?: UnitOfWork): Promise<boolean>
  delete(name: string, uow?: UnitOfWork): Promise<boolean>
  /** Deletes servers last heard from before `before` (never-heard ones stay); returns how many went. */
  deleteSilentSince(before: number, uow?: UnitOfWork): Promise<number>
}

type Row = Selectable<Tables['mcp_servers']>

export class KyselyMcpServersRepo implements McpServersRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async find(name: string, uow?: UnitOfWork) {
    const row = await queriesOf(uow, this.db).selectFrom('mcp_servers').selectAll().where('name', '=', name).executeTakeFirst()
    return row ? toEntry(row) : undefined
  }

  async list() {
    const rows = await this.db.selectFrom('mcp_servers').selectAll().orderBy('name').execute()
    return rows.map(toEntry)
  }

  async upsert(entry: McpServerEntry, uow?: UnitOfWork) {
    const { name, ...rest } = toRow(entry)
    await queriesOf(uow, this.db)
      .insertInto('mcp_servers')
      .values({ name, ...rest })
      .onConflict((oc) => oc.column('name').doUpdateSet(rest))
      .execute()
  }

  async update(name: string, changes: McpServerChanges, uow?: UnitOfWork) {
    const result = await queriesOf(uow, this.db)
      .updateTable('mcp_servers')
      .set({
        updated_at: changes.updatedAt,
        ...(changes.status !== undefined && { status: changes.status }),
        ...(changes.toolsCount !== undefined && { tools_count: changes.toolsCount }),
        ...(changes.lastHeartbeat !== undefined && { last_heartbeat: changes.lastHeartbeat }),
        ...(changes.lastUsed !== undefined && { last_used: changes.lastUsed }),
      })
      .where('name', '=', name)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async delete(name: string, uow?: UnitOfWork) {
    const result = await queriesOf(uow, this.db).deleteFrom('mcp_servers').where('name', '=', name).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async deleteSilentSince(before: number, uow?: UnitOfWork) {
    const result = await queriesOf(uow, this.db).deleteFrom('mcp_servers').where('last_heartbeat', '<', before).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

function toRow(e: McpServerEntry): Insertable<Tables['mcp_servers']> & { name: string } {
  return {
    name: e.name,
    url: e.url,
    transport: e.transport,
    host_url: e.hostUrl,
    backend_url: e.backendUrl,
    credentials: e.credentials,
    status: e.status,
    tools_count: e.toolsCount,
    metadata: e.metadata ? toJson(e.metadata) : null,
    last_heartbeat: e.lastHeartbeat,
    last_used: e.lastUsed,
    registered_at: e.registeredAt,
    updated_at: e.updatedAt,
  }
}

function toEntry(row: Row): McpServerEntry {
  const nullableNumber = (value: unknown) => (value === null || value === undefined ? null : Number(value))
  return {
    name: row.name,
    type: 'external',
    url: row.url,
    transport: row.transport as McpTransport,
    hostUrl: row.host_url,
    backendUrl: row.backend_url,
    credentials: row.credentials,
    status: row.status as McpStatus,
    toolsCount: Number(row.tools_count),
    metadata: fromJson<McpMetadata | null>(row.metadata, null),
    lastHeartbeat: nullableNumber(row.last_heartbeat),
    lastUsed: nullableNumber(row.last_used),
    registeredAt: Number(row.registered_at),
    updatedAt: Number(row.updated_at),
  }
}
