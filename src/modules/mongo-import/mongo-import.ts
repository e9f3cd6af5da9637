// `conductor-gateway import-mongo DIR`: loads a mongoexport of the original gateway's database
// (one file per collection, `<collection>.json`) into the gateway's tables. Each document is
// written in its own transaction, only when its row is not there yet, so a second import of the
// same export changes nothing. Every document that is not imported is reported with the reason.
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Kysely } from 'kysely'
import type { Database } from '../../platform/db/database.js'
import { personaContentProblem } from '../personas/persona-content.js'
import { readExport, millisOf, type Document } from './extended-json.js'
import {
  MappingSkip,
  mapAgent,
  mapConversation,
  mapInstance,
  mapPersona,
  mapScreenplay,
  mapTask,
  type AgentPersona,
  type Mapped,
  type PersonaVersionInput,
} from './mappers.js'

// biome-ignore lint/suspicious/noExplicitAny: rows of several tables
type AnyDb = Kysely<any>

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

/** Collections with no place in this version's schema: their documents are counted and skipped with this reason. */
const NOT_IMPORTED: Partial<Record<Collection, string>> = {
  history: 'the gateway keeps no separate per-instance history: an instance’s history is its runs (imported from tasks)',
  mcp_registry: 'this gateway version has no MCP registry table yet',
}

export interface CollectionReport {
  collection: Collection
  file: string | null
  imported: number
  /** Already in the database (a previous import, or the gateway's own data with the same id). */
  present: number
  skipped: Array<{ at: number | null; id?: string; reason: string }>
  notes: string[]
}

export interface MongoImportSummary {
  collections: CollectionReport[]
  imported: number
  present: number
  skipped: number
  /** Documents skipped for a reason of their own (not because their whole collection has no place here). */
  rejected: number
}

export class ImportMongoError extends Error {}

export async function importMongoExport(dir: string, database: Database, print: (line: string) => void = () => {}): Promise<MongoImportSummary> {
  if (!existsSync(dir)) throw new ImportMongoError(`no export directory at ${dir}`)
  const files = new Map(COLLECTIONS.map((collection) => [collection, exportFile(dir, collection)]))
  if ([...files.values()].every((file) => file === null)) {
    throw new ImportMongoError(`${dir} holds none of ${COLLECTIONS.map((c) => `${c}.json`).join(', ')}`)
  }
  const db = database.db as AnyDb
  const now = Date.now()
  const reports: CollectionReport[] = []
  const report = (collection: Collection): CollectionReport => {
    const entry: CollectionReport = { collection, file: files.get(collection) ?? null, imported: 0, present: 0, skipped: [], notes: [] }
    reports.push(entry)
    return entry
  }

  await importEach(db, report('screenplays'), (doc) => mapScreenplay(doc, now))
  const agentPersonas = new Map<string, AgentPersona>()
  await importEach(db, report('agents'), (doc) => {
    const mapped = mapAgent(doc, now)
    if (mapped.persona) agentPersonas.set(mapped.id, mapped.persona)
    return mapped
  })
  await importPersonas(db, report('personas'), report('persona_versions'), agentPersonas, now)
  await importEach(db, report('agent_instances'), (doc) => mapInstance(doc, now))
  await importEach(db, report('conversations'), (doc) => mapConversation(doc, now))
  await importEach(db, report('tasks'), (doc) => mapTask(doc, now))
  for (const collection of ['history', 'mcp_registry'] as const) await skipCollection(report(collection), NOT_IMPORTED[collection]!)

  for (const entry of reports) for (const line of describe(entry)) print(line)
  const total = (pick: (r: CollectionReport) => number) => reports.reduce((sum, r) => sum + pick(r), 0)
  const summary = {
    collections: reports,
    imported: total((r) => r.imported),
    present: total((r) => r.present),
    skipped: total((r) => r.skipped.length),
    rejected: total((r) => (NOT_IMPORTED[r.collection] ? 0 : r.skipped.length)),
  }
  print(`done: ${summary.imported} imported, ${summary.present} already present, ${summary.skipped} skipped`)
  return summary
}

