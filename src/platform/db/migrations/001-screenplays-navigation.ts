import { sql, type Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

export function screenplaysAndNavigation({ json }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('screenplays')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('tags', json, (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('working_directory', 'text')
        .addColumn('file_path', 'text')
        .addColumn('import_path', 'text')
        .addColumn('export_path', 'text')
        .addColumn('file_key', 'text')
        .addColumn('content_hash', 'text')
        .addColumn('is_deleted', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute()
      await db.schema.createIndex('screenplays_live_by_last_used').on('screenplays').columns(['is_deleted', 'last_used_at']).execute()
      // One live screenplay per file: the race-free half of the duplicate check.
      await db.schema
        .createIndex('screenplays_live_file_key')
        .unique()
        .on('screenplays')
        .column('file_key')
        .where(sql.ref('is_deleted'), '=', sql`false`)
        .execute()

      await db.schema
        .createTable('navigation_screenplay_states')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('screenplay_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text')
        .addColumn('instance_id', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('navigation_screenplay_states_pk', ['user_id', 'screenplay_id'])
        .execute()
      await db.schema
        .createIndex('navigation_screenplay_states_recent')
        .on('navigation_screenplay_states')
        .columns(['user_id', 'updated_at'])
        .execute()
      await db.schema
        .createTable('navigation_conversation_states')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('screenplay_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('navigation_conversation_states_pk', ['user_id', 'conversation_id'])
        .execute()
    },
  }
}
