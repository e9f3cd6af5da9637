// One original document → the gateway's rows. Field names move from the original's mix of
// camelCase and snake_case to columns, ids from ObjectIds to strings, times to epoch milliseconds.
// A mapper throws MappingSkip when a document cannot become a row (the reason is reported).
import { createHash } from 'node:crypto'
import { toJson } from '../../platform/db/json.js'
import { PROVIDER_EXECUTORS, isProvider } from '../../platform/providers.js'
import { AgentName } from '../agents/agents.schemas.js'
import { DEFAULT_EMOJI, DEFAULT_GROUP } from '../agents/agents.service.js'
import { MESSAGE_STATUSES, MESSAGE_TYPES, type AgentInfo, type MessageStatus, type MessageType } from '../conversations/conversations.model.js'
import { contentHashOf } from '../personas/persona-content.js'
import { millisOf, type Document } from './extended-json.js'

export class MappingSkip extends Error {}

export interface TableRow {
  table: string
  /** The primary key column (main rows), to tell "already imported" from "a unique field is taken". */
  key?: string
  row: Record<string, unknown>
}

/** A document's rows: `main` decides whether it is new (the rest is written only with it). */
export interface Mapped {
  id: string
  main: TableRow
  children: TableRow[]
  notes: string[]
}

export const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const strOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null)
const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback)
const numOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null)
export const obj = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date) ? (value as Record<string, unknown>) : null
export const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [])
export const timeOrNull = (...values: unknown[]): number | null => {
  for (const value of values) {
    const ms = millisOf(value)
    if (ms !== undefined) return ms
  }
  return null
}

/** Values that cross into JSON columns: Dates as ISO strings. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return value.map(plain)
  const object = obj(value)
  return object ? Object.fromEntries(Object.entries(object).map(([k, v]) => [k, plain(v)])) : value
}
export const json = (value: unknown) => toJson(plain(value))
const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : json(value))

function requireId(value: unknown, what: string): string {
  const id = typeof value === 'string' ? value.trim() : undefined
  if (!id) throw new MappingSkip(`no ${what}`)
  return id
}

/** A stable id for rows the original had no id for, so a second import finds the same row. */
export function derivedId(...parts: Array<string | number>): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

export function mapScreenplay(doc: Document, now: number): Mapped {
  const id = requireId(doc._id, '_id')
  const name = str(doc.name)?.trim()
  if (!name) throw new MappingSkip('no name')
  const created = timeOrNull(doc.createdAt, doc.created_at) ?? now
  const updated = timeOrNull(doc.updatedAt, doc.updated_at) ?? created
  const deleted = doc.isDeleted === true
  return {
    id,
    main: {
      table: 'screenplays',
      key: 'id',
      row: {
        id,
        name,
        description: strOrNull(doc.description),
        tags: json(strings(doc.tags)),
        content: str(doc.content) ?? '',
        working_directory: strOrNull(doc.workingDirectory) ?? strOrNull(doc.working_directory),
        file_path: strOrNull(doc.filePath),
        import_path: strOrNull(doc.importPath),
        export_path: strOrNull(doc.exportPath),
        file_key: strOrNull(doc.fileKey),
        content_hash: strOrNull(doc.contentHash),
        is_deleted: deleted,
        version: num(doc.version, 1),
        created_at: created,
        updated_at: updated,
        // Councilor-created screenplays have no lastUsedAt.
        last_used_at: timeOrNull(doc.lastUsedAt) ?? updated,
        deleted_at: deleted ? (timeOrNull(doc.deletedAt, doc.deleted_at) ?? updated) : null,
      },
    },
    children: [],
    notes: [],
  }
}

export interface AgentPersona {
  content: string
  at: number | null
  reason: string | null
}

const AGENT_MODELLED = ['name', 'emoji', 'description', 'prompt', 'model', 'tags', 'group', 'mcp_configs', 'ai_provider']
const AGENT_TOP_LEVEL = [
  '_id',
  'agent_id',
  'definition',
  'persona',
  'prompt',
  'created_at',
  'updated_at',
  'is_councilor',
  'councilor_config',
  'customization',
]