function exportFile(dir: string, collection: Collection): string | null {
  for (const name of [`${collection}.json`, `${collection}.jsonl`, `${collection}.ndjson`]) {
    const file = path.join(dir, name)
    if (existsSync(file)) return file
  }
  return null
}

function describe(report: CollectionReport): string[] {
  const head = report.file
    ? `${report.collection}: ${report.imported} imported, ${report.present} already present, ${report.skipped.length} skipped`
    : `${report.collection}: no ${report.collection}.json, nothing to import`
  const where = (at: number | null, id?: string) => [at !== null ? `line ${at}` : '', id ? `(${id})` : ''].filter(Boolean).join(' ')
  return [
    head,
    ...report.skipped.map((s) => `  skipped ${where(s.at, s.id)}: ${s.reason}`.replace('skipped :', 'skipped:')),
    ...report.notes.map((note) => `  note ${note}`),
  ]
}

/** Maps and writes every document of one collection; duplicates within the export keep the first. */
async function importEach(db: AnyDb, report: CollectionReport, map: (doc: Document) => Mapped): Promise<void> {
  if (!report.file) return
  const firstSeen = new Map<string, number>()
  for await (const entry of readExport(report.file)) {
    if (!entry.doc) {
      report.skipped.push({ at: entry.at, reason: entry.error! })
      continue
    }
    let mapped: Mapped
    try {
      mapped = map(entry.doc)
    } catch (err) {
      if (!(err instanceof MappingSkip)) throw err
      report.skipped.push({ at: entry.at, reason: err.message })
      continue
    }
    const first = firstSeen.get(mapped.id)
    if (first !== undefined) {
      report.skipped.push({ at: entry.at, id: mapped.id, reason: `duplicate id (first at line ${first}, which was kept)` })
      continue
    }
    firstSeen.set(mapped.id, entry.at)
    await write(db, report, mapped, entry.at)
  }
}

const UNIQUE_HINTS: Record<string, string> = {
  screenplays: 'the file of a live screenplay: fileKey',
  personas: 'the persona id',
}

