// Token deltas are merged before they are stored: one write per window, order kept.
import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { DeltaCoalescer } from './delta-coalescer.js'
import type { RunEventBody } from './run-events.js'

function recorder() {
  const writes: RunEventBody[][] = []
  let release: () => void = () => {}
  let blocked: Promise<void> | null = null
  return {
    writes,
    write: async (bodies: RunEventBody[]) => {
      writes.push(bodies)
      if (blocked) await blocked
    },
    /** Makes the next writes wait until `unblock` is called. */
    block() {
      blocked = new Promise<void>((resolve) => (release = resolve))
    },
    unblock() {
      blocked = null
      release()
    },
  }
}

const text = (t: string): RunEventBody => ({ type: 'text.delta', data: { text: t } })
const tool: RunEventBody = { type: 'tool.started', data: { toolCallId: 'c1', name: 'ls', input: {} } }

/** Lets the promise chain of a write run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function withMockTimers(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout'] })
}

describe('DeltaCoalescer', () => {
  it('writes what arrives within one window as one batch, consecutive deltas merged, order kept', async (t) => {
    withMockTimers(t)
    const out = recorder()
    const coalescer = new DeltaCoalescer(out.write, 25)
    for (const word of ['Hel', 'lo', ' ']) coalescer.push({ type: 'text.delta', text: word })
    coalescer.push({ type: 'tool.started', toolCallId: 'c1', name: 'ls', input: {} })
    coalescer.push({ type: 'text.delta', text: 'done' })
    coalescer.push({ type: 'text.delta', text: '' })
    assert.equal(out.writes.length, 0, 'nothing is written before the window closes')
    t.mock.timers.tick(25)
    await settle()
    assert.deepEqual(out.writes, [[text('Hello '), tool, text('done')]])
    assert.equal(coalescer.text, 'Hello done')
  })

  it('opens a new window for what comes later and writes batches one at a time, in order', async (t) => {
    withMockTimers(t)
    const out = recorder()
    const coalescer = new DeltaCoalescer(out.write, 10)
    out.block()
    coalescer.push({ type: 'text.delta', text: 'a' })
    t.mock.timers.tick(10)
    await settle()
    coalescer.push({ type: 'text.delta', text: 'b' })
    coalescer.push({ type: 'text.delta', text: 'c' })
    t.mock.timers.tick(10)
    await settle()
    assert.deepEqual(out.writes, [[text('a')]], 'the second batch waits for the first write')
    out.unblock()
    await settle()
    assert.deepEqual(out.writes, [[text('a')], [text('bc')]])
  })

  it('hands what is still unwritten to drain, after the writes in flight', async (t) => {
    withMockTimers(t)
    const out = recorder()
    const coalescer = new DeltaCoalescer(out.write, 1_000)
    coalescer.push({ type: 'text.delta', text: 'par' })
    coalescer.push({ type: 'text.delta', text: 'tial' })
    coalescer.push({ type: 'usage', usage: { tokensIn: 1, tokensOut: 2 } })
    const rest = await coalescer.drain()
    assert.deepEqual(rest, [text('partial'), { type: 'usage', data: { tokensIn: 1, tokensOut: 2 } }])
    assert.equal(out.writes.length, 0, 'the caller stores the rest with the final event')
    t.mock.timers.tick(1_000)
    await settle()
    assert.equal(out.writes.length, 0, 'and the window timer is gone')
  })

  it('after a failed write (database gone) keeps that batch and every later one, in order, for the final write', async (t) => {
    withMockTimers(t)
    let calls = 0
    const coalescer = new DeltaCoalescer(async () => {
      calls++
      throw new Error('Connection terminated unexpectedly')
    }, 5)
    coalescer.push({ type: 'text.delta', text: 'x' })
    t.mock.timers.tick(5)
    await settle()
    coalescer.push({ type: 'usage', usage: { tokensIn: 1, tokensOut: 2 } })
    t.mock.timers.tick(5)
    await settle()
    coalescer.push({ type: 'text.delta', text: 'y' })
    assert.deepEqual(await coalescer.drain(), [text('x'), { type: 'usage', data: { tokensIn: 1, tokensOut: 2 } }, text('y')])
    assert.equal(calls, 1, 'no write is tried after the first failure')
  })
})
