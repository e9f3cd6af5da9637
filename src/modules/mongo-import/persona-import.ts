// Personas come from three places in the original: `personas` (the current content),
// `persona_versions` (older versions, content under `data`) and the persona embedded in "complete"
// agents. They become one `personas` row and its `persona_versions` per agent.
import { personaContentProblem } from '../personas/persona-content.js'
import { millisOf, readExport, type Document } from './extended-json.js'
import { type AnyDb, type CollectionReport, write } from './import-writer.js'
import { MappingSkip, mapPersona, type AgentPersona, type PersonaVersionInput } from './mappers.js'

interface PersonaSource {
  versions: Map<number, PersonaVersionInput>
  current?: { version: number; at: number; line: number }
  metadata?: unknown
}

export async function importPersonas(
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