/** Both shapes of §8.3: "complete" `{agent_id, definition:{…}, persona}` and "flat" `{name, …}` (id = name). */
export function mapAgent(doc: Document, now: number): Mapped & { persona: AgentPersona | null } {
  const definition = obj(doc.definition)
  const complete = definition !== null && typeof doc.agent_id === 'string'
  const fields = complete ? definition : doc
  const rawId = complete ? doc.agent_id : (doc.agent_id ?? doc.name)
  if (typeof rawId !== 'string') throw new MappingSkip('no agent_id or name to take the agent id from')
  const parsedId = AgentName.safeParse(rawId)
  if (!parsedId.success) throw new MappingSkip(`agent id '${rawId}' ${parsedId.error.issues[0]!.message}`)
  const id = parsedId.data
  const notes: string[] = []
  const provider = str(fields.ai_provider)
  if (provider && !isProvider(provider)) notes.push(`unknown ai_provider '${provider}' ignored`)
  const extra = Object.fromEntries(
    Object.entries(fields)
      .filter(([key]) => !AGENT_MODELLED.includes(key) && (complete || !AGENT_TOP_LEVEL.includes(key)))
      .map(([key, value]) => [key, plain(value)]),
  )
  const created = timeOrNull(doc.created_at, doc.createdAt) ?? now
  const persona = personaOf(doc.persona)
  return {
    id,
    main: {
      table: 'agents',
      key: 'agent_id',
      row: {
        agent_id: id,
        name: str(fields.name)?.trim() || id,
        emoji: str(fields.emoji) || str(fields.unicode) || DEFAULT_EMOJI,
        description: str(fields.description)?.trim() ?? '',
        prompt: strOrNull(doc.prompt) ?? strOrNull(fields.prompt),
        agent_group: str(fields.group)?.trim() || DEFAULT_GROUP,
        tags: json(strings(fields.tags)),
        mcp_configs: json(strings(fields.mcp_configs ?? doc.mcp_configs)),
        ai_provider: provider && isProvider(provider) ? provider : null,
        model: fields.model === undefined || fields.model === null ? null : String(fields.model),
        extra: json(extra),
        is_councilor: doc.is_councilor === true,
        councilor_config: jsonOrNull(obj(doc.councilor_config)),
        customization: jsonOrNull(obj(doc.customization)),
        revision: 0,
        is_deleted: false,
        created_at: created,
        updated_at: timeOrNull(doc.updated_at, doc.updatedAt) ?? created,
        deleted_at: null,
      },
    },
    children: [],
    notes,
    persona,
  }
}

function personaOf(value: unknown): AgentPersona | null {
  if (typeof value === 'string') return value.trim() ? { content: value, at: null, reason: null } : null
  const persona = obj(value)
  const content = str(persona?.content)
  return content?.trim() ? { content, at: timeOrNull(persona!.updated_at), reason: strOrNull(persona!.reason) } : null
}

export interface PersonaVersionInput {
  version: number
  content: string
  createdBy: string | null
  changeDescription: string | null
  metadata: unknown
  createdAt: number
  updatedAt: number
}

/** An agent's persona and its versions; `current` is the version that is the persona now. */
export function mapPersona(agentId: string, versions: PersonaVersionInput[], current: number, metadata: unknown): Mapped {
  const sorted = [...versions].sort((a, b) => a.version - b.version)
  const first = sorted[0]!
  const last = sorted[sorted.length - 1]!
  return {
    id: agentId,
    main: {
      table: 'personas',
      key: 'agent_id',
      row: {
        agent_id: agentId,
        id: derivedId('persona', agentId),
        current_version: current,
        last_version: last.version,
        metadata: json(obj(metadata) ?? {}),
        created_at: first.createdAt,
        updated_at: Math.max(...sorted.map((v) => v.updatedAt)),
      },
    },
    children: sorted.map((v) => {
      const content = v.content.trim()
      return {
        table: 'persona_versions',
        row: {
          id: derivedId('persona-version', agentId, v.version),
          agent_id: agentId,
          version: v.version,
          content,
          content_hash: contentHashOf(content),
          created_by: v.createdBy,
          change_description: v.changeDescription,
          metadata: json(obj(v.metadata) ?? {}),
          created_at: v.createdAt,
          updated_at: v.updatedAt,
        },
      }
    }),
    notes: [`${sorted.length} version(s), current v${current}`],
  }
}

