// The scheduler: `runDue(now)` claims every due tick and starts its runs. A tick is claimed by a
// compare-and-swap on the councilor's version inside the unit of work that creates its runs, so with
// several gateway processes on one database each tick becomes runs exactly once (whoever commits
// first wins; the others' update matches no row and creates nothing). `start()` calls it on a timer.
import type { Logger } from 'pino'
import type { Runs } from '../../engine/runs.js'
import type { Clock } from '../../platform/clock.js'
import type { Transactor } from '../../platform/db/unit-of-work.js'
import type { Councilor } from './councilor.model.js'
import type { CouncilorsRepo } from './councilor.repo.js'
import type { CouncilorService } from './councilor.service.js'
import { planTicks, type TickPlan } from './tick-plan.js'

const DAY_MS = 24 * 60 * 60_000

export interface SchedulerSettings {
  pollIntervalMs: number
  /** A tick later than this (beyond its jitter) counts as missed. */
  misfireGraceMs: number
  /** The global spend guard: runs of all councilors in any rolling 24 h (null: none). */
  maxRunsPerDay: number | null
  /** Councilors claimed per query. */
  batchSize: number
}

export interface PassReport {
  /** Councilors whose tick this pass claimed. */
  claimed: number
  /** Runs it started. */
  started: number
}

/** What this process's scheduler has done since it started (GET /api/councilors/scheduler/jobs). */
export interface SchedulerStats {
  passes: number
  claimed: number
  started: number
  /** Wall time spent inside passes. */
  busyMs: number
  /** CPU time of the process during passes (an upper bound: runs interleave with a pass on the event loop). */
  cpuMs: number
}

/** What a claimed tick did: runs fired (with how late), ticks skipped and ticks the spend guard refused. */
export interface TickObserver {
  councilorTick(outcome: 'fired' | 'skipped' | 'refused'): void
  councilorTickLateness(seconds: number): void
}

export class CouncilorScheduler {
  readonly stats: SchedulerStats = { passes: 0, claimed: 0, started: 0, busyMs: 0, cpuMs: 0 }
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> = Promise.resolve()
  private stopped = true
  private lastPrune = 0

  constructor(
    private readonly deps: {
      repo: CouncilorsRepo
      service: Pick<CouncilorService, 'runSpecOf' | 'countStartFailure'>
      runs: Pick<Runs, 'create' | 'list' | 'cancelMany'>
      clock: Clock
      random: () => number
      transact: Transactor
      settings: SchedulerSettings
      logger?: Logger
      /** Told what each claimed tick did (metrics). */
      observer?: TickObserver
    },
  ) {}

  /** Fires everything due by `now`. */
  async runDue(now = this.deps.clock.now()): Promise<PassReport> {
    const cpu = process.cpuUsage()
    const wall = performance.now()
    const report = await this.pass(now)
    const used = process.cpuUsage(cpu)
    this.stats.passes++
    this.stats.claimed += report.claimed
    this.stats.started += report.started
    this.stats.busyMs += performance.now() - wall
    this.stats.cpuMs += (used.user + used.system) / 1000
    return report
  }

