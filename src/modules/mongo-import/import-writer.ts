// Writing one mapped document: its main row only when absent (so a second import changes nothing),
// then its child rows, in one transaction; and the per-collection report of what happened.
import type { Kysely } from 'kysely'
import type { Mapped } from './mappers.js'

// biome-ignore lint/suspicious/noExplicitAny: rows of several tables
export type AnyDb = Kysely<any>

export const COLLECTIONS = [
  'screenplays',
  'agents',
  'personas',
  'persona_versions',
  'agent_instances',
  'conversations',
  'tasks',
  'history',
  'mcp_registry',
] as const
export type Collection = (typeof COLLECTIONS)[number]

export interface CollectionReport {
  collection: Collection
  file: string | null
  imported: number
  /** Already in the database (a previous import, or the gateway's own data with the same id). */
  present: number
  skipped: Array<{ at: number | null; id?: string; reason: string }>
  notes: string[]
}

const UNIQUE_HINTS: Record<string, string> = {
  screenplays: 'the file of a live screenplay: fileKey',
  personas: 'the persona id',
}

export async function write(db: AnyDb, report: CollectionReport, mapped: Mapped, at: number | null): Promise<void> {
  const { main } = mapped
  const outcome = await db.transaction().execute(async (tx: AnyDb) => {
    if (!(await insertIfAbsent(tx, main.table, main.row))) {
      if (!main.key) return 'present' as const
      const existing = await tx.selectFrom(main.table).select(main.key).where(main.key, '=', main.row[main.key]).executeTakeFirst()
      return existing ? ('present' as const) : ('taken' as const)
    }
    let dropped = 0
    for (const child of mapped.children) if (!(await insertIfAbsent(tx, child.table, child.row))) dropped += 1
    return { dropped }
  })
  if (outcome === 'present') {
    report.present += 1
    return
  }
  if (outcome === 'taken') {
    report.skipped.push({
      at,
      id: mapped.id,
      reason: `another row already has one of its unique values (${UNIQUE_HINTS[main.table] ?? 'a unique field'})`,
    })
    return
  }
  report.imported += 1
  const notes = [...mapped.notes, ...(outcome.dropped ? [`${outcome.dropped} row(s) not written: their ids are taken by other rows`] : [])]
  for (const note of notes) report.notes.push(`${at !== null ? `line ${at} ` : ''}(${mapped.id}): ${note}`)
}

/** True when the row was written; false when a row with the same key (any unique key) exists. */
async function insertIfAbsent(db: AnyDb, table: string, row: Record<string, unknown>): Promise<boolean> {
  const result = await db
    .insertInto(table)
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst()
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0
}