export function mapInstance(doc: Document, now: number): Mapped {
  const id = requireId(doc.instance_id, 'instance_id')
  const agentId = requireId(doc.agent_id, 'agent_id')
  // `statistics`, or the legacy `stats` the original read as a fallback.
  const s = obj(doc.statistics) ?? obj(doc.stats) ?? {}
  const position = obj(doc.position)
  const created = timeOrNull(doc.created_at, doc.createdAt) ?? now
  const deleted = doc.isDeleted === true
  const taskCount = num(s.task_count, num(s.total_executions, 0))
  return {
    id,
    main: {
      table: 'agent_instances',
      key: 'instance_id',
      row: {
        instance_id: id,
        agent_id: agentId,
        screenplay_id: strOrNull(doc.screenplay_id),
        conversation_id: strOrNull(doc.conversation_id),
        position: json(position ?? { x: 0, y: 0 }),
        status: str(doc.status) ?? 'pending',
        cwd: strOrNull(doc.cwd),
        config: json(obj(doc.config) ?? {}),
        emoji: strOrNull(doc.emoji),
        definition: jsonOrNull(obj(doc.definition)),
        display_order: num(doc.display_order, 0),
        mcp_configs: json(strings(doc.mcp_configs)),
        execution_state: jsonOrNull(obj(doc.execution_state)),
        is_councilor_instance: doc.is_councilor_instance === true,
        councilor_config: jsonOrNull(obj(doc.councilor_config)),
        customization: jsonOrNull(obj(doc.customization)),
        is_system_default: doc.is_system_default === true,
        is_hidden: doc.is_hidden === true,
        task_count: taskCount,
        total_executions: num(s.total_executions, taskCount),
        total_execution_time: num(s.total_execution_time, 0),
        average_execution_time: num(s.average_execution_time, 0),
        last_task_duration: num(s.last_task_duration, 0),
        last_task_completed_at: timeOrNull(s.last_task_completed_at),
        success_count: num(s.success_count, 0),
        error_count: num(s.error_count, 0),
        last_exit_code: numOrNull(s.last_exit_code),
        success_rate: num(s.success_rate, 0),
        revision: 0,
        is_deleted: deleted,
        deleted_reason: strOrNull(doc.deletedReason),
        created_at: created,
        updated_at: timeOrNull(doc.updated_at, doc.updatedAt) ?? created,
        last_execution: timeOrNull(doc.last_execution, s.last_execution),
        deleted_at: deleted ? (timeOrNull(doc.deleted_at, doc.deletedAt) ?? created) : null,
      },
    },
    children: [],
    notes: position ? [] : ['no position: placed at 0,0'],
  }
}

/** The original's `{agent_id, instance_id, name, emoji}` as the gateway stores it (AgentInfo). */
function agentInfo(value: unknown): AgentInfo | null {
  const info = obj(value)
  const agentId = str(info?.agent_id)
  if (!info || !agentId) return null
  return { agentId, instanceId: str(info.instance_id) ?? '', name: str(info.name) ?? agentId, emoji: str(info.emoji) ?? null }
}

const isMessageType = (value: unknown): value is MessageType => MESSAGE_TYPES.includes(value as MessageType)
const isMessageStatus = (value: unknown): value is MessageStatus => MESSAGE_STATUSES.includes(value as MessageStatus)

