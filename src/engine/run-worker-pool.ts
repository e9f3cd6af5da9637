// A bounded pool of workers in this process: claims queued runs, executes them, keeps their
// leases alive and ends each one exactly once (completed, failed, cancelled or timed out).
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../platform/clock.js'
import { isDatabaseUnavailable } from '../platform/db/errors.js'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import type { ExecutorKind } from '../platform/providers.js'
import { DeltaCoalescer } from './delta-coalescer.js'
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorEvent, RunPreparer, StopReason } from './executor.js'
import type { Run } from './run.js'
import { endingOf, type RunEnding, type RunOutcome } from './run-ending.js'
import type { RunEventBody } from './run-events.js'
import type { RunRecorder } from './run-recorder.js'
import { RunStop } from './run-stop.js'
import { traceRun } from './run-tracing.js'
import type { RunsRepo } from './runs.repo.js'

export interface WorkerPoolConfig {
  concurrency: number
  leaseMs: number
  coalesceMs: number
  /** Safety net for missed wake-ups: how often idle workers look for queued runs. */
  pollIntervalMs: number
}

/** The longest pause between tries to end a run while the database is unreachable. */
const END_RETRY_MAX_MS = 1000

const QUEUED_CHANNEL = 'runs_queued'
const CANCEL_CHANNEL = 'run_cancel'

export class RunWorkerPool {
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  private readonly active = new Map<string, RunStop>()
  private readonly finished = new Set<Promise<void>>()
  /** Slots promised to runs being created here (they start as `running`, see `reserveSlot`). */
  private reserved = 0
  /**
   * Set when there may be queued runs to claim; keeps idle pools from querying for nothing, and
   * while it is set no new run may take a slot past them (`reserveSlot`): first come, first served.
   */
  private mayHaveQueued = true
  private pollTimer: NodeJS.Timeout | null = null
  private renewTimer: NodeJS.Timeout | null = null
  /** Set once a stopping pool's grace is over: runs still ending give up waiting for the database. */
  private givenUp = false
  /** Counts hints; a claim that found nothing clears `mayHaveQueued` only if none came meanwhile. */
  private hints = 0
  private draining = false
  /** Claims under way; `stop` waits for them so that no claim outlives the database. */
  private readonly claims = new Set<Promise<void>>()
  private drainAgain = false
  private accepting = false
  /** Runs queued here for this instance to claim at once; those its claims leave queued are announced. */
  private readonly meantToClaim = new Set<string>()

  constructor(
    private readonly deps: {
      repo: RunsRepo
      recorder: RunRecorder
      executors: Record<ExecutorKind, Executor>
      preparer: RunPreparer
      clock: Clock
      cluster: ClusterChannel
      logger: Logger
      config: WorkerPoolConfig
    },
  ) {}

