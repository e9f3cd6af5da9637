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
  const sent: string[] = []
  const cluster: ClusterChannel = {
    isClustered: true,
    send: (_, payload) => void sent.push(payload),
    on: (name, handler) => void handlers.set(name, handler),
    onReconnect: (handler) => void reconnects.push(handler),
    close: async () => {},
  }
  return {
    cluster,
    sent,
    signal: (payload: string) => handlers.get('run_events')!(payload),
    reconnect: () => {
      for (const r of reconnects) r()
    },
  }
}

const event = (seq: number, text = `w${seq}`) => ({ runId: 'r1', seq, type: 'text.delta', at: seq, data: { text } }) as unknown as RunEvent

const unreadable = {
  readRange: async (): Promise<RunEvent[]> => {
    throw new Error('sent-along events are not read from the log')
  },
}

describe('RunEventHub, events of this instance', () => {
  it('sends small events along to the other instances, and where to read large ones', () => {
    const { cluster, sent } = channel()
    const hub = new RunEventHub(cluster)
    hub.publish([event(1), event(2)])
    hub.publish([event(3, 'x'.repeat(5000))])
    assert.deepEqual(JSON.parse(sent[0]!), [event(1), event(2)])
    assert.equal(sent[1], 'r1 3 3')
  })
})

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

  it('delivers the events another instance sent along without reading them', async () => {
    const { cluster, signal } = channel()
    const hub = new RunEventHub(cluster)
    const errors: unknown[] = []
    hub.listenToCluster(unreadable, (err) => errors.push(err))
    const seqs: number[] = []
    hub.subscribe('r1', (events) => seqs.push(...events.map((e) => e.seq)))
    signal(JSON.stringify([event(1), event(2)]))
    assert.deepEqual(seqs, [1, 2])
    assert.deepEqual(errors, [])
  })

  it('delivers sent-along events after the read of earlier ones of the same run, and each event once', async () => {
    const { cluster, signal } = channel()
    const hub = new RunEventHub(cluster)
    let finishRead = () => {}
    const read = new Promise<void>((resolve) => (finishRead = resolve))
    hub.listenToCluster(
      {
        async readRange(_runId, from, to) {
          await read
          return Array.from({ length: (to ?? 3) - from + 1 }, (_, i) => event(from + i))
        },
      },
      () => {},
    )
    const seqs: number[] = []
    hub.subscribe('r1', (events) => seqs.push(...events.map((e) => e.seq)))
    signal('r1 1 3')
    signal(JSON.stringify([event(3), event(4)]))
    assert.deepEqual(seqs, [], 'nothing overtakes the read')
    finishRead()
    await waitFor(() => seqs.length >= 4, 5_000, 'the read and the sent-along events')
    assert.deepEqual(seqs, [1, 2, 3, 4])
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
