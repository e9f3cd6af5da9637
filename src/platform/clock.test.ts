// toIso formats with arithmetic; it must write exactly what Date#toISOString writes.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toIso } from './clock.js'

describe('toIso', () => {
  it('writes what Date#toISOString writes, at the edges of days, months, leap years and the range', () => {
    const edges = [
      0,
      1,
      999,
      Date.UTC(1970, 0, 1, 23, 59, 59, 999),
      Date.UTC(2000, 1, 29, 12, 0, 0, 5),
      Date.UTC(2000, 2, 1),
      Date.UTC(2100, 1, 28, 23, 59, 59, 999),
      Date.UTC(2100, 2, 1),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    ]
    for (const ms of edges) assert.equal(toIso(ms), new Date(ms).toISOString(), `at ${ms}`)
  })

  it('writes what Date#toISOString writes for many instants from 1970 to 9999', () => {
    let seed = 42
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let i = 0; i < 100_000; i++) {
      const ms = Math.floor(next() * 253_402_300_799_999)
      assert.equal(toIso(ms), new Date(ms).toISOString(), `at ${ms}`)
    }
  })

  it('leaves dates outside 1970–9999 and fractional milliseconds to Date, and keeps null', () => {
    for (const ms of [-1, -86_400_000, 253_402_300_800_000, 1.5]) assert.equal(toIso(ms), new Date(ms).toISOString())
    assert.equal(toIso(null), null)
    assert.equal(toIso(undefined), null)
  })
})
