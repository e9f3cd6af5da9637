// What SQLite alone costs for a read path's statements, and for a run's writes: the same SQL on the gateway's own
// database file, run in this process with better-sqlite3 (rows made objects as the gateway makes
// them), without HTTP, routing or serialization. No gateway can answer for less.
import { copyFileSync, rmSync } from 'node:fs'
import BetterSqlite3 from 'better-sqlite3'
import { ROWS_PER_INSERT } from '../../src/engine/run-event-log.js'
import { RUN_COLUMNS } from '../../src/engine/run-rows.js'
import { rowFactoryOf, withUnplannedLimits } from '../../src/platform/db/sqlite.js'

const SUMMARY =
  '"id", "name", "description", "tags", "working_directory", "file_path", "import_path", "export_path", "file_key", "content_hash", "is_deleted", "version", "created_at", "updated_at", "last_used_at", "deleted_at"'

export interface SqliteFloor {
  /** GET /api/screenplays/{id}: one row by id. */
  oneUs: number
  /** GET /api/screenplays?limit=20: a page of 20 summaries and their count. */
  listUs: number
}

export function sqliteFloor(file: string, id: string, iterations = 20_000): SqliteFloor {
  const db = new BetterSqlite3(file, { readonly: true })
  try {
    const one = rowsOf(db, 'select * from "screenplays" where "id" = ? and "is_deleted" = ?')
    const page = rowsOf(db, `select ${SUMMARY} from "screenplays" where "is_deleted" = ? order by "last_used_at" desc, "id" desc limit ? offset ?`)
    const count = rowsOf(db, 'select count(*) as "total" from "screenplays" where "is_deleted" = ?')
    return {
      oneUs: microsEach(iterations, () => one(id, 0)),
      listUs: microsEach(iterations, () => {
        page(0, 20, 0)
        count(0)
      }),
    }
  } finally {
    db.close()
  }
}

/** A query prepared and answering row objects the way the gateway does (see rowFactoryOf, withUnplannedLimits). */
function rowsOf(db: BetterSqlite3.Database, sql: string): (...values: unknown[]) => unknown[] {
  const statement = db.prepare(withUnplannedLimits(sql)).raw(true)
  const toRow = rowFactoryOf(statement.columns())
  return (...values) => (statement.all(...values) as unknown[][]).map(toRow)
}

function microsEach(iterations: number, work: () => void): number {
  for (let i = 0; i < 1000; i++) work()
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) work()
  return Number(process.hrtime.bigint() - start) / 1000 / iterations
}

/**
 * What SQLite alone costs for the writes of one echo run created running (the cheapest path: no
 * claim): insert the run and its `run.queued` + `run.started` events; later end it (returning the
 * row) and insert its output, usage and final events. `perCommit` runs share each commit, as the
 * gateway's group commit gathers them, and so do their events' inserts (up to ROWS_PER_INSERT
 * events a statement). Runs on a copy of `file` (a gateway's database after its
 * bench, so tables and indexes are as full as there); microseconds per run.
 */
/** Runs that share a commit in the floor, about what the gateway's group commit gathers at c=50. */
export const FLOOR_RUNS_PER_COMMIT = 15

export function sqliteRunFloor(file: string, runs = 20_000, perCommit = FLOOR_RUNS_PER_COMMIT): number {
  const copy = `${file}.floor`
  const source = new BetterSqlite3(file)
  source.pragma('wal_checkpoint(TRUNCATE)')
  source.close()
  copyFileSync(file, copy)
  const db = new BetterSqlite3(copy)
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    const columns = RUN_COLUMNS.map((c) => `"${c}"`).join(', ')
    const insertRun = db.prepare(`insert into "runs" (${columns}) values (${RUN_COLUMNS.map(() => '?').join(', ')})`)
    const inserts = new Map<number, BetterSqlite3.Statement>()
    const insertEvents = (rows: unknown[][]) => {
      for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
        const chunk = rows.slice(start, start + ROWS_PER_INSERT)
        let insert = inserts.get(chunk.length)
        if (!insert) {
          const values = Array(chunk.length).fill('(?, ?, ?, ?, ?)').join(', ')
          insert = db.prepare(`insert into "run_events" ("run_id", "seq", "type", "data", "at") values ${values}`)
          inserts.set(chunk.length, insert)
        }
        insert.run(...chunk.flat())
      }
    }
    const end = rowsOf(
      db,
      `update "runs" set "last_seq" = "last_seq" + ?, "status" = ?, "output" = ?, "error" = ?, "exit_code" = ?, "severity" = ?, "usage" = ?, "ended_at" = ?, "updated_at" = ?, "lease_expires_at" = ? where "id" = ? and "status" in ('running') returning *`,
    )
    const begin = db.prepare('begin')
    const commit = db.prepare('commit')
    const context = JSON.stringify({
      agentId: null,
      agentName: null,
      agentEmoji: null,
      instanceId: null,
      conversationId: null,
      screenplayId: null,
      source: 'api',
      provider: 'echo',
      model: null,
      isCouncilor: false,
    })
    const output = 'hello benchmark world'
    let next = 0
    const batch = (count: number) => {
      const ids = Array.from({ length: count }, () => `floor${(next++).toString().padStart(19, '0')}`)
      const now = Date.now()
      begin.run()
      const created: unknown[][] = []
      for (const id of ids) {
        insertRun.run(
          id,
          'running',
          'api',
          null,
          null,
          null,
          null,
          null,
          'echo',
          'echo',
          null,
          output,
          null,
          null,
          '',
          null,
          null,
          null,
          null,
          '{}',
          null,
          600_000,
          'floor-worker',
          now + 30_000,
          0,
          0,
          null,
          2,
          now,
          now,
          null,
          now,
        )
        created.push([id, 1, 'run.queued', context, now], [id, 2, 'run.started', '{"workerId":"floor-worker"}', now])
      }
      insertEvents(created)
      commit.run()
      begin.run()
      const ended: unknown[][] = []
      for (const id of ids) {
        end(3, 'completed', output, null, 0, 'success', '{"tokensIn":3,"tokensOut":3}', now, now, null, id)
        ended.push(
          [id, 3, 'text.delta', JSON.stringify({ text: output }), now],
          [id, 4, 'usage', '{"usage":{"tokensIn":3,"tokensOut":3}}', now],
          [id, 5, 'run.completed', JSON.stringify({ output, exitCode: 0, durationMs: 1, severity: 'success' }), now],
        )
      }
      insertEvents(ended)
      commit.run()
    }
    for (let i = 0; i < 1000 / perCommit; i++) batch(perCommit)
    const start = process.hrtime.bigint()
    const batches = Math.ceil(runs / perCommit)
    for (let i = 0; i < batches; i++) batch(perCommit)
    return Number(process.hrtime.bigint() - start) / 1000 / (batches * perCommit)
  } finally {
    db.close()
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${copy}${suffix}`, { force: true })
  }
}
