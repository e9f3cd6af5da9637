// Persona version history: read, compare, restore (as a new version), annotate and prune.
// The newest version is the persona itself and is never deleted.
import type { Transactor } from '../../platform/db/unit-of-work.js'
import type { Clock } from '../../platform/clock.js'
import { BadRequestError, ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { diffLines, type LineDiff } from './persona-diff.js'
import type { PersonaRecords } from './persona-records.js'
import type { AgentLookup } from './personas.service.js'
import type { PersonaVersion, PersonasRepo, VersionSortKey, VersionStats } from './personas.repo.js'

export interface ListVersionsInput {
  page: number
  perPage: number
  sortBy: VersionSortKey
  descending: boolean
}

export interface NewVersionInput {
  content: string
  metadata?: Record<string, unknown>
  createdBy?: string | null
  changeDescription?: string | null
  expectedVersion?: number
}

const DAY_MS = 86_400_000

export class PersonaVersionsService {
  constructor(private readonly deps: { repo: PersonasRepo; records: PersonaRecords; agents: AgentLookup; clock: Clock; transact: Transactor }) {}

  async create(agentId: string, input: NewVersionInput): Promise<PersonaVersion> {
    await this.deps.agents.get(agentId)
    return this.deps.records.record(agentId, input.content, {
      createdBy: input.createdBy ?? 'api',
      reason: input.changeDescription ?? null,
      metadata: input.metadata ?? {},
      ...(input.expectedVersion !== undefined && { expectedVersion: input.expectedVersion }),
    })
  }

  async list(agentId: string, input: ListVersionsInput) {
    await this.deps.agents.get(agentId)
    const { items, total } = await this.deps.repo.listVersions(agentId, {
      sortBy: input.sortBy,
      descending: input.descending,
      offset: (input.page - 1) * input.perPage,
      limit: input.perPage,
    })
    return { items, total, totalPages: Math.ceil(total / input.perPage) }
  }

  /** The content of one version (the one a run recorded), without the agent check; undefined when gone. */
  async contentOf(agentId: string, version: number): Promise<string | undefined> {
    return (await this.deps.repo.findVersion(agentId, version))?.content
  }

  async get(agentId: string, version: number): Promise<PersonaVersion> {
    await this.deps.agents.get(agentId)
    return (await this.deps.repo.findVersion(agentId, version)) ?? versionNotFound(agentId, version)
  }

  async edge(agentId: string, edge: 'first' | 'latest'): Promise<PersonaVersion> {
    await this.deps.agents.get(agentId)
    const found = await this.deps.repo.edgeVersion(agentId, edge)
    if (!found) throw new NotFoundError(`Agent '${agentId}' has no persona versions`)
    return found
  }

  async range(agentId: string, from: number, to: number): Promise<PersonaVersion[]> {
    if (from > to) throw new BadRequestError('from_version must be less than or equal to to_version')
    await this.deps.agents.get(agentId)
    return this.deps.repo.versionsBetween(agentId, from, to)
  }

  async stats(agentId: string): Promise<VersionStats & { averagePerDay: number }> {
    await this.deps.agents.get(agentId)
    const stats = await this.deps.repo.versionStats(agentId)
    const days = stats.firstAt === null ? 0 : Math.max(1, (this.deps.clock.now() - stats.firstAt) / DAY_MS)
    return { ...stats, averagePerDay: days === 0 ? 0 : Math.round((stats.total / days) * 100) / 100 }
  }

  async compare(agentId: string, v1: number, v2: number): Promise<LineDiff> {
    const [first, second] = [await this.get(agentId, v1), await this.get(agentId, v2)]
    return diffLines(first.content, second.content)
  }

  /** Makes an old version's content current again by recording it as a new version. */
  async restore(
    agentId: string,
    version: number,
    createdBy = 'api',
  ): Promise<{ restored: PersonaVersion; created: PersonaVersion; previous: number | null }> {
    const restored = await this.get(agentId, version)
    const previous = (await this.deps.records.current(agentId))?.version ?? null
    const created = await this.deps.records.record(agentId, restored.content, {
      createdBy,
      reason: `Restored from version ${version}`,
      metadata: { restored_from: version },
    })
    return { restored, created, previous }
  }

  async annotate(agentId: string, version: number, changes: { metadata?: Record<string, unknown>; changeDescription?: string | null }) {
    await this.get(agentId, version)
    const updated = await this.deps.repo.annotateVersion(agentId, version, changes, this.deps.clock.now())
    return updated ?? versionNotFound(agentId, version)
  }

  async delete(agentId: string, version: number): Promise<void> {
    await this.get(agentId, version)
    await this.deps.transact(async (tx) => {
      // Only the current version is protected; after DELETE …/persona there is none.
      const persona = await this.deps.repo.findPersona(agentId, tx)
      if (persona?.currentVersion === version) {
        throw new ConflictError(`Version ${version} is the current persona of agent '${agentId}' and cannot be deleted`)
      }
      if (!(await this.deps.repo.deleteVersion(agentId, version, tx))) versionNotFound(agentId, version)
    })
  }

  /** Keeps the newest `keep` versions (the current one always among them). */
  async cleanup(agentId: string, keep: number): Promise<number> {
    await this.deps.agents.get(agentId)
    return this.deps.transact((tx) => this.deps.repo.deleteAllButNewest(agentId, keep, tx))
  }
}

function versionNotFound(agentId: string, version: number): never {
  throw new NotFoundError(`Version ${version} not found for agent '${agentId}'`)
}
