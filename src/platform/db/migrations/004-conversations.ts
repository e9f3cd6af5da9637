import { sql, type Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

export function conversations({ json }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('conversations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('screenplay_id', 'text')
        .addColumn('context', 'text')
        .addColumn('active_agent', json, (c) => c.notNull())
        .addColumn('participants', json, (c) => c.notNull())
        .addColumn('allowed_agents', json, (c) => c.notNull())
        .addColumn('max_chain_depth', 'integer')
        .addColumn('auto_delegate', 'boolean', (c) => c.notNull())
        .addColumn('display_order', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('message_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_deleted', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute()
      await db.schema
        .createIndex('conversations_by_screenplay')
        .on('conversations')
        .columns(['screenplay_id', 'is_deleted', 'display_order'])
        .execute()
      await db.schema.createIndex('conversations_by_order').on('conversations').columns(['is_deleted', 'display_order', 'updated_at']).execute()

      await db.schema
        .createTable('conversation_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('agent', json, (c) => c.notNull())
        .addColumn('status', 'text')
        .addColumn('task_id', 'text')
        .addColumn('is_deleted', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
        .addColumn('is_hidden', 'boolean', (c) => c.notNull().defaultTo(sql`false`))
        .addColumn('hidden_at', 'bigint')
        .addColumn('completed_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      // Appends reserve distinct seqs; the unique index makes a collision impossible to miss.
      await db.schema.createIndex('conversation_messages_order').unique().on('conversation_messages').columns(['conversation_id', 'seq']).execute()
    },
  }
}