export function mapConversation(doc: Document, now: number): Mapped {
  const id = requireId(doc.conversation_id ?? doc._id, 'conversation_id or _id')
  const created = timeOrNull(doc.created_at, doc.createdAt) ?? now
  const deleted = doc.isDeleted === true
  const messages = Array.isArray(doc.messages) ? doc.messages : []
  const notes: string[] = []
  const seen = new Set<string>()
  const children: TableRow[] = []
  for (const [index, value] of messages.entries()) {
    const m = obj(value)
    if (!m || typeof m.content !== 'string') {
      notes.push(`message ${index + 1} skipped: no content`)
      continue
    }
    let messageId = str(m.id)?.trim() || derivedId('message', id, index)
    if (seen.has(messageId)) {
      notes.push(`message ${index + 1} repeats id ${messageId}: given a new one`)
      messageId = derivedId('message', id, index)
    }
    seen.add(messageId)
    const at = timeOrNull(m.timestamp, m.created_at) ?? created
    children.push({
      table: 'conversation_messages',
      row: {
        id: messageId,
        conversation_id: id,
        seq: children.length + 1,
        type: isMessageType(m.type) ? m.type : m.agent ? 'bot' : 'user',
        content: m.content,
        agent: json(agentInfo(m.agent)),
        status: isMessageStatus(m.status) ? m.status : null,
        task_id: strOrNull(m.task_id),
        is_deleted: m.isDeleted === true,
        is_hidden: m.isHidden === true,
        hidden_at: timeOrNull(m.hiddenAt),
        completed_at: timeOrNull(m.completed_at),
        created_at: at,
      },
    })
  }
  const allowed = doc.allowed_agents === undefined || doc.allowed_agents === null ? null : strings(doc.allowed_agents)
  return {
    id,
    main: {
      table: 'conversations',
      key: 'id',
      row: {
        id,
        title: str(doc.title) ?? 'Untitled',
        screenplay_id: strOrNull(doc.screenplay_id),
        context: strOrNull(doc.context),
        active_agent: json(agentInfo(doc.active_agent)),
        participants: json(Array.isArray(doc.participants) ? doc.participants.map(agentInfo).filter(Boolean) : []),
        allowed_agents: json(allowed),
        max_chain_depth: numOrNull(doc.max_chain_depth),
        auto_delegate: doc.auto_delegate === true,
        display_order: num(doc.display_order, 0),
        message_count: children.length,
        last_seq: children.length,
        is_deleted: deleted,
        created_at: created,
        updated_at: timeOrNull(doc.updated_at, doc.updatedAt) ?? created,
        deleted_at: deleted ? (timeOrNull(doc.deletedAt, doc.deleted_at) ?? created) : null,
      },
    },
    children,
    notes,
  }
}

const TASK_STATUS: Record<string, 'completed' | 'failed'> = { completed: 'completed', error: 'failed', failed: 'failed' }

/** A task of the original becomes an ended run; one still pending or processing ends `failed` (nothing will finish it). */
export function mapTask(doc: Document, now: number): Mapped {
  const id = requireId(doc.task_id ?? doc._id, 'task_id or _id')
  const original = str(doc.status) ?? 'unknown'
  const status = TASK_STATUS[original] ?? 'failed'
  const notes = TASK_STATUS[original] ? [] : [`status '${original}' imported as failed`]
  const created = timeOrNull(doc.created_at) ?? now
  const ended = timeOrNull(doc.completed_at, doc.updated_at) ?? created
  const provider = str(doc.provider)
  const runProvider = provider && isProvider(provider) ? provider : 'conductor'
  const councilor = doc.is_councilor_execution === true
  const deleted = doc.isDeleted === true
  const error = strOrNull(doc.error) ?? (TASK_STATUS[original] ? null : `imported from the original gateway while '${original}'`)
  return {
    id,
    main: {
      table: 'runs',
      key: 'id',
      row: {
        id,
        status,
        source: councilor ? 'councilor' : doc.conversation_id ? 'chat' : 'execute',
        agent_id: strOrNull(doc.agent_id),
        persona_version: null,
        instance_id: strOrNull(doc.instance_id),
        conversation_id: strOrNull(doc.conversation_id),
        screenplay_id: strOrNull(doc.screenplay_id),
        executor: PROVIDER_EXECUTORS[runProvider],
        provider: runProvider,
        model: null,
        input: str(doc.input_text) ?? str(doc.prompt) ?? '',
        cwd: strOrNull(doc.cwd),
        prompt: strOrNull(doc.prompt),
        output: str(doc.result) ?? '',
        error: status === 'failed' ? (error ?? 'failed in the original gateway') : error,
        exit_code: numOrNull(doc.exit_code),
        severity: strOrNull(doc.severity),
        usage: null,
        options: json({}),
        idempotency_key: null,
        timeout_ms: Math.round(num(doc.timeout, 600) * 1000),
        worker_id: null,
        lease_expires_at: null,
        cancel_requested: false,
        is_deleted: deleted,
        deleted_message_id: strOrNull(doc.deleted_message_id),
        last_seq: 0,
        created_at: created,
        started_at: timeOrNull(doc.started_at),
        ended_at: ended,
        updated_at: timeOrNull(doc.updated_at) ?? ended,
      },
    },
    children: [],
    notes,
  }
}