  private async pass(now: number): Promise<PassReport> {
    const report: PassReport = { claimed: 0, started: 0 }
    const seen = new Set<string>()
    for (;;) {
      const ids = (await this.deps.repo.due(now, this.deps.settings.batchSize)).filter((id) => !seen.has(id))
      for (const id of ids) {
        seen.add(id)
        const started = await this.tick(id, now)
        if (started !== undefined) {
          report.claimed++
          report.started += started
        }
      }
      if (ids.length < this.deps.settings.batchSize) break
    }
    if (now - this.lastPrune > 60 * 60_000) {
      this.lastPrune = now
      await this.deps.repo.pruneFires(now - DAY_MS)
    }
    return report
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    const loop = () => {
      if (this.stopped) return
      this.running = this.runDue()
        .catch((err) => this.deps.logger?.error({ err }, 'councilor scheduler pass failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(loop, this.deps.settings.pollIntervalMs)
        })
    }
    loop()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  /** Claims one councilor's due tick; the number of runs it started, or undefined when it claimed nothing. */
  private async tick(id: string, now: number): Promise<number | undefined> {
    const councilor = await this.deps.repo.find(id)
    if (!councilor) return undefined
    const plan = planTicks(councilor, {
      now,
      graceMs: this.deps.settings.misfireGraceMs,
      allowance: await this.allowance(councilor, now),
      random: this.deps.random,
    })
    if (!plan) return undefined
    const toCancel = plan.cancelActive ? await this.activeRunIds(councilor) : []
    let started: number | undefined
    try {
      const specs = await Promise.all(plan.fire.map((tick) => this.deps.service.runSpecOf(councilor, tick, 'schedule')))
      started = await this.deps.transact(async (uow) => {
        if (!(await this.deps.repo.update(id, changesOf(plan, now), now, uow, councilor.version))) return undefined
        const fires = []
        for (const spec of specs) {
          const run = await this.deps.runs.create(spec, { within: uow })
          fires.push({ runId: run.id, firedAt: now })
        }
        await this.deps.repo.recordFires(id, fires, uow)
        return fires.length
      })
    } catch (err) {
      // The run could not be created (agent deleted, no provider…): the tick passes, counted as a failure.
      this.deps.logger?.warn({ err, councilorId: id }, 'a councilor tick could not start its run')
      const claimed = await this.deps.repo.update(
        id,
        { ...changesOf({ ...plan, fire: [] }, now), lastFireAt: now },
        now,
        undefined,
        councilor.version,
      )
      if (claimed) await this.deps.service.countStartFailure(id, err instanceof Error ? err.message : String(err))
      return claimed ? 0 : undefined
    }
    if (started !== undefined) this.observe(plan, now)
    if (started !== undefined && toCancel.length > 0) await this.deps.runs.cancelMany({ ids: toCancel })
    return started
  }

  private observe(plan: TickPlan, now: number): void {
    const observer = this.deps.observer
    if (!observer) return
    for (const tick of plan.fire) {
      observer.councilorTick('fired')
      observer.councilorTickLateness((now - tick) / 1000)
    }
    for (let i = 0; i < plan.skippedOverlap + plan.skippedMissed; i++) observer.councilorTick('skipped')
    for (let i = 0; i < plan.refusedSpend; i++) observer.councilorTick('refused')
  }

  /** Runs the spend guard still allows this councilor (its own cap and the global one). */
  private async allowance(councilor: Councilor, now: number): Promise<number> {
    const { maxRunsPerDay } = this.deps.settings
    let allowance = Number.POSITIVE_INFINITY
    if (councilor.policy.maxRunsPerDay !== null) {
      allowance = councilor.policy.maxRunsPerDay - (await this.deps.repo.firesSince(now - DAY_MS, councilor.id))
    }
    if (maxRunsPerDay !== null) allowance = Math.min(allowance, maxRunsPerDay - (await this.deps.repo.firesSince(now - DAY_MS, null)))
    return allowance
  }

  private async activeRunIds(councilor: Councilor): Promise<string[]> {
    const { runs } = await this.deps.runs.list({
      agentId: councilor.agentId,
      source: 'councilor',
      statuses: ['queued', 'running'],
      limit: 100,
      offset: 0,
    })
    return runs.filter((run) => run.options.councilor?.councilorId === councilor.id).map((run) => run.id)
  }
}

function changesOf(plan: TickPlan, now: number) {
  return {
    nextTickAt: plan.nextTickAt,
    nextFireAt: plan.nextFireAt,
    bufferedAt: plan.bufferedAt,
    ...(plan.fire.length > 0 && { lastFireAt: now }),
    add: {
      activeRuns: plan.fire.length,
      skippedOverlap: plan.skippedOverlap,
      skippedMissed: plan.skippedMissed,
      refusedSpend: plan.refusedSpend,
      bufferedCount: plan.buffered,
      cancelledOverlap: plan.cancelActive ? 1 : 0,
    },
  }
}
