// For data-transfer tests: a gateway database filled through the real API (every table gets rows),
// and a snapshot of every table, independent of the backup code, to compare two databases with.
import { waitFor } from './wait.js'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql, type Kysely } from 'kysely'
import { buildApp } from '../../src/app.js'
import { createDeps } from '../../src/deps.js'
import { ApiKeys } from '../../src/modules/auth/api-keys.js'
import { KyselyApiKeysRepo } from '../../src/modules/auth/api-keys.repo.js'
import { openDatabase } from '../../src/platform/db/database.js'
import { testConfig } from './build-test-app.js'
import { createTestDatabase, testDialect, urlWithSchema } from './test-database.js'

export interface DataUrl {
  /** A URL a new connection (or a child process) can open. */
  url: string
  drop(): Promise<void>
}

/** A fresh, reopenable database of the dialect under test, as a plain URL. */
export async function freshDatabase(dialect = testDialect()): Promise<DataUrl> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-data-'))
    return { url: `sqlite:${path.join(dir, 'gateway.db')}`, drop: async () => {} }
  }
  const db = await createTestDatabase()
  return { url: urlWithSchema(db.url, db.schema!), drop: () => db.drop() }
}

/** Fills every table through the real HTTP API, with awkward values (unicode, newlines, quotes). */
export async function seedThroughApi(url: string): Promise<void> {
  const deps = await createDeps(testConfig({}, url), { database: { poolSize: 2 } })
  const app = await buildApp(deps, { logger: false })
  await app.ready()
  deps.start()
  const call = async (method: 'POST' | 'PUT', route: string, payload: Record<string, unknown>, status = [200, 201]) => {
    const res = await app.inject({ method, url: route, payload })
    assert.ok(status.includes(res.statusCode), `${method} ${route}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  try {
    const screenplay = await call('POST', '/api/screenplays', { name: 'Ação “quoted”', content: '# Plan 🚀\n\nline "two"\n', tags: ['a', 'ü'] })
    const agentId = (
      await call('POST', '/api/agents', {
        name: 'Backup_Agent',
        description: 'Checks backups\nthoroughly',
        persona_content: '# Persona\n\nYou check backups — carefully, line by line, and report what is missing. 🧪',
        tags: ['ops'],
      })
    ).agent_id
    const conversation = await call('POST', '/api/conversations/', { title: 'Talk ☕', screenplay_id: screenplay.id })
    await call('POST', `/api/conversations/${conversation.conversation_id}/messages`, { user_input: 'hello\nthere', agent_response: 'hi "you"' })
    await call('POST', '/api/agents/instances', {
      instance_id: 'instance-backup-1',
      agent_id: agentId,
      position: { x: 1.5, y: -2 },
      screenplay_id: screenplay.id,
      conversation_id: conversation.conversation_id,
      config: { nested: { deep: [1, null, 'x'] } },
    })
    await call('PUT', '/api/navigation', {
      screenplay_id: screenplay.id,
      conversation_id: conversation.conversation_id,
      instance_id: 'instance-backup-1',
    })
    for (const input of ['first run', 'second ✓ run']) await call('POST', '/api/runs', { input, ai_provider: 'echo', wait: true })
    // A councilor on a 1-second schedule, until its first tick is recorded.
    await call('POST', '/api/councilors/promote', {
      agent_id: agentId,
      councilor_config: {
        title: 'Backup watch',
        schedule: { type: 'interval', value: '1s', enabled: true },
        task: { name: 'Check', prompt: 'check the backups' },
      },
    })
    await waitFor(
      async () => {
        const { jobs } = (await app.inject({ method: 'GET', url: '/api/councilors/scheduler/jobs' })).json()
        return jobs.some((job: { last_run_time: string | null }) => job.last_run_time !== null)
      },
      30_000,
      'a councilor tick is recorded',
    )
    await call('POST', '/mcp/register', { name: 'backup-mcp', url: 'http://127.0.0.1:9/mcp' })
    await call('POST', '/binder/policies', { agent_id: agentId, allowed_mcps: ['*'], denied_mcps: [], require_healthy: false })
    await new ApiKeys(new KyselyApiKeysRepo(deps.database.db), deps.clock).create({ role: 'mcp-sidecar', name: 'backup-mcp', label: 'sidecar ✓' })
    await call('POST', '/binder/bind', { instance_id: 'instance-backup-1', agent_id: agentId, mcp_names: ['backup-mcp'] })
  } finally {
    await app.close()
    await deps.close()
  }
}

/** Every table of the schema (by the database's own catalog), sorted. */
export async function tablesOf(url: string): Promise<string[]> {
  const database = openDatabase(url, { poolSize: 1 })
  try {
    const query =
      database.dialect === 'sqlite'
        ? sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
        : sql<{
            name: string
          }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'`
    return (await query.execute(database.db)).rows.map((row) => row.name).sort()
  } finally {
    await database.close()
  }
}

export type Snapshot = Record<string, Array<Record<string, unknown>>>

/**
 * Every row of `tables`, sorted by its JSON text. `jsonColumns` (table → columns) are compared
 * as parsed JSON and `boolColumns` as booleans, for comparing SQLite with PostgreSQL.
 */
export async function snapshotOf(
  url: string,
  tables: string[],
  normalise: { jsonColumns?: Map<string, Set<string>>; boolColumns?: Map<string, Set<string>> } = {},
): Promise<Snapshot> {
  const database = openDatabase(url, { poolSize: 1 })
  // biome-ignore lint/suspicious/noExplicitAny: any table
  const db = database.db as Kysely<any>
  try {
    const snapshot: Snapshot = {}
    for (const table of tables) {
      const rows = await db.selectFrom(table).selectAll().execute()
      const json = normalise.jsonColumns?.get(table) ?? new Set()
      const bools = normalise.boolColumns?.get(table) ?? new Set()
      snapshot[table] = rows
        .map((row: Record<string, unknown>) =>
          Object.fromEntries(
            Object.entries(row).map(([column, value]) => {
              if (value !== null && json.has(column) && typeof value === 'string') return [column, JSON.parse(value)]
              if (value !== null && bools.has(column)) return [column, value === true || value === 1]
              return [column, value]
            }),
          ),
        )
        .sort((a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    }
    return snapshot
  } finally {
    await database.close()
  }
}

/** Column names by type, read from PostgreSQL's catalog (SQLite declares JSON columns as text). */
export async function postgresColumnsOfType(url: string, dataType: string): Promise<Map<string, Set<string>>> {
  const database = openDatabase(url, { poolSize: 1 })
  try {
    const { rows } = await sql<{ table_name: string; column_name: string }>`
      select table_name, column_name from information_schema.columns where table_schema = current_schema() and data_type = ${dataType}`.execute(
      database.db,
    )
    const map = new Map<string, Set<string>>()
    for (const row of rows) map.set(row.table_name, (map.get(row.table_name) ?? new Set()).add(row.column_name))
    return map
  } finally {
    await database.close()
  }
}
