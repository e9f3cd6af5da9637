// The run engine's public face. Every way of running an agent (the API, the chat send, the
// legacy execute routes, councilor ticks, MCP tools) is a caller of these few methods; nothing
// outside src/engine/ reaches the engine's storage, worker pool or event hub.
import type { UnitOfWork } from '../platform/db/unit-of-work.js'
import type { CouncilorTag, Run, RunSource } from './run.js'
import type { RunEvent, RunStatus } from './run-events.js'

/** The agent facts a run records at creation (served by the agents module). */
export interface RunAgent {
  id: string
  name: string
  emoji: string
  aiProvider: string | null
  model: string | null
  mcpServers: string[]
  personaVersion: number | null
}

/** What to run. Names are resolved by the caller: the engine looks nothing up in other modules. */
export interface RunSpec {
  source: RunSource
  input: string
  agent?: RunAgent | null
  /** Else the agent's, else the configured default. */
  provider?: string | null
  model?: string | null
  instanceId?: string | null
  conversationId?: string | null
  screenplayId?: string | null
  /** Where CLI and Conductor runs work; required by them, checked against the allowed roots. */
  cwd?: string | null
  timeoutMs?: number | null
  contextMode?: 'stateless' | 'stateful'
  councilor?: CouncilorTag
  metadata?: Record<string, unknown>
}

export interface CreateRunOptions {
  /** Repeating a create with the same key answers the run the first one created. */
  idempotencyKey?: string | null
  /** Store the run in the caller's unit of work (it starts once that commits). */
  within?: UnitOfWork
}

export interface RunFilter {
  ids?: string[]
  statuses?: RunStatus[]
  agentId?: string
  instanceId?: string
  conversationId?: string
  screenplayId?: string
  source?: RunSource
  /** Only runs from (true) or not from (false) the councilor scheduler. */
  councilor?: boolean
  includeDeleted?: boolean
}

export const RUN_SORT_KEYS = ['created_at', 'updated_at', 'started_at', 'ended_at', 'status', 'agent_id'] as const
export type RunSortKey = (typeof RUN_SORT_KEYS)[number]

export interface ListRunsOptions extends RunFilter {
  limit: number
  offset: number
  /** Default: created_at, newest first. */
  sortBy?: RunSortKey
  ascending?: boolean
}

/** A reader of one run's events (see `Runs.follow`). */
export interface RunReader {
  /** The next events, in order; several at once when they were stored together. */
  onEvents(events: readonly RunEvent[]): void
  /** The final event was delivered (or the run had already ended with nothing left to send). */
  onEnd(): void
  onError(err: unknown): void
  /** Lets a replay wait while the reader's socket is backed up, instead of flooding it. */
  waitForRoom?(): Promise<void>
}

/** Counts for monitoring, taken from storage (so they cover every instance). */
export interface RunCensus {
  /** Queued and running runs, by status, executor and provider. */
  active: Array<{ status: RunStatus; executor: string; provider: string; count: number }>
  /** Events the run event log holds. */
  storedEvents: number
}

/** Work that must commit together with a run's end (a conversation reply, statistics…). */
export type RunEndedHook = (run: Run, uow: UnitOfWork) => Promise<void>

/** The fields of a run, known before it ends, that tell whether an end hook has work for it. */
export type RunOrigin = Pick<Run, 'source' | 'instanceId' | 'conversationId'>

/** Told of each run this process ended, once its end has committed and before its final event is published. */
export type RunEndedListener = (run: Run) => void

export interface Runs {
  /** Stores a new run (`queued`, or already `running` when this process has room) and starts it. */
  create(spec: RunSpec, options?: CreateRunOptions): Promise<Run>
  /** 404 when there is no such run. */
  get(id: string): Promise<Run>
  find(id: string): Promise<Run | undefined>
  list(options: ListRunsOptions): Promise<{ runs: Run[]; total: number }>
  /**
   * Idempotent: a queued run ends at once; a running run is stopped by its worker (wherever it
   * runs) and ends `cancelled` with its partial output; a finished run is answered as it is.
   */
  cancel(id: string): Promise<Run>
  /** Cancels every active run matching the filter. */
  cancelMany(filter: RunFilter): Promise<Run[]>
  /**
   * Resolves with the run once it has ended, or as it is after `timeoutMs`. Given the run as
   * `create` returned it (rather than its id), it needs no read to learn that the run exists.
   */
  waitForEnd(run: Run | string, timeoutMs: number): Promise<Run>
  /**
   * Delivers the run's events with seq > `afterSeq`: what is stored, then the live tail, in order,
   * with no gaps and no duplicates, ending after the final event. Returns a function that stops it.
   */
  follow(id: string, afterSeq: number, reader: RunReader): () => void
  /** Every run's events as they are stored, from this instance and others; returns an unsubscribe. */
  followAll(listener: (events: readonly RunEvent[]) => void): () => void
  /** Registers work done exactly once, in the transaction that ends any run, on whichever instance ends it. */
  /**
   * Registers work for the transaction that ends each run `concerns` accepts (every run without
   * it). A run no hook concerns ends in one statement where the database allows it.
   */
  onEnded(hook: RunEndedHook, concerns?: (run: RunOrigin) => boolean): void
  /** Registers `listener` for every run this process ends, after its end commits. */
  afterEnded(listener: RunEndedListener): void
  /** Hides the run a deleted message produced (task views and history drop it). */
  hide(id: string, deletedMessageId: string | null, uow?: UnitOfWork): Promise<boolean>
  /** Hides every run of an instance (its history); returns how many were hidden. */
  hideForInstance(instanceId: string, uow?: UnitOfWork): Promise<number>
  /** Queue and event-log counts for the metrics. */
  census(): Promise<RunCensus>
}
