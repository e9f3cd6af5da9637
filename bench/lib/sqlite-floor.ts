// What SQLite alone costs for a read path's statements: the same SQL on the gateway's own
// database file, run in this process with better-sqlite3 (rows as objects, as the gateway gets
// them), without HTTP, routing or serialization. No gateway can answer for less.
import BetterSqlite3 from 'better-sqlite3'

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
    const one = db.prepare('select * from "screenplays" where "id" = ? and "is_deleted" = ?')
    const page = db.prepare(`select ${SUMMARY} from "screenplays" where "is_deleted" = ? order by "last_used_at" desc, "id" desc limit ? offset ?`)
    const count = db.prepare('select count(*) as "total" from "screenplays" where "is_deleted" = ?')
    return {
      oneUs: microsEach(iterations, () => one.all(id, 0)),
      listUs: microsEach(iterations, () => {
        page.all(0, 20, 0)
        count.all(0)
      }),
    }
  } finally {
    db.close()
  }
}

function microsEach(iterations: number, work: () => void): number {
  for (let i = 0; i < 1000; i++) work()
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) work()
  return Number(process.hrtime.bigint() - start) / 1000 / iterations
}
