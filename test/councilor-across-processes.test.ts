// Three gateway processes on one PostgreSQL: each tick is one run, and the global spend guard holds
// across them.
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { startGateway, type RunningGateway } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'
import { waitFor } from './helpers/wait.js'

// biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field in assertions
async function json(res: Response): Promise<any> {
  return res.json()
}

async function post(gateway: RunningGateway, url: string, body: unknown, method = 'POST') {
  return fetch(`${gateway.url}${url}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

describe('councilors across gateway processes', {
  skip: testDialect() !== 'postgres' && 'needs PostgreSQL (several processes on one database)',
}, () => {
  it('three processes, a 1-second schedule for 20 s: exactly one run per tick', { timeout: 300_000 }, async (t) => {
    const db = await createTestDatabase()
    t.after(() => db.drop())
    const env = { DATABASE_URL: urlWithSchema(db.url, db.schema!), LOG_LEVEL: 'warn', COUNCILOR_POLL_INTERVAL_MS: '100' }
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-councilor-'))
    const gateways: RunningGateway[] = []
    t.after(async () => {
      for (const gateway of gateways) await gateway.stop('SIGKILL')
    })
    for (let i = 0; i < 3; i++) gateways.push(await startGateway({ cwd, env, readyTimeoutMs: 90_000 }))
    const [first, second, third] = gateways as [RunningGateway, RunningGateway, RunningGateway]

    const created = await post(first, '/api/agents', {
      name: 'Ticker_Agent',
      description: 'Ticks every second',
      persona_content: '# Persona: Ticker\n\nYou answer each tick of the clock, briefly and without fail.',
      ai_provider: 'echo',
    })
    assert.equal(created.status, 201, await created.clone().text())
    const agentId = (await json(created)).agent_id as string
    const promoted = await post(second, '/api/councilors/promote', {
      agent_id: agentId,
      councilor_config: {
        title: 'Every second',
        schedule: { type: 'interval', value: '1s', enabled: true },
        task: { name: 'tick', prompt: 'tick' },
        // Every tick becomes a run even when a pass is late or a run is still going: duplicates or gaps would show.
        policy: { overlap: 'allow_all', missed: 'all', missed_cap: 100 },
      },
    })
    const promotedBody = await promoted.text()
    assert.equal(promoted.status, 201, promotedBody)
    const { instance_id: instanceId } = JSON.parse(promotedBody)

    const runsOf = async () => (await json(await fetch(`${third.url}/api/runs?agent_id=${agentId}&source=councilor&limit=200`))).runs
    const startedAt = Date.now()
    await waitFor(async () => Date.now() - startedAt >= 20_000 && (await runsOf()).length > 0, 60_000, '20 seconds of ticks')
    const paused = await post(third, `/api/councilors/instances/${instanceId}/schedule`, { enabled: false }, 'PATCH')
    assert.equal(paused.status, 200)
    await waitFor(async () => (await runsOf()).every((r: { status: string }) => r.status === 'completed'), 30_000, 'every run completed')

    const runs = await runsOf()
    const ticks = runs.map((r: { metadata: { tick_at: string } }) => Date.parse(r.metadata.tick_at)).sort((a: number, b: number) => a - b)
    assert.equal(new Set(ticks).size, ticks.length, 'no tick ran twice')
    assert.ok(ticks.length >= 18, `${ticks.length} ticks in 20 s`)
    for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i] - ticks[i - 1], 1000, 'no tick was lost')
    const { jobs } = await json(await fetch(`${first.url}/api/councilors/scheduler/jobs`))
    assert.equal(jobs[0].skipped_missed, 0)
  })

  it('three processes, 24 councilors every second: the global spend guard allows exactly its cap', { timeout: 300_000 }, async (t) => {
    const cap = 30
    const db = await createTestDatabase()
    t.after(() => db.drop())
    const env = {
      DATABASE_URL: urlWithSchema(db.url, db.schema!),
      LOG_LEVEL: 'warn',
      COUNCILOR_POLL_INTERVAL_MS: '50',
      COUNCILOR_MAX_RUNS_PER_DAY: String(cap),
    }
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-councilor-'))
    const gateways: RunningGateway[] = []
    t.after(async () => {
      for (const gateway of gateways) await gateway.stop('SIGKILL')
    })
    for (let i = 0; i < 3; i++) gateways.push(await startGateway({ cwd, env, readyTimeoutMs: 90_000 }))

    // Promoted one after another, so their ticks fall at different moments and each process claims
    // different councilors at the same time: the count-then-fire race the guard's lock closes.
    const agentIds: string[] = []
    for (let i = 0; i < 24; i++) {
      const gateway = gateways[i % 3]!
      const created = await post(gateway, '/api/agents', {
        name: `Spender_${i}_Agent`,
        description: 'Ticks every second',
        persona_content: '# Persona: Spender\n\nYou answer each tick of the clock, briefly and without fail.',
        ai_provider: 'echo',
      })
      assert.equal(created.status, 201, await created.clone().text())
      const agentId = (await json(created)).agent_id as string
      agentIds.push(agentId)
      const promoted = await post(gateway, `/api/councilors/${agentId}/promote-councilor`, {
        councilor_config: {
          title: `Spender ${i}`,
          schedule: { type: 'interval', value: '1s', enabled: true },
          task: { name: 'tick', prompt: 'tick' },
          policy: { overlap: 'allow_all' },
        },
      })
      assert.equal(promoted.status, 200, await promoted.clone().text())
    }
    const jobs = async () => (await json(await fetch(`${gateways[0]!.url}/api/councilors/scheduler/jobs`))).jobs as Array<Record<string, number>>
    const refused = async () => (await jobs()).reduce((n, job) => n + job.refused_spend_guard!, 0)
    await waitFor(async () => (await refused()) >= 3 * 24, 60_000, 'three seconds of refused ticks')
    for (const agentId of agentIds) {
      const paused = await post(gateways[1]!, `/api/councilors/${agentId}/councilor-schedule`, { enabled: false }, 'PATCH')
      assert.equal(paused.status, 200)
    }
    const runs = (await json(await fetch(`${gateways[2]!.url}/api/runs?source=councilor&limit=200`))).runs as unknown[]
    assert.equal(runs.length, cap, 'the cap holds across processes')
  })
})
