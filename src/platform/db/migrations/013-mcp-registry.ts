import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

/** Registered MCP servers (credentials encrypted), the binder's per-instance bindings and per-agent policies. */
export function mcpRegistry({ json }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('mcp_servers')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('host_url', 'text')
        .addColumn('backend_url', 'text')
        .addColumn('credentials', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('tools_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('metadata', json)
        .addColumn('last_heartbeat', 'bigint')
        .addColumn('last_used', 'bigint')
        .addColumn('registered_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('mcp_servers_heartbeat').on('mcp_servers').column('last_heartbeat').execute()
      await db.schema
        .createTable('mcp_bindings')
        .addColumn('instance_id', 'text', (c) => c.primaryKey())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text')
        .addColumn('screenplay_id', 'text')
        .addColumn('mcps', json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('total_tool_calls', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('mcp_bindings_agent').on('mcp_bindings').columns(['agent_id', 'created_at']).execute()
      await db.schema
        .createTable('mcp_policies')
        .addColumn('agent_id', 'text', (c) => c.primaryKey())
        .addColumn('allowed_mcps', json, (c) => c.notNull())
        .addColumn('denied_mcps', json, (c) => c.notNull())
        .addColumn('max_concurrent_mcps', 'integer', (c) => c.notNull())
        .addColumn('require_healthy', 'boolean', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
    },
  }
}
