// Every change to a run goes through here: the row and its events are written in one
// transaction, and the events are published to live readers only after it commits. Event
// numbers are reserved in the same statement that changes the run, so a run costs three writes
// (created, started, ended) plus one per batch of streamed output. On PostgreSQL that statement
// also stores the events (see runs-with-events.queries.ts): creating or claiming runs is then one
// statement with no transaction around it, and so is an end no end hook concerns (a plain API
// run); an end with hooks (a chat reply, instance statistics, a councilor) is one transaction.
import type { Clock } from '../platform/clock.js'
import { isDatabaseUnavailable } from '../platform/db/errors.js'
import type { Transactor, UnitOfWork } from '../platform/db/unit-of-work.js'
import { contextOf, type Run } from './run.js'
import { finalEventOf, type RunEnding } from './run-ending.js'
import type { RunEventHub } from './run-event-hub.js'
import { eventsOf, type RunEventLog } from './run-event-log.js'
import type { RunEvent, RunEventBody, RunStatus } from './run-events.js'
import type { RunsRepo } from './runs.repo.js'
import { INLINE_EVENTS_MAX } from './runs-with-events.queries.js'
import type { RunEndedHook, RunEndedListener, RunOrigin } from './runs.js'

/**
 * What ending a run needs to know of it besides the ending: its final event tells its duration
 * and timeout, its origin which end hooks concern it.
 */
export type EndingRun = Pick<Run, 'id' | 'startedAt' | 'timeoutMs'> & RunOrigin

interface ScopedHook {
  hook: RunEndedHook
  concerns: (run: RunOrigin) => boolean
}

const EVERY_RUN = () => true

const RECENTLY_ENDED = 1000

export class RunRecorder {
  private readonly endHooks: ScopedHook[] = []
  private readonly endListeners: RunEndedListener[] = []
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

  /** Registers work to do, exactly once, in the transaction that ends each run `concerns` accepts. */
  onEnd(hook: RunEndedHook, concerns: (run: RunOrigin) => boolean = EVERY_RUN): void {
    this.endHooks.push({ hook, concerns })
  }

  /** Registers `listener` for every run ended here, called once the end commits, before its final event is published. */
  afterEnd(listener: RunEndedListener): void {
    this.endListeners.push(listener)
  }

  /**
   * Stores a new run with its `run.queued` event (and `run.started` when it is created already
   * running, claimed by the creating process), inside `uow` or else in a write of its own (one
   * statement on PostgreSQL); published once it commits.
   */
  async create(run: Run, uow?: UnitOfWork): Promise<void> {
    const bodies: RunEventBody[] = [{ type: 'run.queued', data: contextOf(run) }]
    if (run.status === 'running') bodies.push({ type: 'run.started', data: { workerId: run.workerId ?? '' } })
    run.lastSeq = bodies.length
    const events = eventsOf(run.id, 1, bodies, run.createdAt)
    const { repo, log, hub } = this.deps
    if (!uow && repo.writesEvents) {
      await repo.insert(run, undefined, bodies)
      hub.publish(events)
    } else if (!uow) {
      await this.deps.transact((own) => this.create(run, own))
    } else {
      await repo.insert(run, uow)
      await log.insert(events, uow)
      uow.afterCommit(() => hub.publish(events))
    }
  }

  /**
   * Claims up to `count` of the oldest claimable queued runs for `workerId` (oldest first) and
   * records their starts: one statement on PostgreSQL.
   */
  async startOldest(count: number, workerId: string, leaseExpiresAt: number): Promise<Run[]> {
    const { repo, log, hub, clock } = this.deps
    const claim = { workerId, leaseExpiresAt, now: clock.now() }
    const started: RunEventBody[] = [{ type: 'run.started', data: { workerId } }]
    const eventsOfRuns = (runs: Run[]) => runs.map((run) => eventsOf(run.id, run.lastSeq, started, claim.now))
    if (repo.writesEvents) {
      const runs = await repo.claimOldest(count, claim, undefined, started)
      for (const events of eventsOfRuns(runs)) hub.publish(events)
      return runs
    }
    return this.deps.transact(async (uow) => {
      const runs = await repo.claimOldest(count, claim, uow)
      const events = eventsOfRuns(runs)
      await log.insert(events.flat(), uow)
      uow.afterCommit(() => {
        for (const ofRun of events) hub.publish(ofRun)
      })
      return runs
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
   * Ends `run` if it is still in one of `from`, with its final event (built from the ending and
   * the run's start and timeout, which never change, after any `pending` events) written
   * atomically: on PostgreSQL in the statement that ends it, which needs no transaction around
   * it when no end hook concerns the run. Returns false when someone else ended it first.
   */
  async end(run: EndingRun, from: RunStatus[], ending: RunEnding, pending: readonly RunEventBody[] = []): Promise<boolean> {
    const { repo, log } = this.deps
    const bodies = [...pending, finalEventOf(Object.assign({ startedAt: run.startedAt, timeoutMs: run.timeoutMs }, ending))]
    const inline = repo.writesEvents && bodies.length <= INLINE_EVENTS_MAX
    const hooks = this.hooksFor(run)
    if (inline && hooks.length === 0) {
      const ended = await repo.end(run.id, from, ending, bodies)
      if (ended) this.published(ended, eventsOf(run.id, ended.lastSeq - bodies.length + 1, bodies, ending.endedAt))
      return ended !== undefined
    }
    const endWith = (hooks: readonly RunEndedHook[]) =>
      this.deps.transact(async (uow) => {
        const ended = await repo.end(run.id, from, ending, inline ? bodies : bodies.length, uow)
        if (!ended) return undefined
        for (const hook of hooks) await hook(ended, uow)
        const events = eventsOf(run.id, ended.lastSeq - bodies.length + 1, bodies, ending.endedAt)
        if (!inline) await log.insert(events, uow)
        uow.afterCommit(() => this.published(ended, events))
        return ended
      })
    let ended: Run | undefined
    try {
      ended = await endWith(hooks)
    } catch (err) {
      // Without a database nothing can end the run; the caller tries again with the hooks.
      if (isDatabaseUnavailable(err)) throw err
      // A side effect must never keep a run from ending: end it alone, and say why.
      this.deps.onHookError(err, run.id)
      ended = await endWith([])
    }
    return ended !== undefined
  }

  private hooksFor(run: RunOrigin): RunEndedHook[] {
    const hooks: RunEndedHook[] = []
    for (const scoped of this.endHooks) if (scoped.concerns(run)) hooks.push(scoped.hook)
    return hooks
  }

  /** A committed end: remembered and told to listeners before the final event is published, so woken waiters find it. */
  private published(ended: Run, events: RunEvent[]): void {
    this.remember(ended)
    for (const listener of this.endListeners) {
      try {
        listener(ended)
      } catch (err) {
        this.deps.onHookError(err, ended.id)
      }
    }
    this.deps.hub.publish(events)
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
