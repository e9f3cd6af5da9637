// When a councilor's ticks fall: an interval (`30s`, `30m`, `1h`, `2d`) counted from an anchor, or a
// 5- or 6-field cron expression in an IANA timezone (croner evaluates it across daylight-saving
// changes: a wall time that does not exist that day fires once, an hour later; one that occurs twice
// fires once). Pure functions of time: no clocks, no timers.
import { Cron } from 'croner'

export type ScheduleType = 'interval' | 'cron'

export interface ScheduleSpec {
  type: ScheduleType
  value: string
  timezone: string
  /** No tick before this (epoch ms); an interval counts from it. */
  startsAt: number | null
  /** No tick after this. */
  endsAt: number | null
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const INTERVAL = /^(\d{1,9})([smhd])$/
/** The longest interval (a year): larger ones are a typo, and keep arithmetic exact. */
const MAX_INTERVAL_MS = 366 * UNIT_MS.d

/** `30s` → 30000; undefined for anything else (zero included). */
export function parseDuration(value: string): number | undefined {
  const match = INTERVAL.exec(value.trim())
  if (!match) return undefined
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]
  return ms > 0 && ms <= MAX_INTERVAL_MS ? ms : undefined
}

export function isTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone })
    return true
  } catch {
    return false
  }
}

/** Why the schedule's value cannot be used, or undefined when it can. */
export function scheduleValueProblem(type: ScheduleType, value: string): string | undefined {
  if (type === 'interval') {
    return parseDuration(value) === undefined
      ? "must be a positive number and a unit (s, m, h or d), at most a year, e.g. '30s', '30m', '1h', '2d'"
      : undefined
  }
  const fields = value.trim().split(/\s+/).length
  if (fields !== 5 && fields !== 6) return 'must have 5 fields (minute hour day month weekday) or 6 (seconds first)'
  try {
    new Cron(value, { paused: true, timezone: 'UTC' })
    return undefined
  } catch (err) {
    return `is not a valid cron expression (${(err as Error).message})`
  }
}

export interface Schedule {
  /** The first tick strictly after `after`, or null when the schedule has ended. */
  next(after: number): number | null
}

/** The schedule's ticks. `anchor` is when an interval starts counting (promotion, resume, change). */
export function scheduleOf(spec: ScheduleSpec, anchor: number): Schedule {
  const base = spec.type === 'interval' ? intervalTicks(parseDuration(spec.value)!, spec.startsAt ?? anchor, spec.startsAt !== null) : cronTicks(spec)
  return {
    next(after) {
      const from = spec.startsAt !== null && after < spec.startsAt ? spec.startsAt - 1 : after
      const tick = base(from)
      return tick === null || (spec.endsAt !== null && tick > spec.endsAt) ? null : tick
    },
  }
}

/** Ticks at origin + k·interval (k ≥ 1; k ≥ 0 when the origin is a chosen start time). */
function intervalTicks(intervalMs: number, origin: number, includeOrigin: boolean): (after: number) => number {
  return (after) => {
    const first = includeOrigin ? origin : origin + intervalMs
    if (after < first) return first
    return first + (Math.floor((after - first) / intervalMs) + 1) * intervalMs
  }
}

function cronTicks(spec: ScheduleSpec): (after: number) => number | null {
  const cron = new Cron(spec.value, { paused: true, timezone: spec.timezone })
  return (after) => cron.nextRun(new Date(after))?.getTime() ?? null
}

/** A schedule's interval, in ms, for intervals; undefined for cron. */
export function intervalOf(spec: Pick<ScheduleSpec, 'type' | 'value'>): number | undefined {
  return spec.type === 'interval' ? parseDuration(spec.value) : undefined
}
