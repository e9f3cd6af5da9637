// A bounded pool of workers in this process: claims queued runs, executes them, keeps their
// leases alive and ends each one exactly once (completed, failed, cancelled or timed out).
import { hostname } from 'node:os'
import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { Clock } from '../platform/clock.js'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import { DeltaCoalescer } from './delta-coalescer.js'
import type { ExecutionResult, Executor } from './executor.js'
import type { ExecutorKind } from '../platform/providers.js'
import { durationOf, type Run } from './run.js'
import type { RunEventBody } from './run-events.js'
import type { RunRecorder } from './run-recorder.js'
import type { RunEnding, RunsRepo } from './runs.repo.js'
import { severityOf } from './severity.js'
import type { ExecutionRequest } from './executor.js'

export interface WorkerPoolConfig {
  concurrency: number
  leaseMs: number
  coalesceMs: number
  /** Safety net for missed wake-ups: how often idle workers look for queued runs. */
  pollIntervalMs: number
}

/** Builds what an executor needs from a run (persona, screenplay, history…). */
export interface RunPreparer {
  prepare(run: Run): Promise<ExecutionRequest>
}

type StopReason = 'cancel' | 'timeout' | 'shutdown'

export const QUEUED_CHANNEL = 'runs_queued'
export const CANCEL_CHANNEL = 'run_cancel'

export class RunWorkerPool {
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  private readonly active = new Map<string, AbortController>()
  private readonly finished = new Set<Promise<void>>()
  /** Slots promised to runs being created here (they start as `running`, see `reserveSlot`). */
  private reserved = 0
  /** Set when there may be queued runs to claim; keeps idle pools from querying for nothing. */
  private mayHaveQueued = true
  private timers: NodeJS.Timeout[] = []
  private draining = false
  /** Claims under way; `stop` waits for them so that no claim outlives the database. */
  private readonly claims = new Set<Promise<void>>()
  private drainAgain = false
  private accepting = false

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
    this.timers = [
      setInterval(() => this.hint(), config.pollIntervalMs),
      setInterval(() => void this.renewLeases(), Math.max(50, Math.floor(config.leaseMs / 3))),
    ]
    for (const timer of this.timers) timer.unref()
    this.drain()
  }

  /**
   * Promises a slot to a run about to be created here, so it can be stored already `running`
   * (one write instead of two). Call `launchReserved` after it is stored, or `releaseSlot`.
   */
  reserveSlot(): { workerId: string; leaseExpiresAt: number } | null {
    if (!this.accepting || this.active.size + this.reserved >= this.deps.config.concurrency) return null
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

  /** A run was just queued in this process: take it at once if there is room. */
  queued(runId: string): void {
    if (!this.accepting) return
    if (!this.hasRoom()) {
      this.mayHaveQueued = true
      return
    }
    void this.trackClaim(
      this.deps.recorder
        .start(runId, this.workerId, this.leaseExpiry())
        .then((run) => (run ? this.launch(run) : this.hint()))
        .catch((err: unknown) => this.deps.logger.error({ err, runId }, 'claiming a run failed')),
    )
  }

  private trackClaim(claim: Promise<void>): Promise<void> {
    this.claims.add(claim)
    return claim.finally(() => this.claims.delete(claim))
  }

  /** Stops a run executing here; false when it is not running in this process. */
  stopRun(runId: string, reason: StopReason): boolean {
    const controller = this.active.get(runId)
    if (!controller) return false
    controller.abort(reason)
    return true
  }

  get runningCount(): number {
    return this.active.size
  }

  /**
   * Stops claiming, gives running runs `graceMs` to finish, then stops the rest (they end as
   * failed, so nothing stays `running`).
   */
  async stop(graceMs: number): Promise<void> {
    this.accepting = false
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    const all = () => Promise.allSettled([...this.finished])
    const timeout = new Promise((resolve) => setTimeout(resolve, graceMs).unref())
    await Promise.allSettled([...this.claims])
    await Promise.race([all(), timeout])
    for (const runId of this.active.keys()) this.stopRun(runId, 'shutdown')
    await all()
  }

  private leaseExpiry(): number {
    return this.deps.clock.now() + this.deps.config.leaseMs
  }

  private hasRoom(): boolean {
    return this.active.size + this.reserved < this.deps.config.concurrency
  }

  /** There may be queued runs (another instance queued one, a slot freed up, the poll timer). */
  private hint(): void {
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
      },
    )
  }

  private async claimWhileRoom(): Promise<void> {
    while (this.accepting && this.hasRoom()) {
      const run = await this.deps.recorder.start(null, this.workerId, this.leaseExpiry())
      if (!run) {
        this.mayHaveQueued = false
        return
      }
      this.launch(run)
    }
  }

  private launch(run: Run): void {
    const controller = new AbortController()
    this.active.set(run.id, controller)
    const done = this.execute(run, controller)
      .catch((err: unknown) => this.deps.logger.error({ err, runId: run.id }, 'run bookkeeping failed'))
      .finally(() => {
        this.active.delete(run.id)
        this.finished.delete(done)
        this.drain()
      })
    this.finished.add(done)
  }

  private async execute(run: Run, controller: AbortController): Promise<void> {
    const { recorder, clock, config } = this.deps
    const timeout = setTimeout(() => controller.abort('timeout' satisfies StopReason), run.timeoutMs)
    const coalescer = new DeltaCoalescer((bodies) => recorder.emit(run.id, bodies), config.coalesceMs)
    let result: ExecutionResult
    try {
      const request = await this.deps.preparer.prepare(run)
      result = await this.deps.executors[run.executor].execute(request, (event) => coalescer.push(event), controller.signal)
    } catch (err) {
      this.deps.logger.error({ err, runId: run.id }, 'executor failed')
      result = { output: '', exitCode: 1, error: (err as Error).message || 'executor failed' }
    } finally {
      clearTimeout(timeout)
    }
    const pending = await coalescer.drain()
    const output = result.output || coalescer.text
    const now = clock.now()
    const [ending, final] = endingOf(run, result, output, controller.signal.reason as StopReason | undefined, now)
    const ended = await recorder.end(run.id, ['running'], ending, final, pending)
    if (!ended) this.deps.logger.warn({ runId: run.id }, 'run was ended elsewhere before its worker finished')
  }

  private async renewLeases(): Promise<void> {
    if (this.active.size === 0) return
    try {
      const cancelled = await this.deps.repo.renewLeases(this.workerId, this.leaseExpiry(), this.deps.clock.now())
      for (const runId of cancelled) this.stopRun(runId, 'cancel')
    } catch (err) {
      this.deps.logger.warn({ err }, 'renewing run leases failed')
    }
  }
}

