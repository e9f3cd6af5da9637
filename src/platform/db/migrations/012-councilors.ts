import { sql, type Kysely } from 'kysely'
import type { MigrationContext } from './context.js'

/** Councilors (scheduled agents) and the ticks they fired, for the rolling 24 h spend guard. */
export function councilors({ json }: MigrationContext) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('councilors')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('agent_id', 'text', (c) => c.notNull())
        .addColumn('instance_id', 'text')
        .addColumn('screenplay_id', 'text')
        .addColumn('conversation_id', 'text')
        .addColumn('cwd', 'text')
        .addColumn('config', json, (c) => c.notNull())
        .addColumn('customization', json)
        .addColumn('schedule_type', 'text', (c) => c.notNull())
        .addColumn('schedule_value', 'text', (c) => c.notNull())
        .addColumn('timezone', 'text', (c) => c.notNull())
        .addColumn('starts_at', 'bigint')
        .addColumn('ends_at', 'bigint')
        .addColumn('anchor_at', 'bigint', (c) => c.notNull())
        .addColumn('enabled', 'boolean', (c) => c.notNull())
        .addColumn('paused_reason', 'text')
        .addColumn('overlap', 'text', (c) => c.notNull())
        .addColumn('missed', 'text', (c) => c.notNull())
        .addColumn('missed_cap', 'integer', (c) => c.notNull())
        .addColumn('max_runs_per_day', 'integer')
        .addColumn('jitter_ms', 'bigint', (c) => c.notNull())
        .addColumn('failure_limit', 'integer', (c) => c.notNull())
        .addColumn('next_tick_at', 'bigint')
        .addColumn('next_fire_at', 'bigint')
        .addColumn('last_fire_at', 'bigint')
        .addColumn('buffered_at', 'bigint')
        .addColumn('active_runs', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_run_id', 'text')
        .addColumn('total_runs', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('success_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cancelled_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('total_duration_ms', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_duration_ms', 'bigint')
        .addColumn('last_run_at', 'bigint')
        .addColumn('last_severity', 'text')
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('skipped_overlap', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('skipped_missed', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('refused_spend', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('buffered_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('cancelled_overlap', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('is_deleted', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addColumn('deleted_at', 'bigint')
        .execute()
      // The scheduler's one query: live, enabled councilors by when they fire next.
      await db.schema.createIndex('councilors_due').on('councilors').column('next_fire_at').where(sql.ref('next_fire_at'), 'is not', null).execute()
      await db.schema
        .createIndex('councilors_buffered')
        .on('councilors')
        .column('buffered_at')
        .where(sql.ref('buffered_at'), 'is not', null)
        .execute()
      // One live councilor per agent: promoting twice finds the first instead of adding a schedule.
      await db.schema
        .createIndex('councilors_one_per_agent')
        .unique()
        .on('councilors')
        .column('agent_id')
        .where(sql.ref('is_deleted'), '=', sql.lit(false))
        .execute()
      await db.schema
        .createIndex('councilors_by_instance')
        .on('councilors')
        .column('instance_id')
        .where(sql.ref('instance_id'), 'is not', null)
        .execute()

      await db.schema
        .createTable('councilor_fires')
        .addColumn('councilor_id', 'text', (c) => c.notNull())
        .addColumn('run_id', 'text', (c) => c.notNull())
        .addColumn('fired_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('councilor_fires_pk', ['councilor_id', 'fired_at', 'run_id'])
        .execute()
      await db.schema.createIndex('councilor_fires_age').on('councilor_fires').column('fired_at').execute()
    },
  }
}
