/** The source of "now" (epoch milliseconds); tests substitute a controllable one. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** Epoch milliseconds → the ISO-8601 UTC string the wire carries. */
export function toIso(ms: number): string
export function toIso(ms: number | null | undefined): string | null
export function toIso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString()
}
