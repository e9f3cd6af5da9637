// The feed of runs it saw queued is synchronous; a run it did not see queued is looked up first,
// and its later events still arrive in order; a message that fails to build is reported, and
// the events after it are still delivered.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Run } from '../../engine/run.js'
import type { RunEvent } from '../../engine/run-events.js'
import type { Frame } from '../../platform/events/frame.js'
import type { GamificationHub } from '../../realtime/gamification-hub.js'
import { feedRunsToClients } from './task-feed.js'
import { taskPickedMessage } from './task-projection.js'

/** What a run and its `run.queued` context both say of whom the run is for. */
const WHO = { agentId: 'a1', instanceId: 'i1', conversationId: 'c1', screenplayId: null, source: 'api', provider: 'echo', model: null } as const
const CONTEXT = { ...WHO, agentName: 'Agent', agentEmoji: null, isCouncilor: false }

function harness(stored: Record<string, Partial<Run>> = {}) {
  let listener: (events: readonly RunEvent[]) => void = () => {}
  const sent: Frame[] = []
  const errors: unknown[] = []
  const runs = {
    followAll(l: (events: readonly RunEvent[]) => void) {
      listener = l
      return () => {}
    },
    async find(id: string) {
      return stored[id] as Run | undefined
    },
  }
  const hub = { clientCount: 1, broadcastLocal: (frame: Frame) => sent.push(frame) } as unknown as GamificationHub
  feedRunsToClients(runs, hub, (err) => errors.push(err))
  return { publish: (...events: RunEvent[]) => listener(events), sent, errors }
}

const event = (runId: string, seq: number, body: Pick<RunEvent, 'type' | 'data'>): RunEvent => ({ runId, seq, at: 1_000 + seq, ...body }) as RunEvent

describe('feedRunsToClients', () => {
  it('sends the messages of a run it saw queued at once', () => {
    const { publish, sent } = harness()
    publish(event('r1', 1, { type: 'run.queued', data: CONTEXT }), event('r1', 2, { type: 'run.started', data: { workerId: 'w' } }))
    assert.deepEqual(
      sent.map((f) => f.type),
      ['task_submitted', 'task_picked', 'stream_start'],
    )
  })

  it('looks up a run it did not see queued, then follows it', async () => {
    const { publish, sent, errors } = harness({
      r2: { ...WHO, id: 'r2', options: { agentName: 'Agent' }, startedAt: 1_000, createdAt: 900 },
    })
    publish(event('r2', 2, { type: 'run.started', data: { workerId: 'w' } }))
    assert.equal(sent.length, 0, 'nothing until the run is found')
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepEqual(
      sent.map((f) => [f.type, (f.data as { task_id?: string }).task_id]),
      [
        ['task_picked', 'r2'],
        ['stream_start', 'r2'],
      ],
    )
    assert.deepEqual(sent[0], taskPickedMessage('r2', CONTEXT), 'the stored run tells what its queued event would have')
    publish(event('r2', 3, { type: 'text.delta', data: { text: 'hi' } }))
    assert.equal(sent.length, 2, 'a known run needs no lookup: text is not a feed message')
    assert.deepEqual(errors, [])
  })

  it('reports a message that fails to build and goes on with the next event', () => {
    const { publish, sent, errors } = harness()
    const broken = {
      ...CONTEXT,
      get agentName(): string {
        throw new Error('broken context')
      },
    }
    publish(event('r3', 1, { type: 'run.queued', data: broken }), event('r4', 1, { type: 'run.queued', data: CONTEXT }))
    assert.equal(errors.length, 1)
    assert.deepEqual(
      sent.map((f) => f.type),
      ['task_submitted'],
    )
  })
})
