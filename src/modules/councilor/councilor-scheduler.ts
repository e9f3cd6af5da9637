// The scheduler: `runDue(now)` claims every due tick and starts its runs. A tick is claimed by a
// compare-and-swap on the councilor's version inside the unit of work that creates its runs, so with
// several gateway processes on one database each tick becomes runs exactly once (whoever commits
// first wins; the others' update matches no row and creates nothing). Due councilors are read and
// claimed a batch at a time, one unit of work per batch. `start()` calls it on a timer.
import type { Logger } from 'pino'
import type { RunSpec, Runs } from '../../engine/runs.js'
import type { Clock } from '../../platform/clock.js'
import type { Transactor } from '../../platform/db/unit-of-work.js'
import type { Councilor } from './councilor.model.js'
import type { CouncilorsRepo } from './councilor.repo.js'
import type { CouncilorService } from './councilor.service.js'
import { planTicks, type TickPlan, withinAllowance } from './tick-plan.js'

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
      const due = await this.deps.repo.due(now, this.deps.settings.batchSize)
      const fresh = due.filter((councilor) => !seen.has(councilor.id))
      for (const councilor of fresh) seen.add(councilor.id)
      await this.claimBatch(fresh, now, report)
      // A full batch may have more behind it, unless none of it was new (rows this pass left due).
      if (due.length < this.deps.settings.batchSize || fresh.length === 0) break
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

  /**
   * Plans the batch's ticks, then claims them all in one unit of work; if that fails, each
   * councilor is tried on its own so one bad tick cannot hold the others back.
   */
  private async claimBatch(councilors: Councilor[], now: number, report: PassReport): Promise<void> {
    const ticks = (await this.plan(councilors, now, report)).filter((tick) => tick !== undefined)
    // One lock order on every instance: two batches that share councilors cannot deadlock.
    ticks.sort((a, b) => (a.councilor.id < b.councilor.id ? -1 : 1))
    let claimed: PlannedTick[]
    try {
      claimed = await this.claim(ticks, now)
    } catch {
      claimed = []
      for (const tick of ticks) {
        try {
          claimed.push(...(await this.claim([tick], now)))
        } catch (err) {
          if (await this.failStart(tick, now, err)) report.claimed++
        }
      }
    }
    for (const tick of claimed) {
      report.claimed++
      report.started += tick.plan.fire.length
      this.observe(tick.plan, now)
      if (tick.plan.fire.length > 0 && tick.toCancel.length > 0) await this.deps.runs.cancelMany({ ids: tick.toCancel })
    }
  }

  /** Each councilor's plan with its runs resolved; a tick whose run cannot be resolved fails at once. */
  private async plan(councilors: Councilor[], now: number, report: PassReport): Promise<Array<PlannedTick | undefined>> {
    const capped = councilors.filter((c) => c.policy.maxRunsPerDay !== null)
    const fired = await this.deps.repo.firesSinceEach(
      now - DAY_MS,
      capped.map((c) => c.id),
    )
    return Promise.all(
      councilors.map(async (councilor) => {
        const { maxRunsPerDay } = councilor.policy
        const plan = planTicks(councilor, {
          now,
          graceMs: this.deps.settings.misfireGraceMs,
          allowance: maxRunsPerDay === null ? Number.POSITIVE_INFINITY : maxRunsPerDay - (fired.get(councilor.id) ?? 0),
          random: this.deps.random,
        })
        if (!plan) return undefined
        const tick: PlannedTick = { councilor, plan, specs: [], toCancel: [] }
        try {
          tick.specs = await Promise.all(plan.fire.map((at) => this.deps.service.runSpecOf(councilor, at, 'schedule')))
          if (plan.cancelActive) tick.toCancel = await this.activeRunIds(councilor)
        } catch (err) {
          if (await this.failStart(tick, now, err)) report.claimed++
          return undefined
        }
        return tick
      }),
    )
  }

  /**
   * Claims the ticks (compare-and-swap on each councilor's version) and creates their runs, in one
   * unit of work; answers the ticks it claimed, trimmed to what the global spend guard allows.
   */
  private async claim(ticks: PlannedTick[], now: number): Promise<PlannedTick[]> {
    if (ticks.length === 0) return []
    const { maxRunsPerDay } = this.deps.settings
    return this.deps.transact(async (uow) => {
      let allowance = Number.POSITIVE_INFINITY
      if (maxRunsPerDay !== null && ticks.some((tick) => tick.plan.fire.length > 0)) {
        await this.deps.repo.lockSpendGuard(uow)
        allowance = maxRunsPerDay - (await this.deps.repo.firesSince(now - DAY_MS, null, uow))
      }
      const claimed: PlannedTick[] = []
      for (const tick of ticks) {
        const plan = withinAllowance(tick.plan, allowance)
        const specs = tick.specs.slice(tick.specs.length - plan.fire.length)
        if (!(await this.deps.repo.update(tick.councilor.id, changesOf(plan, now), now, uow, tick.councilor.version))) continue
        allowance -= plan.fire.length
        const fires = []
        for (const spec of specs) {
          const run = await this.deps.runs.create(spec, { within: uow })
          fires.push({ runId: run.id, firedAt: now })
        }
        await this.deps.repo.recordFires(tick.councilor.id, fires, uow)
        claimed.push({ ...tick, plan })
      }
      return claimed
    })
  }

  /**
   * A tick whose run could not be created (agent deleted, no provider…) passes, counted as a
   * failure; false when another instance had claimed it.
   */
  private async failStart(tick: PlannedTick, now: number, err: unknown): Promise<boolean> {
    const { councilor, plan } = tick
    this.deps.logger?.warn({ err, councilorId: councilor.id }, 'a councilor tick could not start its run')
    const claimed = await this.deps.repo.update(
      councilor.id,
      { ...changesOf({ ...plan, fire: [] }, now), lastFireAt: now },
      now,
      undefined,
      councilor.version,
    )
    if (claimed) await this.deps.service.countStartFailure(councilor.id, err instanceof Error ? err.message : String(err))
    return claimed
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

interface PlannedTick {
  councilor: Councilor
  plan: TickPlan
  /** The runs of `plan.fire`, one per tick. */
  specs: RunSpec[]
  /** The `cancel_other` policy: runs to cancel once the tick is claimed. */
  toCancel: string[]
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
