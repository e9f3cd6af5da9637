import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { DEFAULT_POLICY, type Councilor, type CouncilorPolicy, NO_COUNTERS, NO_STATS } from './councilor.model.js'
import { scheduleOf, scheduleValueProblem, type ScheduleSpec } from './schedule.js'
import { firstFire, planTicks, type TickInputs } from './tick-plan.js'

const T0 = Date.UTC(2026, 0, 1)
const S = 1000
const MIN = 60 * S

function councilor(schedule: Partial<ScheduleSpec>, policy: Partial<CouncilorPolicy> = {}, state: Partial<Councilor> = {}): Councilor {
  const c = {
    id: 'c1',
    agentId: 'a',
    instanceId: null,
    screenplayId: null,
    conversationId: null,
    cwd: null,
    config: {
      title: 't',
      task: { name: 'n', prompt: 'p', output_format: 'checklist' },
      notifications: { on_success: false, on_warning: true, on_error: true, channels: ['panel'] },
    },
    customization: null,
    schedule: { type: 'interval', value: '1m', timezone: 'UTC', startsAt: null, endsAt: null, ...schedule },
    anchorAt: T0,
    enabled: true,
    pausedReason: null,
    policy: { ...DEFAULT_POLICY, ...policy },
    nextTickAt: null,
    nextFireAt: null,
    lastFireAt: null,
    bufferedAt: null,
    activeRuns: 0,
    lastRunId: null,
    stats: { ...NO_STATS },
    counters: { ...NO_COUNTERS },
    version: 0,
    createdAt: T0,
    updatedAt: T0,
    ...state,
  } satisfies Councilor
  return { ...c, ...firstFire(c, T0, () => 0), ...state }
}

const at = (now: number, extra: Partial<TickInputs> = {}): TickInputs => ({ now, graceMs: 30 * S, allowance: Infinity, random: () => 0, ...extra })

function ticks(spec: Partial<ScheduleSpec>, from: string, count: number): string[] {
  const schedule = scheduleOf({ type: 'cron', value: '* * * * *', timezone: 'UTC', startsAt: null, endsAt: null, ...spec }, Date.parse(from))
  const out: string[] = []
  for (let t: number | null = Date.parse(from); out.length < count && t !== null; ) {
    t = schedule.next(t)
    if (t !== null) out.push(new Date(t).toISOString())
  }
  return out
}

describe('schedules', () => {
  it('intervals count from their anchor, or from a start time, and stop at the end time', () => {
    assert.deepEqual(ticks({ type: 'interval', value: '30s' }, '2026-01-01T00:00:00Z', 3), [
      '2026-01-01T00:00:30.000Z',
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:01:30.000Z',
    ])
    assert.deepEqual(
      ticks(
        { type: 'interval', value: '2d', startsAt: Date.parse('2026-01-05T09:00:00Z'), endsAt: Date.parse('2026-01-09T09:00:00Z') },
        '2026-01-01T00:00:00Z',
        5,
      ),
      ['2026-01-05T09:00:00.000Z', '2026-01-07T09:00:00.000Z', '2026-01-09T09:00:00.000Z'],
    )
  })

  it('cron takes 5 fields, or 6 with seconds first, in the schedule timezone', () => {
    assert.deepEqual(ticks({ value: '*/20 * * * * *' }, '2026-01-01T00:00:00Z', 2), ['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z'])
    assert.deepEqual(ticks({ value: '0 9 * * 1-5', timezone: 'America/Sao_Paulo' }, '2026-01-02T13:00:00Z', 2), [
      '2026-01-05T12:00:00.000Z',
      '2026-01-06T12:00:00.000Z',
    ])
  })

  it('a daily wall-clock time keeps its local time across DST changes, and fires once on the change days', () => {
    // New York: clocks go forward 2026-03-08 02:00 and back 2026-11-01 02:00.
    const spring = ticks({ value: '30 2 * * *', timezone: 'America/New_York' }, '2026-03-06T12:00:00Z', 4)
    assert.deepEqual(spring, ['2026-03-07T07:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z'])
    const fall = ticks({ value: '30 1 * * *', timezone: 'America/New_York' }, '2026-10-30T12:00:00Z', 4)
    assert.equal(new Set(fall).size, 4)
    assert.deepEqual(
      fall.map((t) => t.slice(0, 10)),
      ['2026-10-31', '2026-11-01', '2026-11-02', '2026-11-03'],
    )
    assert.deepEqual(ticks({ value: '0 9 * * *', timezone: 'Europe/Berlin' }, '2026-03-28T00:00:00Z', 2), [
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
    ])
  })

  it('says what is wrong with a value', () => {
    assert.equal(scheduleValueProblem('interval', '30m'), undefined)
    assert.match(scheduleValueProblem('interval', '0m')!, /positive/)
    assert.match(scheduleValueProblem('interval', '5w')!, /unit/)
    assert.match(scheduleValueProblem('cron', '* * *')!, /5 fields/)
    assert.match(scheduleValueProblem('cron', '99 * * * *')!, /not a valid cron/)
    assert.equal(scheduleValueProblem('cron', '0 */5 * * * *'), undefined)
  })
})

