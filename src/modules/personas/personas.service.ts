// Persona rules as the API exposes them: every operation checks that the agent exists; changes
// are recorded as new versions (persona-records.ts); deleting a persona keeps its history.
import type { Clock } from '../../platform/clock.js'
import { ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { contentStatsOf, personaContentProblem, type ContentStats } from './persona-content.js'
import type { PersonaRecords } from './persona-records.js'
import type { CurrentPersona, PersonaVersion, PersonasRepo } from './personas.repo.js'

/** How the personas module checks that an agent exists (AgentsService.get: throws 404 when not). */
export interface AgentLookup {
  get(agentId: string): Promise<unknown>
}

export interface PersonaValidation {
  isValid: boolean
  message: string
  contentLength?: number
  stats?: ContentStats
}

export class PersonasService {
  constructor(private readonly deps: { repo: PersonasRepo; records: PersonaRecords; agents: AgentLookup; clock: Clock }) {}

  /** The agent's current persona content and version number (no agent check). */
  current(agentId: string): Promise<{ content: string; version: number } | undefined> {
    return this.deps.records.current(agentId)
  }

  /** The current persona with its version row, after checking the agent exists (404). */
  async find(agentId: string): Promise<CurrentPersona | undefined> {
    await this.deps.agents.get(agentId)
    return this.deps.repo.current(agentId)
  }

  async get(agentId: string): Promise<CurrentPersona> {
    return (await this.find(agentId)) ?? personaNotFound(agentId)
  }

  async create(agentId: string, content: string, metadata: Record<string, unknown> = {}, createdBy?: string): Promise<CurrentPersona> {
    if (await this.find(agentId)) throw new ConflictError(`Agent '${agentId}' already has a persona; use PUT to update it`)
    await this.deps.records.record(agentId, content, {
      createdBy: createdBy ?? 'api',
      reason: 'Persona created',
      personaMetadata: metadata,
      metadata,
    })
    return this.get(agentId)
  }

  async update(
    agentId: string,
    content: string,
    change: { metadata?: Record<string, unknown>; reason?: string | null; createdBy?: string },
  ): Promise<CurrentPersona> {
    await this.get(agentId)
    await this.deps.records.record(agentId, content, {
      createdBy: change.createdBy ?? 'api',
      reason: change.reason ?? 'Persona updated',
      ...(change.metadata && { personaMetadata: change.metadata, metadata: change.metadata }),
    })
    return this.get(agentId)
  }

  /** The client's "save to database": creates or replaces the persona. */
  async savePermanent(agentId: string, content: string, reason: string, createdBy = 'web-client'): Promise<PersonaVersion> {
    await this.deps.agents.get(agentId)
    return this.deps.records.record(agentId, content, { createdBy, reason, metadata: { reason } })
  }

  async delete(agentId: string): Promise<void> {
    await this.deps.agents.get(agentId)
    if (!(await this.deps.repo.clearCurrent(agentId, this.deps.clock.now()))) personaNotFound(agentId)
  }

  async list(page: number, perPage: number, agentId?: string) {
    const { items, total } = await this.deps.repo.listCurrent({ agentId, offset: (page - 1) * perPage, limit: perPage })
    return { items, total, hasNext: page * perPage < total, hasPrev: page > 1 }
  }

  async validate(agentId: string, content: string): Promise<PersonaValidation> {
    await this.deps.agents.get(agentId)
    const problem = personaContentProblem(content)
    if (problem) return { isValid: false, message: `Persona content ${problem}` }
    const stripped = content.trim()
    return { isValid: true, message: 'Content is valid', contentLength: stripped.length, stats: contentStatsOf(stripped) }
  }

  async stats(agentId: string): Promise<{ current: CurrentPersona; stats: ContentStats }> {
    const current = await this.get(agentId)
    return { current, stats: contentStatsOf(current.version.content) }
  }
}

function personaNotFound(agentId: string): never {
  throw new NotFoundError(`Agent '${agentId}' has no persona`)
}
