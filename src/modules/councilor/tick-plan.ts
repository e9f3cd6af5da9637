// What one scheduler pass does with one councilor: a pure function of the councilor, the time and
// what the spend guard still allows. The missed-tick, overlap and spend policies are applied here,
// in that order; the scheduler stores the plan and starts its runs in one unit of work.
import type { Councilor } from './councilor.model.js'
import { scheduleOf, type Schedule } from './schedule.js'

export interface TickInputs {
  now: number
  /** A tick this late (beyond its jitter) counts as missed: no gateway was there to fire it. */
  graceMs: number
  /** Runs the spend guard still allows this councilor now (Infinity: no limit). */
  allowance: number
  /** [0, 1), for jitter. */
  random: () => number
}

export interface TickPlan {
  /** Nominal tick times that become runs now. */
  fire: number[]
  /** The `cancel_other` policy: cancel the councilor's active runs first. */
  cancelActive: boolean
  skippedOverlap: number
  skippedMissed: number
  refusedSpend: number
  buffered: number
  bufferedAt: number | null
  nextTickAt: number | null
  nextFireAt: number | null
}

/** Missed ticks are counted up to this many (a 1-second schedule down for a month need not be walked). */
const MAX_COUNTED = 10_000

/** The plan for a councilor whose tick or buffered tick is due; null when nothing is. */
export function planTicks(councilor: Councilor, inputs: TickInputs): TickPlan | null {
  const { now } = inputs
  const tickDue = councilor.enabled && councilor.nextFireAt !== null && councilor.nextFireAt <= now && councilor.nextTickAt !== null
  const bufferReady = councilor.bufferedAt !== null && councilor.activeRuns === 0
  if (!tickDue && !bufferReady) return null

  const { policy } = councilor
  const schedule = scheduleOf(councilor.schedule, councilor.anchorAt)
  const plan: TickPlan = {
    fire: [],
    cancelActive: false,
    skippedOverlap: 0,
    skippedMissed: 0,
    refusedSpend: 0,
    buffered: 0,
    bufferedAt: councilor.bufferedAt,
    nextTickAt: councilor.nextTickAt,
    nextFireAt: councilor.nextFireAt,
  }
  let candidates: number[] = []
  if (bufferReady) {
    candidates.push(councilor.bufferedAt!)
    plan.bufferedAt = null
  }
  if (tickDue) {
    const due = dueTicks(schedule, councilor.nextTickAt!, now, inputs.graceMs + policy.jitterMs, policy.missedCap)
    if (policy.missed === 'skip') {
      if (due.onTime !== null) candidates.push(due.onTime)
      plan.skippedMissed += due.missedCount
    } else if (policy.missed === 'once') {
      candidates.push(due.onTime ?? due.lastMissed.at(-1)!)
      plan.skippedMissed += due.onTime === null ? due.missedCount - 1 : due.missedCount
    } else {
      const taken = due.lastMissed.slice(-policy.missedCap)
      candidates.push(...taken)
      if (due.onTime !== null) candidates.push(due.onTime)
      plan.skippedMissed += due.missedCount - taken.length
    }
    plan.nextTickAt = schedule.next(now)
    plan.nextFireAt = plan.nextTickAt === null ? null : plan.nextTickAt + jitterOf(schedule, plan.nextTickAt, policy.jitterMs, inputs.random)
  }

  if (candidates.length > 0 && councilor.activeRuns > 0) {
    switch (policy.overlap) {
      case 'skip':
        plan.skippedOverlap += candidates.length
        candidates = []
        break
      case 'buffer_one':
        if (plan.bufferedAt === null) {
          plan.bufferedAt = candidates.at(-1)!
          plan.buffered += 1
          plan.skippedOverlap += candidates.length - 1
        } else {
          plan.skippedOverlap += candidates.length
        }
        candidates = []
        break
      case 'cancel_other':
        plan.cancelActive = true
        break
      case 'allow_all':
        break
    }
  }

  plan.fire = candidates
  return withinAllowance(plan, inputs.allowance)
}

/** The plan with only its latest `allowance` ticks fired; the rest are refused by the spend guard. */
export function withinAllowance(plan: TickPlan, allowance: number): TickPlan {
  const allowed = Math.max(0, Math.min(plan.fire.length, allowance))
  if (allowed === plan.fire.length) return plan
  const fire = plan.fire.slice(plan.fire.length - allowed)
  return { ...plan, fire, refusedSpend: plan.refusedSpend + plan.fire.length - allowed, cancelActive: plan.cancelActive && allowed > 0 }
}

/** The first tick after `now` and when it fires (with its jitter). */
export function firstFire(councilor: Pick<Councilor, 'schedule' | 'anchorAt' | 'policy'>, now: number, random: () => number) {
  const schedule = scheduleOf(councilor.schedule, councilor.anchorAt)
  const nextTickAt = schedule.next(now)
  return {
    nextTickAt,
    nextFireAt: nextTickAt === null ? null : nextTickAt + jitterOf(schedule, nextTickAt, councilor.policy.jitterMs, random),
  }
}

interface DueTicks {
  /** The latest due tick when it is recent enough to fire as scheduled. */
  onTime: number | null
  /** Due ticks before it (all due ticks when none is on time). */
  missedCount: number
  /** The latest `keep` of them, oldest first. */
  lastMissed: number[]
}

function dueTicks(schedule: Schedule, first: number, now: number, windowMs: number, keep: number): DueTicks {
  const ticks: number[] = []
  let count = 0
  for (let tick: number | null = first; tick !== null && tick <= now && count < MAX_COUNTED; tick = schedule.next(tick)) {
    ticks.push(tick)
    if (ticks.length > keep + 1) ticks.shift()
    count++
  }
  if (count === MAX_COUNTED) {
    // Too many to walk: the recent ones are found from the window before now.
    const recent: number[] = []
    for (let tick = schedule.next(now - windowMs - 1); tick !== null && tick <= now; tick = schedule.next(tick)) recent.push(tick)
    const older = ticks.filter((tick) => recent.length === 0 || tick < recent[0]!).slice(-Math.max(0, keep + 1 - recent.length))
    ticks.splice(0, ticks.length, ...(keep + 1 > recent.length ? older : []), ...recent)
  }
  const last = ticks.at(-1)!
  const onTime = now - last <= windowMs ? last : null
  if (onTime !== null) ticks.pop()
  return { onTime, missedCount: onTime === null ? count : count - 1, lastMissed: ticks.slice(-keep) }
}

function jitterOf(schedule: Schedule, tick: number, jitterMs: number, random: () => number): number {
  if (jitterMs <= 0) return 0
  const following = schedule.next(tick)
  const room = following === null ? jitterMs : Math.min(jitterMs, following - tick)
  // floor(random·room) < room ≤ the gap to the following tick: the jitter never reaches it.
  return Math.floor(random() * room)
}
