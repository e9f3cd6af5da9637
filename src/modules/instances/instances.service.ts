// Agent instance rules: placement of an agent in a screenplay/conversation, its working
// directory, atomic statistics, soft delete and the cascades other modules trigger.
import type { UnitOfWork, Transactor } from '../../platform/db/unit-of-work.js'
import { durationOf, type Run } from '../../engine/run.js'
import type { Clock } from '../../platform/clock.js'
import { isUniqueViolation } from '../../platform/db/errors.js'
import { ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { newUuid } from '../../platform/ids.js'
import type { WorkspacePolicy } from '../../platform/workspace.js'
import type { Agent } from '../agents/agents.repo.js'
import type { InstanceHistoryEntry, InstanceHistorySource } from './instance-history.js'
import type {
  CreateInstanceInput,
  Instance,
  InstanceChanges,
  InstancePatch,
  InstanceSortKey,
  InstanceStatistics,
  ListInstancesInput,
  NamedInstance,
} from './instances.model.js'
import type { InstancesRepo } from './instances.repo.js'
import { newInstance } from './new-instance.js'

/** The agent catalog as instances need it (AgentsService; `get` answers 404 for unknown ids). */
export interface InstanceAgents {
  get(agentId: string, options?: { includeDeleted?: boolean }): Promise<Agent>
  /** agent id → display name; unknown ids are left out. */
  namesOf(agentIds: readonly string[]): Promise<Map<string, string>>
}

/** Current persona content of an agent (PersonasService). */
export interface InstancePersonas {
  current(agentId: string): Promise<{ content: string; version: number } | undefined>
}

/** A screenplay's working directory, or null when it has none or does not exist (ScreenplaysService). */
export interface ScreenplayDirectories {
  workingDirectoryOf(screenplayId: string): Promise<string | null>
}

/** The order updated fields are reported in (the original's four first). */
const PATCH_FIELDS: Array<keyof InstancePatch> = [
  'position',
  'status',
  'config',
  'executionState',
  'cwd',
  'emoji',
  'definition',
  'displayOrder',
  'screenplayId',
  'conversationId',
  'mcpConfigs',
  'isHidden',
  'isSystemDefault',
  'customization',
  'councilorConfig',
]

const MERGE_ATTEMPTS = 5

export class InstancesService {
  constructor(
    private readonly deps: {
      repo: InstancesRepo
      agents: InstanceAgents
      personas: InstancePersonas
      screenplays: ScreenplayDirectories
      history: InstanceHistorySource
      workspace: WorkspacePolicy
      clock: Clock
      transact: Transactor
    },
  ) {}

  async create(input: CreateInstanceInput): Promise<NamedInstance> {
    const instance = await this.checkedDraft(input)
    try {
      await this.deps.repo.insert(instance)
    } catch (err) {
      if (!isUniqueViolation(err)) throw err
      throw new ConflictError('Instance already exists', {
        success: false,
        error: 'Instance already exists',
        instance_id: input.instanceId,
        hint: `Use PATCH /api/agents/instances/${input.instanceId} to update existing instance`,
      })
    }
    return (await this.named([instance]))[0]!
  }

  /** The stored instance, deleted ones included (the chat send revives what it names). */
  findAny(instanceId: string): Promise<Instance | undefined> {
    return this.deps.repo.findById(instanceId, { includeDeleted: true })
  }

  /**
   * A new instance with the original's defaults, not stored yet (`insertDraft` stores it, e.g. with
   * a run). The caller has checked the agent and chosen the working directory.
   */
  draft(input: CreateInstanceInput, cwd: string | null): Instance {
    return newInstance(input, cwd, this.deps.clock.now())
  }

  /** Stores a drafted instance inside `uow`, unless a concurrent request stored that id first. */
  async insertDraft(instance: Instance, uow: UnitOfWork): Promise<void> {
    await this.deps.repo.insertIfMissing(instance, uow)
  }

  /** A live instance; 404 (object detail, as the original answers) when missing or deleted. */
  async get(instanceId: string): Promise<NamedInstance> {
    return (await this.named([await this.findLive(instanceId)]))[0]!
  }

  async list(input: ListInstancesInput): Promise<{ items: NamedInstance[]; total: number }> {
    const { sort, ...filter } = input
    const { items, total } = await this.deps.repo.list({
      ...filter,
      sortBy: sort.replace(/^-/, '') as InstanceSortKey,
      descending: sort.startsWith('-'),
    })
    return { items: await this.named(items), total }
  }

  /** Partial update; `config` and `executionState` are merged key by key into what is stored. */
  async update(instanceId: string, patch: InstancePatch): Promise<{ instance: Instance; updatedFields: Array<keyof InstancePatch> }> {
    const updatedFields = PATCH_FIELDS.filter((field) => patch[field] !== undefined)
    const changes: InstanceChanges = { ...patch, updatedAt: this.deps.clock.now() }
    if (patch.cwd !== undefined) changes.cwd = patch.cwd ? this.normalizeCwd(patch.cwd) : null
    const merging = patch.config !== undefined || patch.executionState !== undefined
    for (let attempt = 0; attempt < MERGE_ATTEMPTS; attempt++) {
      const current = await this.findLive(instanceId)
      if (patch.config) changes.config = { ...current.config, ...patch.config }
      if (patch.executionState) changes.executionState = { ...(current.executionState ?? {}), ...patch.executionState }
      const updated = await this.deps.repo.update(instanceId, changes, merging ? { expectedRevision: current.revision } : {})
      if (updated) return { instance: updated, updatedFields }
    }
    throw new ConflictError(`Instance ${instanceId} kept changing while being updated; try again`)
  }

  async setCwd(instanceId: string, cwd: string): Promise<string> {
    const normalized = this.normalizeCwd(cwd)
    await this.live(instanceId, 'Instance not found')
    await this.deps.repo.update(instanceId, { cwd: normalized, updatedAt: this.deps.clock.now() })
    return normalized
  }

  /** One finished task of a live instance, added atomically (the statistics endpoint). */
  async addTaskStatistics(instanceId: string, task: { durationMs: number; exitCode: number; incrementCount: boolean }): Promise<InstanceStatistics> {
    await this.findLive(instanceId)
    const updated = await this.deps.repo.recordExecution(instanceId, { ...task, completedAt: this.deps.clock.now() })
    return (updated ?? instanceNotFound(instanceId)).statistics
  }

  /** Records one finished task of an instance: counts, times, success rate, last exit code. */
  async recordExecution(instanceId: string, task: { durationMs: number; exitCode: number; completedAt: number }): Promise<InstanceStatistics> {
    const updated = await this.deps.repo.recordExecution(instanceId, { ...task, incrementCount: true })
    return (updated ?? instanceNotFound(instanceId)).statistics
  }

  /**
   * The run engine's end hook: a finished run of an instance counts in its statistics, inside the
   * transaction that ends it (a cancelled run does not count; a vanished instance has nothing to count).
   */
  async countRun(run: Run, uow: UnitOfWork): Promise<void> {
    if (!run.instanceId || run.status === 'cancelled') return
    const exitCode = run.exitCode ?? (run.status === 'completed' ? 0 : 1)
    const completedAt = run.endedAt ?? run.updatedAt
    await this.deps.repo.recordExecution(run.instanceId, { durationMs: durationOf(run), exitCode, completedAt, incrementCount: true }, uow)
  }

  async reorder(entries: Array<{ instanceId: string; displayOrder: number }>): Promise<number> {
    const now = this.deps.clock.now()
    return this.deps.transact((tx) => this.deps.repo.reorder(entries, now, tx))
  }

  async mcpConfigs(instanceId: string): Promise<{ instance: Instance; template: string[]; combined: string[] }> {
    const instance = await this.live(instanceId, `Instance not found: ${instanceId}`)
    const agent = await this.agentOf(instance)
    const template = agent?.mcpConfigs ?? []
    return { instance, template, combined: [...new Set([...template, ...instance.mcpConfigs])] }
  }

  async setMcpConfigs(instanceId: string, mcpConfigs: string[]): Promise<string[]> {
    await this.live(instanceId, `Instance not found: ${instanceId}`)
    const unique = [...new Set(mcpConfigs)]
    await this.deps.repo.update(instanceId, { mcpConfigs: unique, updatedAt: this.deps.clock.now() })
    return unique
  }

  /**
   * Soft delete (default): the instance is hidden; with `cascade` its history is hidden too.
   * Hard delete removes the row; history is never erased, only hidden (runs keep their records).
   */
  async delete(instanceId: string, options: { hard: boolean; cascade: boolean }): Promise<{ historyHidden: number | null }> {
    const instance = await this.deps.repo.findById(instanceId, { includeDeleted: true })
    if (!instance) instanceNotFound(instanceId)
    const now = this.deps.clock.now()
    return this.deps.transact(async (tx) => {
      const historyHidden = options.cascade ? await this.deps.history.hideHistoryOf(instanceId, now, tx) : null
      if (options.hard) await this.deps.repo.delete(instanceId, tx)
      else await this.deps.repo.update(instanceId, { isDeleted: true, deletedReason: 'deleted', deletedAt: now, updatedAt: now }, {}, tx)
      return { historyHidden }
    })
  }

  /** What the chat side panel shows for an instance (deleted instances included). */
  async context(instanceId: string): Promise<{ instance: Instance; agent?: Agent; persona?: string; history: InstanceHistoryEntry[] }> {
    const instance = await this.deps.repo.findById(instanceId, { includeDeleted: true })
    if (!instance) throw new NotFoundError(`Instance '${instanceId}' not found`)
    const [agent, persona, history] = await Promise.all([
      this.agentOf(instance),
      this.deps.personas.current(instance.agentId),
      this.deps.history.historyOf(instanceId),
    ])
    return { instance, history, ...(agent && { agent }), ...(persona && { persona: persona.content }) }
  }

  /** The conversations a screenplay's live instances talk in (read before the cascade hides them). */
  conversationsOfScreenplay(screenplayId: string, tx: UnitOfWork): Promise<string[]> {
    return this.deps.repo.conversationIdsOfScreenplay(screenplayId, tx)
  }

  /** Hides the instances of a deleted screenplay, inside the deleting transaction. */
  hideForScreenplay(screenplayId: string, now: number, tx: UnitOfWork): Promise<number> {
    return this.deps.repo.hideWhere({ screenplayId }, 'screenplay_deleted', now, tx)
  }

  /** Hides the instances of a deleted conversation, inside the deleting transaction. */
  hideForConversation(conversationId: string, now: number, tx: UnitOfWork): Promise<number> {
    return this.deps.repo.hideWhere({ conversationId }, 'conversation_deleted', now, tx)
  }

  /** Copies the live instances of one conversation into another; returns old id → new id. */
  async cloneForConversation(fromConversationId: string, toConversationId: string, now: number, tx: UnitOfWork): Promise<Record<string, string>> {
    const ids: Record<string, string> = {}
    for (const source of await this.deps.repo.listLiveOfConversation(fromConversationId, tx)) {
      const copy = newInstance({ ...source, conversationId: toConversationId, instanceId: newUuid() }, source.cwd, now)
      await this.deps.repo.insert(copy, tx)
      ids[source.instanceId] = copy.instanceId
    }
    return ids
  }

  /** A new instance of a known agent, working where asked or else in its screenplay's directory. */
  private async checkedDraft(input: CreateInstanceInput): Promise<Instance> {
    await this.assertAgentExists(input.agentId)
    const cwd = input.cwd
      ? this.normalizeCwd(input.cwd)
      : input.screenplayId
        ? await this.deps.screenplays.workingDirectoryOf(input.screenplayId)
        : null
    return this.draft(input, cwd)
  }

  private async findLive(instanceId: string): Promise<Instance> {
    return (await this.deps.repo.findById(instanceId)) ?? instanceNotFound(instanceId)
  }

  /** One query for the agent names of a page of instances. */
  private async named(instances: Instance[]): Promise<NamedInstance[]> {
    const names = await this.deps.agents.namesOf(instances.map((i) => i.agentId))
    return instances.map((i) => ({ ...i, agentName: names.get(i.agentId) ?? i.agentId }))
  }

  private async live(instanceId: string, notFoundMessage: string): Promise<Instance> {
    const instance = await this.deps.repo.findById(instanceId)
    if (!instance) throw new NotFoundError(notFoundMessage)
    return instance
  }

  private async agentOf(instance: Instance): Promise<Agent | undefined> {
    try {
      return await this.deps.agents.get(instance.agentId, { includeDeleted: true })
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
  }

  private async assertAgentExists(agentId: string): Promise<void> {
    try {
      await this.deps.agents.get(agentId)
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err
      throw new NotFoundError(`Agent '${agentId}' not found`, { success: false, error: `Agent '${agentId}' not found`, agent_id: agentId })
    }
  }

  private normalizeCwd(cwd: string): string {
    return this.deps.workspace.normalize(cwd, 'cwd')
  }
}

function instanceNotFound(instanceId: string): never {
  throw new NotFoundError('Instance not found', { success: false, error: 'Instance not found', instance_id: instanceId })
}
