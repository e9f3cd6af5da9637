// Ends runs whose worker vanished (crash, kill -9, lost host): a lapsed lease means nobody is
// renewing it. Also trims event logs past their retention.
import type { Logger } from 'pino'
import type { Clock } from '../platform/clock.js'
import type { Run } from './run.js'
import { endingOf } from './run-ending.js'
import type { RunEventLog } from './run-event-log.js'
import type { RunRecorder } from './run-recorder.js'
import type { RunsRepo } from './runs.repo.js'

export interface ReaperConfig {
  intervalMs: number
  eventRetentionMs: number
}

const BATCH = 100
const PURGE_EVERY_MS = 60 * 60 * 1000

export class RunReaper {
  private timer: NodeJS.Timeout | null = null
  private lastPurge = 0
  /** The sweep under way, if any: `stop` waits for it so none outlives the database. */
  private sweeping: Promise<number> | null = null

  constructor(
    private readonly deps: { repo: RunsRepo; log: RunEventLog; recorder: RunRecorder; clock: Clock; logger: Logger; config: ReaperConfig },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweepInBackground(), this.deps.config.intervalMs)
    this.timer.unref()
    void this.sweepInBackground()
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.sweeping
  }

  private sweepInBackground(): Promise<number> {
    if (!this.sweeping) this.sweeping = this.sweep().finally(() => (this.sweeping = null))
    return this.sweeping
  }

  /** One pass: end every run with a lapsed lease; purge old event logs now and then. */
  async sweep(): Promise<number> {
    let reaped = 0
    try {
      const now = this.deps.clock.now()
      for (const run of await this.deps.repo.listExpiredLeases(now, BATCH)) {
        if (await this.reap(run, now)) reaped++
      }
      if (now - this.lastPurge >= Math.min(PURGE_EVERY_MS, this.deps.config.eventRetentionMs)) {
        this.lastPurge = now
        await this.deps.log.purgeEndedBefore(now - this.deps.config.eventRetentionMs)
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'run reaper sweep failed')
    }
    return reaped
  }

  private async reap(run: Run, now: number): Promise<boolean> {
    const outcome = run.cancelRequested ? ({ kind: 'cancelled' } as const) : ({ kind: 'abandoned', error: LOST_WORKER } as const)
    const ending = endingOf(run, outcome, await this.partialOutput(run.id), run.usage, now)
    const ended = await this.deps.recorder.end(run, ['running'], ending)
    if (ended) this.deps.logger.warn({ runId: run.id, workerId: run.workerId }, 'ended a run whose worker stopped renewing its lease')
    return ended
  }

  /** The text the run had streamed before its worker vanished. */
  private async partialOutput(runId: string): Promise<string> {
    let text = ''
    let after = 0
    for (;;) {
      const events = await this.deps.log.readAfter(runId, after)
      if (events.length === 0) return text
      for (const event of events) if (event.type === 'text.delta') text += event.data.text
      after = events.at(-1)!.seq
    }
  }
}

const LOST_WORKER = 'the worker running this run stopped (its lease expired); the run did not finish'
