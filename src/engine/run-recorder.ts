// Every change to a run goes through here: the row and its events are written in one
// transaction, and the events are published to live readers only after it commits.
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

export class RunRecorder {
  private readonly endHooks: RunEndHook[] = []

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

  /** Registers work to do, exactly once, in the transaction that ends any run. */
  onEnd(hook: RunEndHook): void {
    this.endHooks.push(hook)
  }

  /** Stores a new queued run with its `run.queued` event. `before` runs first in the same transaction. */
  async enqueue(run: Run, before?: (tx: Kysely<Tables>) => Promise<void>): Promise<RunEvent[]> {
    const events = await this.deps.transact(async (tx) => {
      await before?.(tx)
      await this.deps.repo.insert(run, tx)
      return this.deps.log.append(
        run.id,
        [{ type: 'run.queued', data: contextOf(run) }],
        run.createdAt,
        tx,
      )
    })
    this.deps.hub.publish(events)
    return events
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
    const endWith = (hooks: readonly RunEndHook[]) =>
      this.deps.transact(async (tx) => {
        const ended = await this.deps.repo.end(runId, from, ending, tx)
        if (!ended) return null
        for (const hook of hooks) await hook(ended, tx)
        return this.deps.log.append(runId, [...pending, final], ending.endedAt, tx)
      })
    let events: RunEvent[] | null
    try {
      events = await endWith(this.endHooks)
    } catch (err) {
      // A side effect must never keep a run from ending: end it alone, and say why.
      this.deps.onHookError(err, runId)
      events = await endWith([])
    }
    if (!events) return false
    this.deps.hub.publish(events)
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
  }
}
