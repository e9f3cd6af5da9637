// Every change to a run goes through here: the row and its events are written in one
// transaction, and the events are published to live readers only after it commits. Event
// numbers are reserved in the same statement that changes the run, so a run costs three writes
// (created, started, ended) plus one per batch of streamed output.
import type { Kysely } from 'kysely'
import type { Clock } from '../platform/clock.js'
import type { Transactor } from '../platform/db/database.js'
import type { Tables } from '../platform/db/tables.js'
import type { Run } from './run.js'
import type { RunEventHub } from './run-event-hub.js'
import type { RunEventLog } from './run-event-log.js'
import type { RunContext, RunEvent, RunEventBody, RunStatus } from './run-events.js'
import type { RunEnding, RunsRepo } from './runs.repo.js'

/** Work that must commit together with a run's end (conversation message, statistics…). */
export type RunEndHook = (run: Run, tx: Kysely<Tables>) => Promise<void>

const RECENTLY_ENDED = 1000

export class RunRecorder {
  private readonly endHooks: RunEndHook[] = []
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
  onEnd(hook: RunEndHook): void {
    this.endHooks.push(hook)
  }

  /**
   * Stores a new run with its `run.queued` event (and `run.started` when it is created already
   * running, claimed by the creating process). `before` runs first in the same transaction.
   */
  async create(run: Run, before?: (tx: Kysely<Tables>) => Promise<void>): Promise<RunEvent[]> {
    const bodies: RunEventBody[] = [{ type: 'run.queued', data: contextOf(run) }]
    if (run.status === 'running') bodies.push({ type: 'run.started', data: { workerId: run.workerId ?? '' } })
    run.lastSeq = bodies.length
    const events = await this.deps.transact(async (tx) => {
      await before?.(tx)
      await this.deps.repo.insert(run, tx)
      return this.deps.log.insertAt(run.id, 1, bodies, run.createdAt, tx)
    })
    this.deps.hub.publish(events)
    return events
  }

  /** Claims a queued run (`runId`, or the oldest claimable) for `workerId` and records its start. */
  async start(runId: string | null, workerId: string, leaseExpiresAt: number): Promise<Run | undefined> {
    const now = this.deps.clock.now()
    const result = await this.deps.transact(async (tx) => {
      const run =
        runId === null
          ? await this.deps.repo.claimNext(workerId, leaseExpiresAt, now, tx)
          : await this.deps.repo.claim(runId, workerId, leaseExpiresAt, now, tx)
      if (!run) return undefined
      const events = await this.deps.log.insertAt(run.id, run.lastSeq, [{ type: 'run.started', data: { workerId } }], now, tx)
      return { run, events }
    })
    if (!result) return undefined
    this.deps.hub.publish(result.events)
    return result.run
  }

  async emit(runId: string, bodies: readonly RunEventBody[]): Promise<RunEvent[]> {
    if (bodies.length === 0) return []
    const at = this.deps.clock.now()
    const events = await this.deps.transact((tx) => this.deps.log.append(runId, bodies, at, tx))
    this.deps.hub.publish(events)
    return events
  }

  /**
   * Ends the run if it is still in one of `from`, appending `final` (and any `pending` events
   * before it) atomically. Returns false when someone else ended it first.
   */
  async end(runId: string, from: RunStatus[], ending: RunEnding, final: RunEventBody, pending: readonly RunEventBody[] = []): Promise<boolean> {
    const bodies = [...pending, final]
    const endWith = (hooks: readonly RunEndHook[]) =>
      this.deps.transact(async (tx) => {
        const ended = await this.deps.repo.end(runId, from, ending, bodies.length, tx)
        if (!ended) return null
        for (const hook of hooks) await hook(ended, tx)
        const events = await this.deps.log.insertAt(runId, ended.lastSeq - bodies.length + 1, bodies, ending.endedAt, tx)
        return { ended, events }
      })
    let result: { ended: Run; events: RunEvent[] } | null
    try {
      result = await endWith(this.endHooks)
    } catch (err) {
      // A side effect must never keep a run from ending: end it alone, and say why.
      this.deps.onHookError(err, runId)
      result = await endWith([])
    }
    if (!result) return false
    this.ended.set(runId, result.ended)
    if (this.ended.size > RECENTLY_ENDED) this.ended.delete(this.ended.keys().next().value!)
    this.deps.hub.publish(result.events)
    return true
  }
}

export function contextOf(run: Run): RunContext {
  return {
    agentId: run.agentId,
    agentName: run.options.agentName ?? null,
    agentEmoji: run.options.agentEmoji ?? null,
    instanceId: run.instanceId,
    conversationId: run.conversationId,
    screenplayId: run.screenplayId,
    source: run.source,
    provider: run.provider,
    model: run.model,
    isCouncilor: run.options.isCouncilor ?? false,
    ...(run.options.councilor && { councilor: run.options.councilor }),
  }
}
