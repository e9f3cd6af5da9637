// The run engine's face (`Runs`): creates runs and reads, waits for, follows and cancels them.
import type { Clock } from '../platform/clock.js'
import { isUniqueViolation } from '../platform/db/errors.js'
import type { Transactor, UnitOfWork } from '../platform/db/unit-of-work.js'
import { BadRequestError, ConflictError, NotFoundError } from '../platform/http/errors.js'
import { newObjectId } from '../platform/ids.js'
import { PROVIDER_EXECUTORS, PROVIDERS, isProvider } from '../platform/providers.js'
import type { WorkspacePolicy } from '../platform/workspace.js'
import type { Run } from './run.js'
import { endingOf } from './run-ending.js'
import { isTerminal, type RunEvent, type RunStatus } from './run-events.js'
import type { RunRecorder } from './run-recorder.js'
import type { RunStreams } from './run-stream.js'
import type { RunWorkerPool } from './run-worker-pool.js'
import type { RunsRepo } from './runs.repo.js'
import type {
  CreateRunOptions,
  ListRunsOptions,
  RunCensus,
  RunEndedHook,
  RunEndedListener,
  RunFilter,
  RunOrigin,
  RunReader,
  RunSpec,
  Runs,
} from './runs.js'

export interface RunDefaults {
  provider: string
  timeoutMs: number
  maxTimeoutMs: number
  conversationPolicy: 'reject' | 'enqueue'
}

export const CWD_MISSING = 'Diretório de trabalho (CWD) não configurado. Configure o CWD nas propriedades do Roteiro antes de executar o agente.'

/** How long a cancel waits for a running run's worker to end it. */
const CANCEL_WAIT_MS = 5000

export class RunService implements Runs {
  constructor(
    private readonly deps: {
      repo: RunsRepo
      recorder: RunRecorder
      pool: RunWorkerPool
      streams: RunStreams
      /** Where runs are written (SQLite: shared group commits). */
      transact: Transactor
      workspace: WorkspacePolicy
      clock: Clock
      defaults: RunDefaults
    },
  ) {}

  async create(spec: RunSpec, options: CreateRunOptions = {}): Promise<Run> {
    const { idempotencyKey = null, within } = options
    if (idempotencyKey) {
      const existing = await this.deps.repo.findByIdempotencyKey(idempotencyKey)
      if (existing) return existing
    }
    const run = this.newRun(spec, idempotencyKey)
    const rejectsBusy = this.deps.defaults.conversationPolicy === 'reject'
    // A run this process can start right away is stored already running (one write less);
    // runs that may have to wait behind another run of their conversation are queued.
    const slot = !within && (!run.conversationId || rejectsBusy) ? this.deps.pool.reserveSlot() : null
    if (slot) Object.assign(run, { status: 'running', workerId: slot.workerId, leaseExpiresAt: slot.leaseExpiresAt, startedAt: run.createdAt })
    const stored = () => (slot ? this.deps.pool.launchReserved(run) : this.deps.pool.queued(run.id))
    const checksBusy = run.conversationId !== null && rejectsBusy
    const store = async (uow: UnitOfWork) => {
      if (checksBusy && (await this.deps.repo.isConversationBusy(run.conversationId!, uow))) {
        throw new ConflictError(`A run is already in progress in conversation '${run.conversationId}'; wait for it or cancel it`)
      }
      await this.deps.recorder.create(run, uow)
    }
    try {
      if (within) {
        await store(within)
        within.afterCommit(stored)
      } else if (checksBusy) await this.deps.transact(store)
      // Nothing to read first: the recorder writes it alone (on PostgreSQL in one statement, no transaction).
      else await this.deps.recorder.create(run)
    } catch (err) {
      if (slot) this.deps.pool.releaseSlot()
      if (idempotencyKey && isUniqueViolation(err)) {
        const existing = await this.deps.repo.findByIdempotencyKey(idempotencyKey)
        if (existing) return existing
      }
      throw err
    }
    // Outside the try: a run that is stored keeps its slot, whatever happens next.
    if (!within) stored()
    return run
  }

  census(): Promise<RunCensus> {
    return this.deps.repo.census()
  }

  async get(id: string): Promise<Run> {
    const run = await this.deps.repo.get(id)
    if (!run) throw new NotFoundError(`Run '${id}' not found`)
    return run
  }

