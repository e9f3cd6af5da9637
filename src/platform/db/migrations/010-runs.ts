import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely'
import type { MigrationContext } from './context.js'

export function runs({ json, dialect }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('agent_id', 'text')
        .addColumn('persona_version', 'integer')
        .addColumn('instance_id', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('screenplay_id', 'text')
        .addColumn('executor', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('model', 'text')
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('cwd', 'text')
        .addColumn('prompt', 'text')
        .addColumn('output', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('error', 'text')
        .addColumn('exit_code', 'integer')
        .addColumn('severity', 'text')
        .addColumn('usage', json)
        .addColumn('options', json, (c) => c.notNull())
        .addColumn('idempotency_key', 'text')
        .addColumn('timeout_ms', 'bigint', (c) => c.notNull())
        .addColumn('worker_id', 'text')
        .addColumn('lease_expires_at', 'bigint')
        .addColumn('cancel_requested', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('is_deleted', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('deleted_message_id', 'text')
        .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('ended_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
      // Partial indexes: a row is only in the index of what it is, so the hot path (a run created
      // running, then ended) touches few index pages per write.
      await partialIndex(db, 'runs_queued', ['created_at'], sql<SqlBool>`status = 'queued'`)
      await partialIndex(db, 'runs_leases', ['lease_expires_at'], sql<SqlBool>`status = 'running'`)
      await partialIndex(db, 'runs_by_conversation', ['conversation_id', 'created_at'], sql<SqlBool>`conversation_id is not null`)
      await partialIndex(db, 'runs_by_instance', ['instance_id', 'created_at'], sql<SqlBool>`instance_id is not null`)
      await partialIndex(db, 'runs_by_agent', ['agent_id', 'created_at'], sql<SqlBool>`agent_id is not null`)
      await db.schema.createIndex('runs_recent').on('runs').column('created_at').execute()
      await partialIndex(db, 'runs_ended', ['ended_at'], sql<SqlBool>`ended_at is not null`)
      await db.schema
        .createIndex('runs_idempotency_key')
        .unique()
        .on('runs')
        .column('idempotency_key')
        .where(sql.ref('idempotency_key'), 'is not', null)
        .execute()
      // At most one running run per conversation: a second claim fails instead of racing.
      await db.schema
        .createIndex('runs_one_running_per_conversation')
        .unique()
        .on('runs')
        .column('conversation_id')
        .where(sql.ref('status'), '=', sql.lit('running'))
        .execute()

      await db.schema
        .createTable('run_events')
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', json, (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('run_events_pk', ['run_id', 'seq'])
        // One b-tree instead of a table plus its key index (SQLite); PostgreSQL has no such option.
        .$call((table) => (dialect === 'sqlite' ? table.modifyEnd(sql`without rowid`) : table))
        .execute()
    },
  }
}

function partialIndex(db: Kysely<unknown>, name: string, columns: string[], where: RawBuilder<SqlBool>) {
  return db.schema.createIndex(name).on('runs').columns(columns).where(where).execute()
}