describe('the tick planner', () => {
  it('fires a due tick once and moves to the next one', () => {
    const c = councilor({})
    assert.equal(c.nextFireAt, T0 + MIN)
    assert.equal(planTicks(c, at(T0 + MIN - 1)), null)
    const plan = planTicks(c, at(T0 + MIN + 200))!
    assert.deepEqual(plan.fire, [T0 + MIN])
    assert.equal(plan.nextTickAt, T0 + 2 * MIN)
  })

  it('missed ticks after downtime: skip fires none, once fires one, all fires each up to the cap', () => {
    const down = T0 + 10 * MIN + 45 * S // ticks at 1..10 min are all older than the 30 s grace
    const skip = planTicks(councilor({}, { missed: 'skip' }), at(down))!
    assert.deepEqual([skip.fire.length, skip.skippedMissed], [0, 10])
    const once = planTicks(councilor({}, { missed: 'once' }), at(down))!
    assert.deepEqual([once.fire, once.skippedMissed], [[T0 + 10 * MIN], 9])
    const all = planTicks(councilor({}, { missed: 'all', missedCap: 4 }), at(down))!
    assert.deepEqual([all.fire, all.skippedMissed], [[7, 8, 9, 10].map((m) => T0 + m * MIN), 6])
    for (const plan of [skip, once, all]) assert.equal(plan.nextTickAt, T0 + 11 * MIN)
    // A tick within the grace is on time: skip still fires it.
    const recent = planTicks(councilor({}, { missed: 'skip' }), at(T0 + 10 * MIN + 5 * S))!
    assert.deepEqual([recent.fire, recent.skippedMissed], [[T0 + 10 * MIN], 9])
  })

  it('a year of missed 1-second ticks is counted without walking all of them', () => {
    const c = councilor({ value: '1s' }, { missed: 'all', missedCap: 3 })
    const plan = planTicks(c, at(T0 + 365 * 86_400 * S))!
    assert.equal(plan.fire.length, 4)
    assert.ok(plan.skippedMissed > 9_000)
  })

  it('overlap: skip counts, buffer_one holds one, cancel_other cancels, allow_all runs', () => {
    const due = at(T0 + MIN)
    const active = { activeRuns: 1 }
    const skip = planTicks(councilor({}, { overlap: 'skip' }, active), due)!
    assert.deepEqual([skip.fire.length, skip.skippedOverlap], [0, 1])
    const buffer = planTicks(councilor({}, { overlap: 'buffer_one' }, active), due)!
    assert.deepEqual([buffer.fire.length, buffer.bufferedAt, buffer.buffered], [0, T0 + MIN, 1])
    const second = planTicks(
      councilor({}, { overlap: 'buffer_one' }, { ...active, bufferedAt: T0 + MIN, nextTickAt: T0 + 2 * MIN, nextFireAt: T0 + 2 * MIN }),
      at(T0 + 2 * MIN),
    )!
    assert.deepEqual([second.fire.length, second.bufferedAt, second.skippedOverlap], [0, T0 + MIN, 1])
    const released = planTicks(
      councilor({}, { overlap: 'buffer_one' }, { bufferedAt: T0 + MIN, nextTickAt: T0 + 3 * MIN, nextFireAt: T0 + 3 * MIN }),
      at(T0 + 2 * MIN + S),
    )!
    assert.deepEqual([released.fire, released.bufferedAt], [[T0 + MIN], null])
    const cancel = planTicks(councilor({}, { overlap: 'cancel_other' }, active), due)!
    assert.deepEqual([cancel.fire.length, cancel.cancelActive], [1, true])
    const all = planTicks(councilor({}, { overlap: 'allow_all' }, active), due)!
    assert.deepEqual([all.fire.length, all.cancelActive], [1, false])
  })

  it('the spend guard refuses what is over the allowance and counts it', () => {
    const c = councilor({}, { missed: 'all', missedCap: 10 })
    const plan = planTicks(c, at(T0 + 5 * MIN, { allowance: 2 }))!
    assert.deepEqual([plan.fire, plan.refusedSpend], [[T0 + 4 * MIN, T0 + 5 * MIN], 3])
    const none = planTicks(councilor({}, { overlap: 'cancel_other' }, { activeRuns: 1 }), at(T0 + MIN, { allowance: 0 }))!
    assert.deepEqual([none.fire.length, none.refusedSpend, none.cancelActive], [0, 1, false])
  })

  it('jitter delays a tick by less than the jitter and never to the following tick', () => {
    for (const r of [0, 0.25, 0.5, 0.999999]) {
      const c = councilor({}, { jitterMs: 20 * S })
      const plan = planTicks(c, at(T0 + MIN, { random: () => r }))!
      const jitter = plan.nextFireAt! - plan.nextTickAt!
      assert.ok(jitter >= 0 && jitter < 20 * S, `jitter ${jitter}`)
      // A jitter longer than the interval is cut short of the following tick.
      const wide = planTicks(councilor({}, { jitterMs: 10 * MIN }), at(T0 + MIN, { random: () => r }))!
      const wideJitter = wide.nextFireAt! - wide.nextTickAt!
      assert.ok(wideJitter >= 0 && wideJitter < MIN, `jitter ${wideJitter}`)
    }
    assert.equal(planTicks(councilor({}, { jitterMs: 20 * S }), at(T0 + MIN, { random: () => 0.5 }))!.nextFireAt, T0 + 2 * MIN + 10 * S)
  })

  it('a schedule past its end time stops', () => {
    const c = councilor({ endsAt: T0 + 2 * MIN })
    const first = planTicks(c, at(T0 + MIN))!
    assert.equal(first.nextTickAt, T0 + 2 * MIN)
    const last = planTicks({ ...c, nextTickAt: T0 + 2 * MIN, nextFireAt: T0 + 2 * MIN }, at(T0 + 2 * MIN))!
    assert.deepEqual([last.fire.length, last.nextTickAt, last.nextFireAt], [1, null, null])
  })

  it('a paused councilor has nothing due', () => {
    assert.equal(planTicks(councilor({}, {}, { enabled: false }), at(T0 + 5 * MIN)), null)
  })
})
