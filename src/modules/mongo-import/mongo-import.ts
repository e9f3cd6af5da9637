// `conductor-gateway import-mongo DIR`: loads a mongoexport of the original gateway's database
// (one file per collection, `<collection>.json`) into the gateway's tables. Each document is
// written in its own transaction, only when its row is not there yet, so a second import of the
// same export changes nothing. Every document that is not imported is reported with the reason.
import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Database } from '../../platform/db/database.js'
import { readExport, type Document } from './extended-json.js'
import { MappingSkip, mapAgent, mapConversation, mapInstance, mapScreenplay, mapTask, type AgentPersona, type Mapped } from './mappers.js'
import { type AnyDb, COLLECTIONS, type Collection, type CollectionReport, write } from './import-writer.js'
import { type McpServerImport, mapMcpServer } from './mcp-server-mapper.js'
import { importPersonas } from './persona-import.js'

export { COLLECTIONS, type Collection, type CollectionReport }

/** Collections with no place in this version's schema: their documents are counted and skipped with this reason. */
const NOT_IMPORTED: Partial<Record<Collection, string>> = {
  history: 'the gateway keeps no separate per-instance history: an instance’s history is its runs (imported from tasks)',
}

/** What the MCP registry's documents need from the gateway's configuration. */
export type McpRegistrySettings = Omit<McpServerImport, 'now'>

export interface MongoImportSummary {
  collections: CollectionReport[]
  imported: number
  present: number
  skipped: number
  /** Documents skipped for a reason of their own (not because their whole collection has no place here). */
  rejected: number
}

export class ImportMongoError extends Error {}

export async function importMongoExport(
  dir: string,
  database: Database,
  mcp: McpRegistrySettings,
  print: (line: string) => void = () => {},
): Promise<MongoImportSummary> {
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
  await skipCollection(report('history'), NOT_IMPORTED.history!)
  await importEach(db, report('mcp_registry'), (doc) => mapMcpServer(doc, { ...mcp, now }))

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

async function skipCollection(report: CollectionReport, reason: string): Promise<void> {
  if (!report.file) return
  let count = 0
  for await (const entry of readExport(report.file)) if (entry.doc) count += 1
  if (count > 0) report.skipped.push({ at: null, reason: `${count} document(s): ${reason}` })
}
