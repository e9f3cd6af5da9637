import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { FastifyReply } from 'fastify'
import { TableChanges } from '../db/table-changes.js'
import { unitOf } from '../db/unit-of-work.js'
import { AnswerCache, OUTSIDE_CHECK_MS } from './answer-cache.js'

/** Just enough of a reply: serializes with JSON.stringify and records what was sent. */
function fakeReply(): FastifyReply & { sent: string[] } {
  const sent: string[] = []
  const reply = {
    sent,
    serialize: (payload: unknown) => JSON.stringify(payload),
    type: () => reply,
    send: (body: string) => sent.push(body),
  }
  return reply as unknown as FastifyReply & { sent: string[] }
}

function setup(options: { maxEntries?: number; maxBytes?: number } = {}) {
  const changes = new TableChanges()
  const outside = { version: 1, looks: 0 }
  let now = 0
  const cache = new AnswerCache({
    changes,
    outsideCommits: () => {
      outside.looks++
      return outside.version
    },
    now: () => now,
    ...options,
  })
  let reads = 0
  const answer = async (key: string, value: unknown = key) => {
    const reply = fakeReply()
    await cache.send(reply, key, async () => {
      reads++
      return value
    })
    return reply.sent[0]
  }
  return { cache, changes, outside, answer, reads: () => reads, advance: (ms: number) => (now += ms) }
}

describe('AnswerCache', () => {
  it('keeps an answer until a write starts', async () => {
    const { changes, answer, reads } = setup()
    assert.equal(await answer('a', { n: 1 }), '{"n":1}')
    assert.equal(await answer('a', { n: 2 }), '{"n":1}')
    assert.equal(reads(), 1)
    let during: string | undefined
    await changes.write(undefined, async () => {
      during = await answer('a', { n: 3 })
    })
    assert.equal(during, '{"n":3}', 'a read while a write runs is not served from before it')
    assert.equal(await answer('a', { n: 4 }), '{"n":4}', 'nor is what was read while it ran kept')
  })

  it('does not keep an answer when a write happened while it was read', async () => {
    const { cache, changes, answer } = setup()
    const reply = fakeReply()
    await cache.send(reply, 'a', async () => {
      await changes.write(undefined, async () => {})
      return 'old'
    })
    assert.equal(reply.sent[0], '"old"')
    assert.equal(await answer('a', 'new'), '"new"')
  })

  it('drops what it keeps once a unit of work commits a write', async () => {
    const { changes, answer } = setup()
    const uow = unitOf({} as never)
    await changes.write(uow, async () => {})
    assert.equal(await answer('a', 'before commit'), '"before commit"')
    assert.equal(await answer('a', 'still'), '"before commit"')
    uow.committed()
    assert.equal(await answer('a', 'after commit'), '"after commit"')
  })

  it('looks for other processes’ commits at most every OUTSIDE_CHECK_MS', async () => {
    const { outside, answer, advance } = setup()
    await answer('a', 'first')
    outside.version = 2
    advance(OUTSIDE_CHECK_MS - 1)
    assert.equal(await answer('a', 'second'), '"first"')
    assert.equal(outside.looks, 1)
    advance(1)
    assert.equal(await answer('a', 'second'), '"second"')
    assert.equal(outside.looks, 2)
  })

  it('drops the oldest answers past its entry and size bounds', async () => {
    const { cache, answer } = setup({ maxEntries: 2, maxBytes: 400 })
    await answer('a')
    await answer('b')
    await answer('c')
    assert.deepEqual(cache.size, { entries: 2, bytes: 6 })
    await answer('big', 'x'.repeat(98))
    assert.deepEqual(cache.size, { entries: 2, bytes: 103 })
    await answer('too big', 'x'.repeat(101))
    assert.deepEqual(cache.size, { entries: 2, bytes: 103 }, 'an answer over a quarter of the bytes is not kept')
  })
})
