// Persona rules: one source of truth (the current version in persona_versions); every change
// records a new immutable version; deleting a persona keeps its history.
import type { Kysely } from 'kysely'
import type { Clock } from '../../platform/clock.js'
import type { Transactor } from '../../platform/db/database.js'
import { isUniqueViolation } from '../../platform/db/errors.js'
import type { Tables } from '../../platform/db/tables.js'
import { BadRequestError, ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { newUuid } from '../../platform/ids.js'
import { contentHashOf, contentStatsOf, metadataProblem, personaContentProblem, type ContentStats } from './persona-content.js'
import type { CurrentPersona, PersonaVersion, PersonasRepo } from './personas.repo.js'

/** How the personas module checks that an agent exists (AgentsService.get: throws 404 when not). */
export interface AgentLookup {
  get(agentId: string): Promise<unknown>
}

export interface PersonaChange {
  createdBy?: string | null
  reason?: string | null
  /** Stored on the version. */
  metadata?: Record<string, unknown>
  /** Replaces the persona's own metadata when given (kept otherwise). */
  personaMetadata?: Record<string, unknown>
  /** When given, the write fails with 409 unless it becomes exactly this version number. */
  expectedVersion?: number
}

export interface PersonaValidation {
  isValid: boolean
  message: string
  contentLength?: number
  stats?: ContentStats
}

export class PersonasService {
  constructor(private readonly deps: { repo: PersonasRepo; agents: AgentLookup; clock: Clock; transact: Transactor }) {}

  /**
   * Records `content` as the agent's new current persona version. Runs inside `tx` when given
   * (the caller's transaction), else in its own. Does not check that the agent exists.
   */
  async record(agentId: string, content: string, change: PersonaChange = {}, tx?: Kysely<Tables>): Promise<PersonaVersion> {
    const problem = personaContentProblem(content)
    if (problem) throw new BadRequestError(`Persona content ${problem}`)
    for (const metadata of [change.metadata, change.personaMetadata]) {
      const bad = metadata && metadataProblem(metadata)
      if (bad) throw new BadRequestError(`Persona metadata ${bad}`)
    }
    const write = async (db: Kysely<Tables>) => {
      const now = this.deps.clock.now()
      const version = await this.deps.repo.allocateVersion(agentId, newUuid(), now, change.personaMetadata, db)
      if (change.expectedVersion !== undefined && version !== change.expectedVersion) {
        throw new ConflictError(`Version ${change.expectedVersion} cannot be created: the next version of agent '${agentId}' is ${version}`)
      }
      const stored = content.trim()
      const row: PersonaVersion = {
        id: newUuid(),
        agentId,
        version,
        content: stored,
        contentHash: contentHashOf(stored),
        createdBy: change.createdBy ?? null,
        changeDescription: change.reason ?? null,
        metadata: change.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      }
      await this.deps.repo.insertVersion(row, db)
      return row
    }
    try {
      return tx ? await write(tx) : await this.deps.transact(write)
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`Another change to the persona of agent '${agentId}' won the race; try again`)
      throw err
    }
  }

  /** The agent's current persona content and version number (no agent check; for runs). */
  async current(agentId: string): Promise<{ content: string; version: number } | undefined> {
    const current = await this.deps.repo.current(agentId)
    return current && { content: current.version.content, version: current.version.version }
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
    await this.record(agentId, content, { createdBy: createdBy ?? 'api', reason: 'Persona created', personaMetadata: metadata, metadata })
    return this.get(agentId)
  }

  async update(
    agentId: string,
    content: string,
    change: { metadata?: Record<string, unknown>; reason?: string | null; createdBy?: string },
  ): Promise<CurrentPersona> {
    await this.get(agentId)
    await this.record(agentId, content, {
      createdBy: change.createdBy ?? 'api',
      reason: change.reason ?? 'Persona updated',
      ...(change.metadata && { personaMetadata: change.metadata, metadata: change.metadata }),
    })
    return this.get(agentId)
  }

  /** The client's "save to database": creates or replaces the persona. */
  async savePermanent(agentId: string, content: string, reason: string, createdBy = 'web-client'): Promise<PersonaVersion> {
    await this.deps.agents.get(agentId)
    return this.record(agentId, content, { createdBy, reason, metadata: { reason } })
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

  currentContents(): Promise<Map<string, string>> {
    return this.deps.repo.currentContents()
  }

  fingerprint(): Promise<string> {
    return this.deps.repo.fingerprint()
  }
}

function personaNotFound(agentId: string): never {
  throw new NotFoundError(`Agent '${agentId}' has no persona`)
}
