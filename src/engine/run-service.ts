// The one way to run an agent: every execution path of the API creates runs here, and reads,
// waits for and cancels them here.
import type { Kysely } from 'kysely'
import { sql } from 'kysely'
import type { Clock } from '../platform/clock.js'
import type { Database } from '../platform/db/database.js'
import { isUniqueViolation } from '../platform/db/errors.js'
import type { Tables } from '../platform/db/tables.js'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import { BadRequestError, ConflictError, NotFoundError } from '../platform/http/errors.js'
import { newObjectId } from '../platform/ids.js'
import type { WorkspacePolicy } from '../platform/workspace.js'
import { PROVIDER_EXECUTORS, PROVIDERS, isProvider } from '../platform/providers.js'
import type { Run, RunOptions, RunSource } from './run.js'
import type { RunEventHub } from './run-event-hub.js'
import { isFinalEvent, isTerminal, type RunStatus } from './run-events.js'
import type { RunRecorder } from './run-recorder.js'
import { CANCEL_CHANNEL, QUEUED_CHANNEL, type RunWorkerPool } from './run-worker-pool.js'
import type { ListRunsOptions, RunFilter, RunsRepo } from './runs.repo.js'

/** The agent facts a run needs at creation; served by the agents module. */
export interface RunAgent {
  id: string
  name: string
  emoji: string
  aiProvider: string | null
  model: string | null
  mcpConfigs: string[]
  personaVersion: number | null
}

export interface AgentDirectory {
  /** By agent id, else by name (the original's lookup); undefined when unknown. */
  find(agentIdOrName: string): Promise<RunAgent | undefined>
}

/** Where a run without a cwd of its own works: its screenplay's directory (screenplays module). */
export interface ScreenplayDirectories {
  /** The screenplay's working directory; null when it has none or does not exist. */
  workingDirectoryOf(screenplayId: string): Promise<string | null>
}

export interface RunDefaults {
  provider: string
  timeoutMs: number
  maxTimeoutMs: number
  conversationPolicy: 'reject' | 'enqueue'
}

export interface CreateRunInput {
  source: RunSource
  input: string
  agentId?: string | null
  provider?: string | null
  model?: string | null
  instanceId?: string | null
  conversationId?: string | null
  screenplayId?: string | null
  cwd?: string | null
  timeoutMs?: number | null
  idempotencyKey?: string | null
  options?: RunOptions
  /** More writes that must commit with the new run (e.g. conversation messages). */
  alsoWrite?: (run: Run, tx: Kysely<Tables>) => Promise<void>
}

export const CWD_MISSING = 'Diretório de trabalho (CWD) não configurado. Configure o CWD nas propriedades do Roteiro antes de executar o agente.'

export class RunService {
  constructor(
    private readonly deps: {
      database: Database
      repo: RunsRepo
      recorder: RunRecorder
      hub: RunEventHub
      pool: RunWorkerPool
      cluster: ClusterChannel
      agents: AgentDirectory
      screenplays?: ScreenplayDirectories
      workspace: WorkspacePolicy
      clock: Clock
      defaults: RunDefaults
    },
  ) {}

  async create(input: CreateRunInput): Promise<Run> {
    if (input.idempotencyKey) {
      const existing = await this.deps.repo.findByIdempotencyKey(input.idempotencyKey)
      if (existing) return existing
    }
    const run = await this.newRun(input)
    const rejectsBusy = this.deps.defaults.conversationPolicy === 'reject'
    // A run this process can start right away is stored already running (one write less);
    // runs that may have to wait behind another run of their conversation are queued.
    const slot = !run.conversationId || rejectsBusy ? this.deps.pool.reserveSlot() : null
    if (slot) Object.assign(run, { status: 'running', workerId: slot.workerId, leaseExpiresAt: slot.leaseExpiresAt, startedAt: run.createdAt })
    try {
      await this.deps.recorder.create(run, async (tx) => {
        if (run.conversationId && rejectsBusy) await this.assertConversationIdle(run.conversationId, tx)
        await input.alsoWrite?.(run, tx)
      })
    } catch (err) {
      if (slot) this.deps.pool.releaseSlot()
      if (input.idempotencyKey && isUniqueViolation(err)) {
        const existing = await this.deps.repo.findByIdempotencyKey(input.idempotencyKey)
        if (existing) return existing
      }
      throw err
    }
    if (slot) {
      this.deps.pool.launchReserved(run)
    } else {
      this.deps.pool.queued(run.id)
      this.deps.cluster.send(QUEUED_CHANNEL, run.id)
    }
    return run
  }

  async get(id: string): Promise<Run> {
    const run = await this.deps.repo.get(id)
    if (!run) throw new NotFoundError(`Run '${id}' not found`)
    return run
  }

  async find(id: string): Promise<Run | undefined> {
    return this.deps.repo.get(id)
  }

  async list(options: ListRunsOptions): Promise<{ runs: Run[]; total: number }> {
    const [runs, total] = await Promise.all([this.deps.repo.list(options), this.deps.repo.count(options)])
    return { runs, total }
  }

