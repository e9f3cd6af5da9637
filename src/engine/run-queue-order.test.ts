// Fair queueing: with more runs than workers, queued runs start first come, first served. A run
// must never start before one that was already queued when it was created, e.g. by taking the
// slot a finishing run just freed before the pool claims the oldest queued run.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, restartableTestApp } from '../../test/helpers/build-test-app.js'
import { testDialect } from '../../test/helpers/test-database.js'
import { waitFor } from '../../test/helpers/wait.js'

describe('queued runs', () => {
  it('start in the order they were created, also when new runs arrive as slots free up', async (t) => {
    const { deps } = await buildTestApp(t, { env: { RUN_CONCURRENCY: '2', RUN_COALESCE_MS: '0' } })
    const { runs } = deps
    const startOrder: string[] = []
    runs.followAll((events) => {
      for (const event of events) if (event.type === 'run.started') startOrder.push(event.runId)
    })
    // A logical clock over the test's own steps: when each create was called and when it resolved.
    let tick = 0
    const created: Array<{ id: string; calledAt: number; resolvedAt: number }> = []
    // Closed-loop clients, as under load: each creates its next run the moment its last one ended.
    const client = async () => {
      for (let i = 0; i < 30; i++) {
        const calledAt = tick++
        const run = await runs.create({ source: 'api', input: 'a few words to echo back', provider: 'echo' })
        created.push({ id: run.id, calledAt, resolvedAt: tick++ })
        await runs.waitForEnd(run.id, 30_000)
      }
    }
    await Promise.all(Array.from({ length: 8 }, client))
    assert.equal(startOrder.length, created.length, 'every run started once')
    const position = new Map(startOrder.map((id, i) => [id, i]))
    const overtaken: string[] = []
    for (const earlier of created) {
      for (const later of created) {
        // `earlier` was stored (queued or running) before `later` was even asked for.
        if (earlier.resolvedAt < later.calledAt && position.get(later.id)! < position.get(earlier.id)!) {
          overtaken.push(`${later.id} started before ${earlier.id}`)
        }
      }
    }
    assert.deepEqual(overtaken.slice(0, 5), [], `${overtaken.length} runs started before an older queued run`)
  })

  it('start a conversation’s queued runs one after another, the older first, also when one claim could take both', async (t) => {
    const gateway = await restartableTestApp(t)
    const policy = { RUN_CONVERSATION_POLICY: 'enqueue', RUN_COALESCE_MS: '0' }
    // A gateway with one slot, held by a long run: the runs created next wait, queued.
    const busy = await gateway.start({ env: { ...policy, RUN_CONCURRENCY: '1', ECHO_DELAY_MS: '60000', SHUTDOWN_TIMEOUT_MS: '50' } })
    const create = (input: string, conversationId?: string) =>
      busy.deps.runs.create({ source: 'api', input, provider: 'echo', ...(conversationId && { conversationId }) })
    await create('blocker')
    const c1First = await create('one two', 'c1')
    const c1Second = await create('three four', 'c1')
    const c2 = await create('five six', 'c2')
    const alone = await create('seven eight')
    // A second gateway with room for all of them claims what it may in its first claim.
    const { deps } = await gateway.start({ env: { ...policy, RUN_CONCURRENCY: '4', ECHO_DELAY_MS: '5', RUN_POLL_INTERVAL_MS: '50' } })
    const order: string[] = []
    deps.runs.followAll((events) => {
      for (const event of events) if (event.type === 'run.started' || event.type === 'run.completed') order.push(`${event.type} ${event.runId}`)
    })
    const queued = [c1First, c1Second, c2, alone]
    for (const run of queued) assert.equal((await deps.runs.waitForEnd(run.id, 10_000)).status, 'completed', order.join('\n'))
    const at = (event: string, run: { id: string }) => order.indexOf(`${event} ${run.id}`)
    assert.deepEqual(
      order.filter((e) => e.startsWith('run.started')).slice(0, 3),
      [c1First, c2, alone].map((run) => `run.started ${run.id}`),
      'the first claim takes the older run of c1 and the others, in age order',
    )
    assert.ok(at('run.completed', c1First) < at('run.started', c1Second), 'the newer run of c1 waits for the older to end')
  })
})

describe('queued runs across instances', { skip: testDialect() !== 'postgres' }, () => {
  it('are announced to the other instances only when the instance that queued them cannot start them at once', async (t) => {
    const gateway = await restartableTestApp(t)
    // Runs of a conversation are stored queued under this policy, then claimed by the instance that
    // created them. No polls: each instance claims only what it is told about.
    const env = { RUN_CONVERSATION_POLICY: 'enqueue', RUN_COALESCE_MS: '0', RUN_POLL_INTERVAL_MS: '60000' }
    const a = await gateway.start({ env: { ...env, RUN_CONCURRENCY: '4', ECHO_DELAY_MS: '200' } })
    const b = await gateway.start({ env: { ...env, RUN_CONCURRENCY: '4' } })
    const announced: string[] = []
    b.deps.cluster.on('runs_queued', (runId) => announced.push(runId))
    const create = (input: string, conversationId?: string) =>
      a.deps.runs.create({ source: 'api', input, provider: 'echo', ...(conversationId && { conversationId }) })
    const claimed = (run: { id: string }) => waitFor(async () => (await a.deps.runs.get(run.id)).status !== 'queued', 5000, 'a claim')
    // By the time a run has gone through, the claim each instance makes when it starts is over.
    await a.deps.runs.waitForEnd((await create('warm up')).id, 5000)

    const first = await create('one two', 'c1')
    await claimed(first)
    const other = await create('three four', 'c2')
    await claimed(other)
    // Its conversation's first run is still going: this one has to wait, and any instance may take it later.
    const second = await create('five six', 'c1')
    // Notifications for `first` or `other` would have come before the one for `second`.
    await waitFor(() => announced.length > 0, 5000, 'an announcement')
    assert.deepEqual(announced, [second.id])
    assert.equal((await a.deps.runs.get(second.id)).status, 'queued')
  })
})
