import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { frameOf, packFrames, unpackFrames, type ClusterMessage } from './notify-frames.js'

const PREFIX = 'abcd1234|'

function unpackAll(payloads: string[]): ClusterMessage[] {
  return payloads.flatMap((payload) => {
    assert.ok(payload.startsWith(PREFIX))
    const messages = unpackFrames(payload.slice(PREFIX.length))
    assert.ok(messages, `readable: ${payload.slice(0, 80)}`)
    return messages
  })
}

describe('notify frames', () => {
  it('packs messages of any content into one payload, in order', () => {
    const messages: ClusterMessage[] = [
      { channel: 'run_events', payload: 'r1 1 3' },
      { channel: 'gamification', payload: '{"type":"x","data":{"a":"b c | = @ 12 "}}' },
      { channel: 'run_cancel', payload: '' },
      { channel: 'mcp_sse_relay', payload: 'ünïcødé ✓ and a\nnewline' },
      { channel: 'run_events', payload: '0123456789', parked: true },
    ]
    const payloads = packFrames(messages.map(frameOf), PREFIX)
    assert.equal(payloads.length, 1)
    assert.deepEqual(unpackAll(payloads), messages)
  })

  it('splits at the byte limit, counting multi-byte characters as bytes, and keeps the order', () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ channel: 'run_events', payload: `${i} ${'é'.repeat(300)}` }))
    const payloads = packFrames(messages.map(frameOf), PREFIX, 2000)
    assert.ok(payloads.length >= 12, `${payloads.length} payloads`)
    for (const payload of payloads) assert.ok(Buffer.byteLength(payload) <= 2000, `${Buffer.byteLength(payload)} bytes`)
    assert.deepEqual(unpackAll(payloads), messages)
  })

  it('refuses a message that alone exceeds the limit', () => {
    assert.throws(() => packFrames([frameOf({ channel: 'c', payload: 'x'.repeat(3000) })], PREFIX, 2000), /does not fit/)
  })

  it('reads nothing from a malformed payload', () => {
    for (const text of ['garbage', '=c 5 abc', '=c x abc', '?c 1 a']) assert.equal(unpackFrames(text), undefined, text)
    assert.deepEqual(unpackFrames(''), [])
  })
})