  start(): void {
    const { cluster, config } = this.deps
    this.accepting = true
    cluster.on(QUEUED_CHANNEL, () => this.hint())
    cluster.on(CANCEL_CHANNEL, (runId) => this.stopRun(runId, 'cancel'))
    this.pollTimer = setInterval(() => this.hint(), config.pollIntervalMs).unref()
    this.renewTimer = setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(config.leaseMs / 3))).unref()
    this.drain()
  }

  /**
   * Promises a slot to a run about to be created here, so it can be stored already `running`
   * (one write instead of two). Call `launchReserved` after it is stored, or `releaseSlot`.
   */
  reserveSlot(): { workerId: string; leaseExpiresAt: number } | null {
    // Queued runs come first: a new run takes a free slot only when none may be waiting for it.
    if (!this.accepting || this.mayHaveQueued || !this.hasRoom()) return null
    this.reserved++
    return { workerId: this.workerId, leaseExpiresAt: this.leaseExpiry() }
  }

  releaseSlot(): void {
    this.reserved--
  }

  launchReserved(run: Run): void {
    this.reserved--
    this.launch(run)
  }

  /**
   * A run was just queued here. With room and nothing older waiting, the next claim of the oldest
   * runs takes it, in one statement with every run queued here in the same turn. The other
   * instances are told only about a run this one does not start now (no room, older runs first,
   * its conversation busy): one it takes at once would only have them race for it, a claim
   * statement each.
   */
  queued(runId: string): void {
    if (this.accepting && !this.mayHaveQueued && this.hasRoom()) this.meantToClaim.add(runId)
    else this.announce(runId)
    // The oldest runs are claimed first: this one now, or when a slot frees.
    if (this.accepting) this.hint()
  }

  private announce(runId: string): void {
    this.deps.cluster.send(QUEUED_CHANNEL, runId)
  }

  private announceUnclaimed(): void {
    for (const runId of this.meantToClaim) this.announce(runId)
    this.meantToClaim.clear()
  }

  private trackClaim(claim: Promise<void>): Promise<void> {
    this.claims.add(claim)
    return claim.finally(() => this.claims.delete(claim))
  }

  /** Stops the run wherever it executes: here, or on the instance that runs it. */
  cancel(runId: string): void {
    if (!this.stopRun(runId, 'cancel')) this.deps.cluster.send(CANCEL_CHANNEL, runId)
  }

  /** True while the run executes in this process. */
  isRunningHere(runId: string): boolean {
    return this.active.has(runId)
  }

  /** Stops a run executing here; false when it is not running in this process. */
  private stopRun(runId: string, reason: StopReason): boolean {
    const stop = this.active.get(runId)
    if (!stop) return false
    stop.stop(reason)
    return true
  }

  /**
   * Stops claiming (at once, before the first await), gives running runs `graceMs` to finish
   * with their leases still renewed, then stops the rest (they end as failed, so nothing stays
   * `running`).
   */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false
    if (this.pollTimer) clearInterval(this.pollTimer)
    const all = () => Promise.allSettled([...this.finished])
    let graceTimer: NodeJS.Timeout | undefined
    const timeout = new Promise((resolve) => (graceTimer = setTimeout(resolve, graceMs)))
    await Promise.allSettled([...this.claims])
    await Promise.race([all(), timeout])
    clearTimeout(graceTimer)
    this.givenUp = true
    for (const runId of this.active.keys()) this.stopRun(runId, 'shutdown')
    await all()
    if (this.renewTimer) clearInterval(this.renewTimer)
  }

  private leaseExpiry(): number {
    return this.deps.clock.now() + this.deps.config.leaseMs
  }

  private hasRoom(): boolean {
    return this.active.size + this.reserved < this.deps.config.concurrency
  }

  /** There may be queued runs (another instance queued one, a slot freed up, the poll timer). */
  private hint(): void {
    this.hints++
    this.mayHaveQueued = true
    this.drain()
  }

  private drain(): void {
    if (!this.accepting || !this.mayHaveQueued) return
    if (this.draining) {
      this.drainAgain = true
      return
    }
    this.draining = true
    void this.trackClaim(this.claimWhileRoom().catch((err: unknown) => this.deps.logger.error({ err }, 'claiming queued runs failed'))).finally(
      () => {
        this.draining = false
        if (this.drainAgain) {
          this.drainAgain = false
          this.drain()
        }
        // The last round is over: what it left queued is any instance's to take.
        if (!this.draining) this.announceUnclaimed()
      },
    )
  }

  /**
   * Claims the oldest queued runs into every free slot in one statement, and again while slots
   * stay free and runs were found. The claim holds its slots while under way, so claims and new
   * runs never overfill the pool.
   */
  private async claimWhileRoom(): Promise<void> {
    while (this.accepting && this.mayHaveQueued) {
      const free = this.deps.config.concurrency - this.active.size - this.reserved
      if (free <= 0) return
      const hints = this.hints
      this.reserved += free
      let claimed: Run[]
      try {
        claimed = await this.deps.recorder.startOldest(free, this.workerId, this.leaseExpiry())
      } finally {
        this.reserved -= free
      }
      for (const run of claimed) {
        this.meantToClaim.delete(run.id)
        this.launch(run)
      }
      if (claimed.length === free) continue
      // Nothing more to claim, unless a run was queued while we looked (no missed wake-up).
      if (this.hints === hints) this.mayHaveQueued = false
      return
    }
  }

  private launch(run: Run): void {
    const stop = new RunStop()
    this.active.set(run.id, stop)
    const done = this.execute(run, stop)
      .catch((err: unknown) => this.deps.logger.error({ err, runId: run.id }, 'run bookkeeping failed'))
      .finally(() => {
        this.active.delete(run.id)
        this.finished.delete(done)
        this.drain()
      })
    this.finished.add(done)
  }

  private async execute(run: Run, stop: RunStop): Promise<void> {
    const { recorder, clock, config } = this.deps
    const timeout = setTimeout(() => stop.stop('timeout'), run.timeoutMs)
    const coalescer = new DeltaCoalescer((bodies) => recorder.emit(run.id, bodies), config.coalesceMs)
    const traced = traceRun(run)
    let result: ExecutionResult
    try {
      const request = await this.prepare(run)
      const emit = (event: ExecutorEvent) => {
        traced.observe(event)
        coalescer.push(event)
      }
      result = await traced.within(() => this.deps.executors[run.executor].execute(request, emit, stop))
    } catch (err) {
      this.deps.logger.error({ err, runId: run.id }, 'executor failed')
      result = { output: '', exitCode: 1, error: (err as Error).message || 'executor failed' }
    } finally {
      clearTimeout(timeout)
    }
    const pending = await coalescer.drain()
    const outcome = outcomeOf(result, stop.reason)
    const ending = endingOf(run, outcome, result.output || coalescer.text, result.usage ?? null, clock.now())
    traced.end(result, ending.status)
    const ended = await this.end(run, ending, pending)
    if (!ended) this.deps.logger.warn({ runId: run.id }, 'run was ended elsewhere before its worker finished')
  }

  /**
   * Records the run's end. While the database is unreachable it tries again (the run stays
   * active here, so its lease is renewed once the database answers) until the pool stops; a run
   * left unended then is ended by a reaper when its lease lapses.
   */
  private async end(run: Run, ending: RunEnding, pending: readonly RunEventBody[]): Promise<boolean> {
    for (let pause = 50; ; pause = Math.min(pause * 2, END_RETRY_MAX_MS)) {
      try {
        return await this.deps.recorder.end(run, ['running'], ending, pending)
      } catch (err) {
        if (!isDatabaseUnavailable(err) || this.givenUp) throw err
        await new Promise((resolve) => setTimeout(resolve, pause))
      }
    }
  }

  /** The executor's request; the assembled prompt is kept on the run for the task details view. */
  private async prepare(run: Run): Promise<ExecutionRequest> {
    const request = await this.deps.preparer.prepare(run)
    if (request.prompt !== run.input) await this.deps.repo.savePrompt(run.id, request.prompt)
    return request
  }

  private async renewLeases(): Promise<void> {
    if (this.active.size === 0) return
    try {
      const ids = [...this.active.keys()]
      const cancelled = await this.deps.repo.renewLeases(this.workerId, ids, this.leaseExpiry(), this.deps.clock.now())
      for (const runId of cancelled) this.stopRun(runId, 'cancel')
    } catch (err) {
      this.deps.logger.warn({ err }, 'renewing run leases failed')
    }
  }
}

function outcomeOf(result: ExecutionResult, stopped: StopReason | undefined): RunOutcome {
  switch (stopped) {
    case 'cancel':
      return { kind: 'cancelled' }
    case 'timeout':
      return { kind: 'timed_out' }
    case 'shutdown':
      return { kind: 'abandoned', error: 'the gateway stopped before the run finished' }
    default:
      return { kind: 'finished', result }
  }
}