async function write(db: AnyDb, report: CollectionReport, mapped: Mapped, at: number | null): Promise<void> {
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

async function skipCollection(report: CollectionReport, reason: string): Promise<void> {
  if (!report.file) return
  let count = 0
  for await (const entry of readExport(report.file)) if (entry.doc) count += 1
  if (count > 0) report.skipped.push({ at: null, reason: `${count} document(s): ${reason}` })
}

interface PersonaSource {
  versions: Map<number, PersonaVersionInput>
  current?: { version: number; at: number; line: number }
  metadata?: unknown
}

/**
 * Personas come from three places: `personas` (the current content), `persona_versions` (older
 * versions, content under `data`) and the persona embedded in "complete" agents. They become one
 * `personas` row and its `persona_versions` per agent.
 */
async function importPersonas(
  db: AnyDb,
  personas: CollectionReport,
  versions: CollectionReport,
  agentPersonas: Map<string, AgentPersona>,
  now: number,
): Promise<void> {
  const sources = new Map<string, PersonaSource>()
  const sourceOf = (agentId: string) => {
    let source = sources.get(agentId)
    if (!source) sources.set(agentId, (source = { versions: new Map() }))
    return source
  }
  const lineOf = new Map<string, number>()

  await readPersonaDocs(versions, (doc, at) => {
    const agentId = requireString(doc.agent_id, 'agent_id')
    const version = requireVersion(doc.version)
    const data = (doc.data && typeof doc.data === 'object' ? doc.data : {}) as Record<string, unknown>
    const content = requireContent(data.content ?? doc.content)
    const source = sourceOf(agentId)
    if (source.versions.has(version)) throw new MappingSkip(`duplicate version ${version} of ${agentId}`)
    const created = millisOf(doc.created_at) ?? millisOf(doc.timestamp) ?? now
    source.versions.set(version, {
      version,
      content,
      createdBy: typeof doc.created_by === 'string' ? doc.created_by : null,
      changeDescription: typeof doc.change_description === 'string' ? doc.change_description : null,
      metadata: doc.metadata,
      createdAt: created,
      updatedAt: millisOf(doc.updated_at) ?? created,
    })
    if (!lineOf.has(agentId)) lineOf.set(agentId, at)
  })

  await readPersonaDocs(personas, (doc, at) => {
    const agentId = requireString(doc.agent_id, 'agent_id')
    const content = requireContent(doc.content)
    const version = typeof doc.version === 'number' && doc.version >= 1 ? Math.floor(doc.version) : 1
    const created = millisOf(doc.created_at) ?? now
    const updated = millisOf(doc.updated_at) ?? created
    const source = sourceOf(agentId)
    // The original never made agent_id unique here: of several, the newest wins.
    if (source.current && source.current.at >= updated) {
      throw new MappingSkip(`another persona of ${agentId} (line ${source.current.line}) is newer; it was kept`)
    }
    if (source.current)
      personas.skipped.push({ at: source.current.line, id: agentId, reason: `a newer persona of ${agentId} at line ${at} was kept` })
    source.current = { version, at: updated, line: at }
    source.metadata = doc.metadata
    source.versions.set(version, { version, content, createdBy: null, changeDescription: null, metadata: {}, createdAt: created, updatedAt: updated })
    lineOf.set(agentId, at)
  })

  const versionCount = [...sources.values()].reduce((sum, source) => sum + source.versions.size, 0)
  if (versions.file) versions.notes.push(`its versions are written with their personas (${versionCount} version(s) read in all)`)

  for (const [agentId, persona] of agentPersonas) {
    const source = sourceOf(agentId)
    if (source.current) continue
    const newest = Math.max(0, ...source.versions.keys())
    if (newest > 0 && source.versions.get(newest)!.content.trim() === persona.content.trim()) {
      source.current = { version: newest, at: persona.at ?? now, line: 0 }
      continue
    }
    const at = persona.at ?? now
    source.versions.set(newest + 1, {
      version: newest + 1,
      content: persona.content,
      createdBy: null,
      changeDescription: persona.reason,
      metadata: {},
      createdAt: at,
      updatedAt: at,
    })
    source.current = { version: newest + 1, at, line: 0 }
  }

  for (const [agentId, source] of [...sources].sort(([a], [b]) => a.localeCompare(b))) {
    const report = personas
    const at = lineOf.get(agentId) ?? null
    if (source.versions.size === 0) continue
    const agent = await db.selectFrom('agents').select('agent_id').where('agent_id', '=', agentId).executeTakeFirst()
    if (!agent) {
      report.skipped.push({ at, id: agentId, reason: `no agent ${agentId} in the export or the database` })
      continue
    }
    const current = source.current?.version ?? Math.max(...source.versions.keys())
    await write(db, report, mapPersona(agentId, [...source.versions.values()], current, source.metadata), at)
  }
}

async function readPersonaDocs(report: CollectionReport, take: (doc: Document, at: number) => void): Promise<void> {
  if (!report.file) return
  for await (const entry of readExport(report.file)) {
    if (!entry.doc) {
      report.skipped.push({ at: entry.at, reason: entry.error! })
      continue
    }
    try {
      take(entry.doc, entry.at)
    } catch (err) {
      if (!(err instanceof MappingSkip)) throw err
      report.skipped.push({ at: entry.at, reason: err.message })
    }
  }
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new MappingSkip(`no ${what}`)
  return value.trim()
}

function requireVersion(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new MappingSkip('no version number')
  return value
}

function requireContent(value: unknown): string {
  if (typeof value !== 'string') throw new MappingSkip('no content')
  const problem = personaContentProblem(value)
  if (problem) throw new MappingSkip(`content ${problem}`)
  return value
}
