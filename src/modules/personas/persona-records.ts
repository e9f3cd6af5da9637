// The persona store: one source of truth (the current version in persona_versions); every change
// records a new immutable version. No agent checks here, so the agent catalog can record the
// persona of an agent it is creating in the same transaction.
import type { Clock } from '../../platform/clock.js'
import { isUniqueViolation } from '../../platform/db/errors.js'
import type { Transactor, UnitOfWork } from '../../platform/db/unit-of-work.js'
import { BadRequestError, ConflictError } from '../../platform/http/errors.js'
import { newUuid } from '../../platform/ids.js'
import { contentHashOf, metadataProblem, personaContentProblem } from './persona-content.js'
import type { PersonaVersion, PersonasRepo } from './personas.repo.js'

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

export class PersonaRecords {
  constructor(private readonly deps: { repo: PersonasRepo; clock: Clock; transact: Transactor }) {}

  /**
   * Records `content` as the agent's new current persona version. Runs inside `uow` when given
   * (the caller's transaction), else in its own. Does not check that the agent exists.
   */
  async record(agentId: string, content: string, change: PersonaChange = {}, uow?: UnitOfWork): Promise<PersonaVersion> {
    const problem = personaContentProblem(content)
    if (problem) throw new BadRequestError(`Persona content ${problem}`)
    for (const metadata of [change.metadata, change.personaMetadata]) {
      const bad = metadata && metadataProblem(metadata)
      if (bad) throw new BadRequestError(`Persona metadata ${bad}`)
    }
    const write = async (unit: UnitOfWork) => {
      const now = this.deps.clock.now()
      const version = await this.deps.repo.allocateVersion(agentId, newUuid(), now, change.personaMetadata, unit)
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
      await this.deps.repo.insertVersion(row, unit)
      return row
    }
    try {
      return uow ? await write(uow) : await this.deps.transact(write)
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`Another change to the persona of agent '${agentId}' won the race; try again`)
      throw err
    }
  }

  /** The agent's current persona content and version number. */
  async current(agentId: string): Promise<{ content: string; version: number } | undefined> {
    const current = await this.deps.repo.current(agentId)
    return current && { content: current.version.content, version: current.version.version }
  }

  currentContents(): Promise<Map<string, string>> {
    return this.deps.repo.currentContents()
  }

  fingerprint(): Promise<string> {
    return this.deps.repo.fingerprint()
  }
}
