// Agent catalog rules: create/update/soft delete, executor defaults, persona changes recorded as
// versions (through the personas module), import upserts and local suggestions.
import type { UnitOfWork, Transactor } from '../../platform/db/unit-of-work.js'
import type { RunAgent } from '../../engine/runs.js'
import type { Clock } from '../../platform/clock.js'
import { ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { SuggestionIndex, type RankedAgent } from './agent-suggest.js'
import type { AiProvider } from './ai-providers.js'
import type { Agent, AgentChanges, AgentsRepo } from './agents.repo.js'

export type AgentField =
  | 'name'
  | 'description'
  | 'group'
  | 'emoji'
  | 'tags'
  | 'mcpConfigs'
  | 'personaContent'
  | 'aiProvider'
  | 'model'
  | 'prompt'
  | 'isCouncilor'
  | 'councilorConfig'
  | 'customization'

/** The order updated fields are reported in (the original's order first). */
const FIELD_ORDER: AgentField[] = [
  'name',
  'description',
  'group',
  'emoji',
  'tags',
  'mcpConfigs',
  'personaContent',
  'aiProvider',
  'model',
  'prompt',
  'isCouncilor',
  'councilorConfig',
  'customization',
]

export interface AgentInput {
  name?: string
  description?: string
  personaContent?: string
  emoji?: string
  group?: string
  tags?: string[]
  mcpConfigs?: string[]
  aiProvider?: AiProvider | null
  model?: string | null
  prompt?: string | null
  isCouncilor?: boolean
  councilorConfig?: Record<string, unknown> | null
  customization?: Record<string, unknown> | null
  /** Definition fields kept as they are (import only). */
  extra?: Record<string, unknown>
}

/** The persona store as the catalog needs it (PersonaRecords implements it). */
export interface PersonaStore {
  /** Records content as a new current version, inside `uow`. */
  record(agentId: string, content: string, change: { createdBy: string; reason: string }, uow: UnitOfWork): Promise<{ version: number }>
  current(agentId: string): Promise<{ content: string; version: number } | undefined>
  currentContents(): Promise<Map<string, string>>
  fingerprint(): Promise<string>
}

export interface Suggestion {
  suggested: RankedAgent | undefined
  alternatives: RankedAgent[]
  currentIsBest: boolean
  message: string
}

export type ImportOutcome = { outcome: 'imported' | 'updated' | 'unchanged'; changed: AgentField[]; personaVersion?: number }

export const DEFAULT_GROUP = 'other'
export const DEFAULT_EMOJI = '🤖'

export class AgentsService {
  private readonly index: SuggestionIndex

  constructor(private readonly deps: { repo: AgentsRepo; personas: PersonaStore; clock: Clock; transact: Transactor }) {
    this.index = new SuggestionIndex({
      fingerprint: async () => `${await deps.repo.fingerprint()}|${await deps.personas.fingerprint()}`,
      load: async () => {
        const [agents, personas] = await Promise.all([deps.repo.listLive(), deps.personas.currentContents()])
        return agents.map((a) => ({
          agentId: a.agentId,
          name: a.name,
          emoji: a.emoji,
          description: a.description,
          tags: a.tags,
          persona: personas.get(a.agentId) ?? '',
        }))
      },
    })
  }

  list(): Promise<Agent[]> {
    return this.deps.repo.listLive()
  }

  /** The live agent with this id; 404 when there is none. */
  async get(agentId: string, options: { includeDeleted?: boolean } = {}): Promise<Agent> {
    return (await this.deps.repo.findById(agentId, options)) ?? agentNotFound(agentId)
  }

  /** Display names of the given agents (deleted ones included); unknown ids are left out. */
  namesOf(agentIds: readonly string[]): Promise<Map<string, string>> {
    return this.deps.repo.namesOf([...new Set(agentIds)])
  }

  /** A live agent by id, else by name (imported agents may be named unlike their id). */
  async find(agentIdOrName: string): Promise<Agent | undefined> {
    return (await this.deps.repo.findById(agentIdOrName)) ?? this.deps.repo.findLiveByName(agentIdOrName)
  }

  /** A live agent (by id, else by name) as a run records it, with its current persona version. */
  async forRun(agentIdOrName: string): Promise<RunAgent | undefined> {
    const agent = await this.find(agentIdOrName)
    if (!agent) return undefined
    const persona = await this.deps.personas.current(agent.agentId)
    return {
      id: agent.agentId,
      name: agent.name,
      emoji: agent.emoji,
      aiProvider: agent.aiProvider,
      model: agent.model,
      mcpServers: agent.mcpConfigs,
      personaVersion: persona?.version ?? null,
    }
  }

  /** Creates the agent (id = name); a soft-deleted agent of that id is revived with the new fields. */
  async create(input: AgentInput & { name: string; description: string }): Promise<{ agent: Agent; personaVersion: number | null }> {
    const now = this.deps.clock.now()
    const agent = newAgent(input.name, input, now)
    return this.deps.transact(async (tx) => {
      const created = await this.deps.repo.insertOrRevive(agent, tx)
      if (!created) throw new ConflictError(`Agent already exists: ${input.name}`)
      if (input.personaContent === undefined) return { agent: created, personaVersion: null }
      const { version } = await this.deps.personas.record(created.agentId, input.personaContent, { createdBy: 'api', reason: 'Agent created' }, tx)
      return { agent: created, personaVersion: version }
    })
  }

  /** Applies the given fields; persona content that differs from the current one becomes a version. */
  async update(agentId: string, input: AgentInput): Promise<{ agent: Agent; updatedFields: AgentField[] }> {
    const current = await this.get(agentId)
    const updatedFields = FIELD_ORDER.filter((field) => input[field] !== undefined)
    if (updatedFields.length === 0) return { agent: current, updatedFields }
    const persona = input.personaContent
    const personaChanged = persona !== undefined && (await this.deps.personas.current(agentId))?.content !== persona.trim()
    const agent = await this.deps.transact(async (tx) => {
      const updated = (await this.deps.repo.update(agentId, { ...changesOf(input), updatedAt: this.deps.clock.now() }, tx)) ?? agentNotFound(agentId)
      if (personaChanged) await this.deps.personas.record(agentId, persona, { createdBy: 'api', reason: 'Agent updated' }, tx)
      return updated
    })
    return { agent, updatedFields }
  }

  /** Flags the agent as a councilor or not (the councilor module does, with its promote and demote). */
  async flagCouncilor(agentId: string, isCouncilor: boolean, uow: UnitOfWork): Promise<void> {
    await this.deps.repo.update(agentId, { isCouncilor, updatedAt: this.deps.clock.now() }, uow)
  }

  /**
   * Soft delete: the agent leaves the catalog (lists, lookups, suggestions) but its row and
   * persona history stay, so instances and runs that name it still read. Creating or importing
   * an agent with the same id revives it.
   */
  async delete(agentId: string): Promise<void> {
    await this.get(agentId)
    const now = this.deps.clock.now()
    await this.deps.repo.update(agentId, { isDeleted: true, deletedAt: now, updatedAt: now })
  }

  /** Upserts an agent read from a Conductor agent directory. */
  async importAgent(agentId: string, input: AgentInput & { name: string; description: string }, source: string): Promise<ImportOutcome> {
    const existing = await this.deps.repo.findById(agentId, { includeDeleted: true })
    const currentPersona = existing && !existing.isDeleted ? await this.deps.personas.current(agentId) : undefined
    const persona = input.personaContent
    const personaChanged = persona !== undefined && currentPersona?.content !== persona.trim()
    const now = this.deps.clock.now()
    const change = { createdBy: 'import', reason: `Imported from ${source}` }

    if (!existing || existing.isDeleted) {
      return this.deps.transact(async (tx) => {
        const created = await this.deps.repo.insertOrRevive(newAgent(agentId, input, now), tx)
        if (!created) throw new ConflictError(`Agent already exists: ${agentId}`)
        const written = persona === undefined ? undefined : await this.deps.personas.record(agentId, persona, change, tx)
        return { outcome: 'imported' as const, changed: [], ...(written && { personaVersion: written.version }) }
      })
    }
    const changes = changesOf(input)
    const changed = FIELD_ORDER.filter((field) => field !== 'personaContent' && differs(existing, changes, field))
    if (personaChanged) changed.push('personaContent')
    if (changed.length === 0 && sameJson(existing.extra, input.extra ?? {})) return { outcome: 'unchanged', changed }
    return this.deps.transact(async (tx) => {
      await this.deps.repo.update(agentId, { ...changes, updatedAt: now }, tx)
      const written = personaChanged ? await this.deps.personas.record(agentId, persona, change, tx) : undefined
      return { outcome: 'updated' as const, changed, ...(written && { personaVersion: written.version }) }
    })
  }

  /** Ranks the live catalog against `message` (text relevance; no external service). */
  async suggest(message: string, currentAgentId?: string | null): Promise<Suggestion> {
    const ranked = (await this.index.ranker()).rank(message, 4)
    const [suggested, ...alternatives] = ranked
    if (!suggested) return { suggested, alternatives, currentIsBest: true, message: 'No agent in the catalog matches this message' }
    const current = currentAgentId ? ranked.find((r) => r.agent.agentId === currentAgentId) : undefined
    const currentIsBest = current !== undefined && current.score >= suggested.score
    const message_ = currentIsBest
      ? `${current!.agent.name} (the current agent) is the best match`
      : `${suggested.agent.name} looks best for this message`
    return { suggested, alternatives, currentIsBest, message: message_ }
  }
}

function newAgent(agentId: string, input: AgentInput & { name: string; description: string }, now: number): Agent {
  return {
    agentId,
    name: input.name,
    emoji: input.emoji ?? DEFAULT_EMOJI,
    description: input.description,
    prompt: input.prompt ?? null,
    group: input.group ?? DEFAULT_GROUP,
    tags: input.tags ?? [],
    mcpConfigs: input.mcpConfigs ?? [],
    aiProvider: input.aiProvider ?? null,
    model: input.model ?? null,
    extra: input.extra ?? {},
    isCouncilor: input.isCouncilor ?? false,
    councilorConfig: input.councilorConfig ?? null,
    customization: input.customization ?? null,
    isDeleted: false,
    createdAt: now,
    updatedAt: now,
    deletedAt: null,
  }
}

function changesOf(input: AgentInput): AgentChanges {
  const { personaContent: _persona, ...fields } = input
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as AgentChanges
}

function differs(existing: Agent, changes: AgentChanges, field: AgentField): boolean {
  const key = field as keyof AgentChanges
  return changes[key] !== undefined && !sameJson(existing[key as keyof Agent], changes[key])
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

function agentNotFound(agentId: string): never {
  throw new NotFoundError(`Agent not found: ${agentId}`)
}