function endingOf(run: Run, result: ExecutionResult, output: string, reason: StopReason | undefined, now: number): [RunEnding, RunEventBody] {
  const durationMs = durationOf(run, now)
  const base = { output, usage: result.usage ?? null, endedAt: now }
  switch (reason) {
    case 'cancel':
      return [
        { ...base, status: 'cancelled', error: null, exitCode: null, severity: null },
        { type: 'run.cancelled', data: { output, durationMs } },
      ]
    case 'timeout':
      return [
        { ...base, status: 'timed_out', error: `timed out after ${run.timeoutMs} ms`, exitCode: 124, severity: 'error' },
        { type: 'run.timed_out', data: { output, durationMs, timeoutMs: run.timeoutMs } },
      ]
    case 'shutdown': {
      const error = 'the gateway stopped before the run finished'
      return [
        { ...base, status: 'failed', error, exitCode: 1, severity: 'error' },
        { type: 'run.failed', data: { error, output, exitCode: 1, durationMs } },
      ]
    }
  }
  if (result.exitCode !== 0) {
    const error = result.error ?? `exited with code ${result.exitCode}`
    return [
      { ...base, status: 'failed', error, exitCode: result.exitCode, severity: 'error' },
      { type: 'run.failed', data: { error, output, exitCode: result.exitCode, durationMs } },
    ]
  }
  const severity = severityOf(output, 0)
  return [
    { ...base, status: 'completed', error: null, exitCode: 0, severity },
    { type: 'run.completed', data: { output, exitCode: 0, durationMs, severity } },
  ]
}