  /**
   * Idempotent: a queued run ends at once; a running run is stopped by its worker (wherever it
   * runs) and ends `cancelled` with its partial output; a finished run is returned as it is.
   */
  async cancel(id: string, waitMs = 5000): Promise<Run> {
    const run = await this.get(id)
    if (isTerminal(run.status)) return run
    if (run.status === 'queued') {
      const now = this.deps.clock.now()
      const ended = await this.deps.recorder.end(
        id,
        ['queued'],
        { status: 'cancelled', output: '', error: null, exitCode: null, severity: null, usage: null, endedAt: now },
        { type: 'run.cancelled', data: { output: '', durationMs: 0 } },
      )
      if (ended) return this.get(id)
    }
    await this.deps.repo.requestCancel(id, this.deps.clock.now())
    if (!this.deps.pool.stopRun(id, 'cancel')) this.deps.cluster.send(CANCEL_CHANNEL, id)
    return this.waitForEnd(id, waitMs)
  }

  async cancelMany(filter: RunFilter): Promise<Run[]> {
    const active = await this.deps.repo.list({ ...filter, statuses: activeStatuses(filter.statuses), limit: 1000, offset: 0 })
    return Promise.all(active.map((run) => this.cancel(run.id)))
  }

  /** Resolves with the run once it has ended, or as it is after `timeoutMs`. */
  async waitForEnd(id: string, timeoutMs: number): Promise<Run> {
    let unsubscribe = () => {}
    const ended = new Promise<void>((resolve) => {
      unsubscribe = this.deps.hub.subscribe(id, (events) => {
        if (events.some(isFinalEvent)) resolve()
      })
    })
    try {
      const status = await this.deps.repo.statusOf(id)
      if (status === undefined) throw new NotFoundError(`Run '${id}' not found`)
      if (isTerminal(status)) return this.get(id)
      let timer: NodeJS.Timeout | undefined
      await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))])
      clearTimeout(timer)
      return this.deps.recorder.recentlyEnded(id) ?? this.get(id)
    } finally {
      unsubscribe()
    }
  }

  /** Marks the run a deleted message produced so task views and history drop it. */
  async markDeleted(id: string, messageId: string | null, tx?: Kysely<Tables>): Promise<boolean> {
    return this.deps.repo.markDeleted(id, messageId, this.deps.clock.now(), tx)
  }

  /** Hides an instance's runs (its history) when the instance is deleted with its history. */
  async markDeletedForInstance(instanceId: string, tx?: Kysely<Tables>): Promise<number> {
    return this.deps.repo.markDeletedForInstance(instanceId, this.deps.clock.now(), tx)
  }

  private async newRun(input: CreateRunInput): Promise<Run> {
    const agent = input.agentId ? await this.deps.agents.find(input.agentId) : undefined
    if (input.agentId && !agent) throw new NotFoundError(`Agent '${input.agentId}' not found`)
    const provider = input.provider || agent?.aiProvider || this.deps.defaults.provider
    if (!isProvider(provider)) {
      throw new BadRequestError(`Unknown ai_provider '${provider}'; use one of: ${PROVIDERS.join(', ')}`)
    }
    const executor = PROVIDER_EXECUTORS[provider]
    const cwd = await this.workingDirectory(input)
    if (!cwd && (executor === 'cli' || executor === 'conductor')) throw new BadRequestError(CWD_MISSING)
    const now = this.deps.clock.now()
    const timeoutMs = Math.min(input.timeoutMs ?? this.deps.defaults.timeoutMs, this.deps.defaults.maxTimeoutMs)
    return {
      id: newObjectId(now),
      status: 'queued',
      source: input.source,
      agentId: agent?.id ?? null,
      personaVersion: agent?.personaVersion ?? null,
      instanceId: input.instanceId ?? null,
      conversationId: input.conversationId ?? null,
      screenplayId: input.screenplayId ?? null,
      executor,
      provider,
      model: input.model || agent?.model || null,
      input: input.input,
      cwd,
      prompt: null,
      output: '',
      error: null,
      exitCode: null,
      severity: null,
      usage: null,
      options: {
        ...(agent && { agentName: agent.name, agentEmoji: agent.emoji, mcpServers: agent.mcpConfigs }),
        ...input.options,
      },
      idempotencyKey: input.idempotencyKey ?? null,
      timeoutMs,
      workerId: null,
      leaseExpiresAt: null,
      cancelRequested: false,
      isDeleted: false,
      lastSeq: 0,
      createdAt: now,
      startedAt: null,
      endedAt: null,
      updatedAt: now,
    }
  }

  /** The request's cwd, else its screenplay's (original-gateway.md §2.1.1 meant to inherit it). */
  private async workingDirectory(input: CreateRunInput): Promise<string | null> {
    if (input.cwd) return this.deps.workspace.normalize(input.cwd, 'cwd')
    const inherited = input.screenplayId ? await this.deps.screenplays?.workingDirectoryOf(input.screenplayId) : null
    return inherited ? this.deps.workspace.normalize(inherited, 'cwd') : null
  }

  private async assertConversationIdle(conversationId: string, tx: Kysely<Tables>): Promise<void> {
    if (this.deps.database.dialect === 'postgres') {
      // Serialises creators per conversation so two cannot both see it idle.
      await sql`select pg_advisory_xact_lock(hashtext(${conversationId}))`.execute(tx)
    }
    if (await this.deps.repo.hasActiveRunInConversation(conversationId, tx)) {
      throw new ConflictError(`A run is already in progress in conversation '${conversationId}'; wait for it or cancel it`)
    }
  }
}

function activeStatuses(requested: RunStatus[] | undefined): RunStatus[] {
  const active: RunStatus[] = ['queued', 'running']
  return requested ? requested.filter((s) => active.includes(s)) : active
}
