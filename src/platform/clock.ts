/** The source of "now" (epoch milliseconds); tests substitute a controllable one. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** Epoch milliseconds → the ISO-8601 UTC string the wire carries. */
export function toIso(ms: number): string
export function toIso(ms: number | null | undefined): string | null
export function toIso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : isoOf(ms)
}

const DAY_MS = 86_400_000
/** 10000-01-01T00:00:00Z: past it the year needs more than four digits. */
const YEAR_10000_MS = 253_402_300_800_000

/**
 * What `new Date(ms).toISOString()` returns, computed with arithmetic: a list answer formats three
 * timestamps per row, and the Date object and its native formatting cost three times as much.
 * Dates from 1970 to 9999 (the civil-from-days algorithm of H. Hinnant); others go to Date.
 */
function isoOf(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString()
  const days = Math.floor(ms / DAY_MS)
  let rest = ms - days * DAY_MS
  const shifted = days + 719_468 // days since 0000-03-01
  const era = Math.floor(shifted / 146_097)
  const dayOfEra = shifted - era * 146_097
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365)
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100))
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153) // 0 = March
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
  const hours = Math.floor(rest / 3_600_000)
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  rest -= minutes * 60_000
  const seconds = Math.floor(rest / 1000)
  return `${year}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(seconds)}.${three(rest - seconds * 1000)}Z`
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`)
const three = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`)
