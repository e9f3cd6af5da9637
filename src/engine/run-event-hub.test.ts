import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import { waitFor } from '../../test/helpers/wait.js'
import { RunEventHub } from './run-event-hub.js'
import type { RunEvent } from './run-events.js'

/** A cluster channel the test speaks through, as another instance and as a reconnect would. */
function channel() {
  const handlers = new Map<string, (payload: string) => void>()
  const reconnects: Array<() => void> = []
  const cluster: ClusterChannel = {
    send: () => {},
    on: (name, handler) => void handlers.set(name, handler),
    onReconnect: (handler) => void reconnects.push(handler),
    close: async () => {},
  }
  return {
    cluster,
    signal: (payload: string) => handlers.get('run_events')!(payload),
    reconnect: () => {
      for (const r of reconnects) r()
    },
  }
}

const event = (seq: number) => ({ runId: 'r1', seq, type: 'text.delta', at: seq, data: { text: `w${seq}` } }) as unknown as RunEvent

describe('RunEventHub, events of other instances', () => {
  it('reads a range again when a read fails, so a follower gets the events no later signal would bring', async () => {
    const { cluster, signal } = channel()
    const hub = new RunEventHub(cluster)
    let failures = 1
    const errors: unknown[] = []
    hub.listenToCluster(
      {
        async readRange(_runId, from, to) {
          if (failures-- > 0) throw new Error('database unreachable')
          return Array.from({ length: (to ?? 3) - from + 1 }, (_, i) => event(from + i))
        },
      },
      (err) => errors.push(err),
    )
    const seqs: number[] = []
    hub.subscribe('r1', (events) => seqs.push(...events.map((e) => e.seq)))
    signal('r1 1 3')
    await waitFor(() => seqs.length === 3, 5_000, 'the range is read again')
    assert.deepEqual(seqs, [1, 2, 3])
    assert.equal(errors.length, 1)
  })

  it('after a reconnect, reads what a followed run wrote while the channel was down', async () => {
    const { cluster, signal, reconnect } = channel()
    const hub = new RunEventHub(cluster)
    let stored = 2
    hub.listenToCluster(
      {
        readRange: async (_runId, from, to) =>
          Array.from({ length: Math.max(0, Math.min(to ?? stored, stored) - from + 1) }, (_, i) => event(from + i)),
      },
      () => {},
    )
    const seqs: number[] = []
    hub.subscribe('r1', (events) => seqs.push(...events.map((e) => e.seq)))
    signal('r1 1 2')
    await waitFor(() => seqs.length === 2, 5_000, 'the signalled events')
    stored = 5 // written while the channel was down: no signal came
    reconnect()
    await waitFor(() => seqs.length === 5, 5_000, 'the missed events')
    assert.deepEqual(seqs, [1, 2, 3, 4, 5])
  })
})