  find(id: string): Promise<Run | undefined> {
    return this.deps.repo.get(id)
  }

  async list(options: ListRunsOptions): Promise<{ runs: Run[]; total: number }> {
    const [runs, total] = await Promise.all([this.deps.repo.list(options), this.deps.repo.count(options)])
    return { runs, total }
  }

  async cancel(id: string): Promise<Run> {
    const run = await this.get(id)
    if (isTerminal(run.status)) return run
    if (run.status === 'queued') {
      const ending = endingOf(run, { kind: 'cancelled' }, '', null, this.deps.clock.now())
      if (await this.deps.recorder.end(run, ['queued'], ending)) return this.get(id)
    }
    await this.deps.repo.requestCancel(id, this.deps.clock.now())
    this.deps.pool.cancel(id)
    return this.waitForEnd(id, CANCEL_WAIT_MS)
  }

  async cancelMany(filter: RunFilter): Promise<Run[]> {
    const active = await this.deps.repo.list({ ...filter, statuses: activeStatuses(filter.statuses), limit: 1000, offset: 0 })
    return Promise.all(active.map((run) => this.cancel(run.id)))
  }

  waitForEnd(run: Run | string, timeoutMs: number): Promise<Run> {
    return this.deps.streams.waitForEnd(run, timeoutMs)
  }

  follow(id: string, afterSeq: number, reader: RunReader): () => void {
    return this.deps.streams.follow(id, afterSeq, reader)
  }

  followAll(listener: (events: readonly RunEvent[]) => void): () => void {
    return this.deps.streams.followAll(listener)
  }

  onEnded(hook: RunEndedHook, concerns?: (run: RunOrigin) => boolean): void {
    this.deps.recorder.onEnd(hook, concerns)
  }

  afterEnded(listener: RunEndedListener): void {
    this.deps.recorder.afterEnd(listener)
  }

  hide(id: string, deletedMessageId: string | null, uow?: UnitOfWork): Promise<boolean> {
    return this.deps.repo.markDeleted(id, deletedMessageId, this.deps.clock.now(), uow)
  }

  hideForInstance(instanceId: string, uow?: UnitOfWork): Promise<number> {
    return this.deps.repo.markDeletedForInstance(instanceId, this.deps.clock.now(), uow)
  }

  private newRun(spec: RunSpec, idempotencyKey: string | null): Run {
    const { agent } = spec
    const provider = spec.provider || agent?.aiProvider || this.deps.defaults.provider
    if (!isProvider(provider)) {
      throw new BadRequestError(`Unknown ai_provider '${provider}'; use one of: ${PROVIDERS.join(', ')}`)
    }
    const executor = PROVIDER_EXECUTORS[provider]
    const cwd = spec.cwd ? this.deps.workspace.normalize(spec.cwd, 'cwd') : null
    if (!cwd && (executor === 'cli' || executor === 'conductor')) throw new BadRequestError(CWD_MISSING)
    const now = this.deps.clock.now()
    return {
      id: newObjectId(now),
      status: 'queued',
      source: spec.source,
      agentId: agent?.id ?? null,
      personaVersion: agent?.personaVersion ?? null,
      instanceId: spec.instanceId ?? null,
      conversationId: spec.conversationId ?? null,
      screenplayId: spec.screenplayId ?? null,
      executor,
      provider,
      model: spec.model || agent?.model || null,
      input: spec.input,
      cwd,
      prompt: null,
      output: '',
      error: null,
      exitCode: null,
      severity: null,
      usage: null,
      options: {
        ...(agent && { agentName: agent.name, agentEmoji: agent.emoji, mcpServers: agent.mcpServers }),
        ...(spec.contextMode && { contextMode: spec.contextMode }),
        ...(spec.councilor && { councilor: spec.councilor }),
        ...(spec.metadata && { metadata: spec.metadata }),
      },
      idempotencyKey,
      timeoutMs: Math.min(spec.timeoutMs ?? this.deps.defaults.timeoutMs, this.deps.defaults.maxTimeoutMs),
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
}

function activeStatuses(requested: RunStatus[] | undefined): RunStatus[] {
  const active: RunStatus[] = ['queued', 'running']
  return requested ? requested.filter((s) => active.includes(s)) : active
}
