import type { Kysely } from 'kysely'

/** Payloads too large for a NOTIFY (8000 bytes) travel through this table instead. */
export function clusterMessages() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cluster_messages')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('cluster_messages_age').on('cluster_messages').column('created_at').execute()
    },
  }
}
