// Every change to a run goes through here: the row and its events are written in one
// transaction, and the events are published to live readers only after it commits. Event
// numbers are reserved in the same statement that changes the run, so a run costs three writes
// (created, started, ended) plus one per batch of streamed output.
import type { Clock } from '../platform/clock.js'
import { isDatabaseUnavailable } from '../platform/db/errors.js'
import type { Transactor, UnitOfWork } from '../platform/db/unit-of-work.js'
import { contextOf, type Run } from './run.js'
import { finalEventOf, type RunEnding } from './run-ending.js'
import type { RunEventHub } from './run-event-hub.js'
import type { RunEventLog } from './run-event-log.js'
import type { RunEvent, RunEventBody, RunStatus } from './run-events.js'
import type { RunsRepo } from './runs.repo.js'
import type { RunEndedHook } from './runs.js'

const RECENTLY_ENDED = 1000

export class RunRecorder {
  private readonly endHooks: RunEndedHook[] = []
  /** Runs this process just ended, as stored: waiters read them here instead of querying. */
  private readonly ended = new Map<string, Run>()

  constructor(
    private readonly deps: {
      repo: RunsRepo
      log: RunEventLog
      hub: RunEventHub
      transact: Transactor
      clock: Clock
      onHookError: (err: unknown, runId: string) => void
    },
  ) {}

  recentlyEnded(runId: string): Run | undefined {
    return this.ended.get(runId)
  }

  /** Registers work to do, exactly once, in the transaction that ends any run. */
  onEnd(hook: RunEndedHook): void {
    this.endHooks.push(hook)
  }

  /**
   * Stores a new run with its `run.queued` event (and `run.started` when it is created already
   * running, claimed by the creating process), inside `uow`; published once `uow` commits.
   */
  async create(run: Run, uow: UnitOfWork): Promise<void> {
    const bodies: RunEventBody[] = [{ type: 'run.queued', data: contextOf(run) }]
    if (run.status === 'running') bodies.push({ type: 'run.started', data: { workerId: run.workerId ?? '' } })
    run.lastSeq = bodies.length
    await this.deps.repo.insert(run, uow)
    const events = await this.deps.log.insertAt(run.id, 1, bodies, run.createdAt, uow)
    uow.afterCommit(() => this.deps.hub.publish(events))
  }

  /** Claims a queued run (`runId`, or the oldest claimable) for `workerId` and records its start. */
  async start(runId: string | null, workerId: string, leaseExpiresAt: number): Promise<Run | undefined> {
    const now = this.deps.clock.now()
    return this.deps.transact(async (uow) => {
      const run =
        runId === null
          ? await this.deps.repo.claimNext(workerId, leaseExpiresAt, now, uow)
          : await this.deps.repo.claim(runId, workerId, leaseExpiresAt, now, uow)
      if (!run) return undefined
      await this.store(run.id, run.lastSeq, [{ type: 'run.started', data: { workerId } }], now, uow)
      return run
    })
  }

  /** Appends events of a running run; a run that has ended (e.g. reaped meanwhile) takes no more. */
  async emit(runId: string, bodies: readonly RunEventBody[]): Promise<void> {
    if (bodies.length === 0) return
    const at = this.deps.clock.now()
    await this.deps.transact(async (uow) => {
      const firstSeq = await this.deps.repo.reserveSeqs(runId, bodies.length, uow)
      if (firstSeq !== undefined) await this.store(runId, firstSeq, bodies, at, uow)
    })
  }

  /**
   * Ends the run if it is still in one of `from`, with its final event (built from the ending,
   * after any `pending` events) written atomically. Returns false when someone else ended it first.
   */
  async end(runId: string, from: RunStatus[], ending: RunEnding, pending: readonly RunEventBody[] = []): Promise<boolean> {
    const endWith = (hooks: readonly RunEndedHook[]) =>
      this.deps.transact(async (uow) => {
        const ended = await this.deps.repo.end(runId, from, ending, pending.length + 1, uow)
        if (!ended) return undefined
        for (const hook of hooks) await hook(ended, uow)
        // Remembered before the final event is published, so woken waiters find it here.
        uow.afterCommit(() => this.remember(ended))
        await this.store(runId, ended.lastSeq - pending.length, [...pending, finalEventOf(ended)], ending.endedAt, uow)
        return ended
      })
    let ended: Run | undefined
    try {
      ended = await endWith(this.endHooks)
    } catch (err) {
      // Without a database nothing can end the run; the caller tries again with the hooks.
      if (isDatabaseUnavailable(err)) throw err
      // A side effect must never keep a run from ending: end it alone, and say why.
      this.deps.onHookError(err, runId)
      ended = await endWith([])
    }
    return ended !== undefined
  }

  private remember(run: Run): void {
    this.ended.set(run.id, run)
    if (this.ended.size > RECENTLY_ENDED) this.ended.delete(this.ended.keys().next().value!)
  }

  private async store(runId: string, firstSeq: number, bodies: readonly RunEventBody[], at: number, uow: UnitOfWork): Promise<RunEvent[]> {
    const events = await this.deps.log.insertAt(runId, firstSeq, bodies, at, uow)
    uow.afterCommit(() => this.deps.hub.publish(events))
    return events
  }
}
