import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { transactorOf } from '../../platform/db/unit-of-work.js'
import { buildTestApp, ManualClock, type TestAppOptions } from '../../../test/helpers/build-test-app.js'
import { createAgent, PERSONA } from '../../../test/helpers/agent-factories.js'
import type { InstanceHistoryEntry, InstanceHistorySource } from './instance-history.js'

const api = '/api/agents/instances'

async function setup(t: TestContext, options: TestAppOptions = {}) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock, ...options })
  await createAgent(app, { mcp_configs: ['git', 'crm'] })
  return { app, deps, clock }
}

async function createInstance(app: FastifyInstance, body: Record<string, unknown> = {}) {
  const payload = { instance_id: 'instance-1-abc', agent_id: 'Helper_Agent', position: { x: 10, y: 20 }, ...body }
  const res = await app.inject({ method: 'POST', url: api, payload })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().instance
}

describe('POST /api/agents/instances', () => {
  it("stores the client's body; screenplay and conversation may come later", async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({
      method: 'POST',
      url: api,
      payload: {
        instance_id: 'instance-1739999999999-ab12cd34e',
        agent_id: 'Helper_Agent',
        position: { x: 1.5, y: 2 },
        created_at: 'ignored',
        is_system_default: true,
        is_hidden: false,
        emoji: '🤖',
        definition: { title: 'Helper', description: 'helps', unicode: '1F916' },
        display_order: 3,
        mcp_configs: ['jira'],
        unknown_field: 1,
      },
    })
    assert.equal(res.statusCode, 200)
    const { success, message, instance } = res.json()
    assert.deepEqual([success, message], [true, 'Instance created successfully'])
    assert.equal(instance.instance_id, 'instance-1739999999999-ab12cd34e')
    assert.deepEqual([instance.screenplay_id, instance.conversation_id, instance.cwd], [null, null, null])
    assert.deepEqual([instance.status, instance.display_order, instance.is_system_default, instance.mcp_configs], ['pending', 3, true, ['jira']])
    assert.deepEqual(instance.definition, { title: 'Helper', description: 'helps', unicode: '1F916' })
    assert.equal(instance.statistics.task_count, 0)
    assert.equal(instance.created_at, '2026-01-01T00:00:00.000Z')
    assert.equal(instance.name, 'Helper_Agent', "the agent's name, which the agent game shows when definition.title is missing")
  })

  it("inherits the screenplay's working directory when no cwd is given", async (t) => {
    const { app } = await setup(t)
    const play = (await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'Play', working_directory: '/srv/project' } })).json()
    const inherited = await createInstance(app, { screenplay_id: play.id, conversation_id: 'conv-1' })
    assert.equal(inherited.cwd, '/srv/project')
    const own = await createInstance(app, { instance_id: 'i2', screenplay_id: play.id, cwd: '/home/u/../u/code/' })
    assert.equal(own.cwd, '/home/u/code')
    const unknownPlay = await createInstance(app, { instance_id: 'i3', screenplay_id: 'no-such-screenplay' })
    assert.equal(unknownPlay.cwd, null)
  })

  it('keeps councilor settings only on councilor instances', async (t) => {
    const { app } = await setup(t)
    const plain = await createInstance(app, { councilor_config: { title: 'x' } })
    assert.equal(plain.councilor_config, null)
    const councilor = await createInstance(app, {
      instance_id: 'c1',
      is_councilor_instance: true,
      councilor_config: { title: 'Watch' },
      customization: { display_name: 'W' },
    })
    assert.deepEqual(
      [councilor.status, councilor.is_councilor, councilor.councilor_config, councilor.customization],
      ['idle', true, { title: 'Watch' }, { display_name: 'W' }],
    )
  })

  it('answers 400 with the object details the client knows', async (t) => {
    const { app } = await setup(t)
    const missing = await app.inject({ method: 'POST', url: api, payload: { agent_id: 'Helper_Agent', screenplay_id: 's' } })
    assert.equal(missing.statusCode, 400)
    assert.deepEqual(missing.json().detail, {
      success: false,
      error: 'Missing required fields: instance_id, position',
      required_fields: ['instance_id', 'agent_id', 'position'],
    })
    const position = await app.inject({ method: 'POST', url: api, payload: { instance_id: 'i', agent_id: 'Helper_Agent', position: { x: 'a' } } })
    assert.deepEqual(position.json().detail, { success: false, error: 'Invalid position format. Expected: {x: number, y: number}' })
    const status = await app.inject({
      method: 'POST',
      url: api,
      payload: { instance_id: 'i', agent_id: 'Helper_Agent', position: { x: 1, y: 1 }, status: 'flying' },
    })
    assert.match(status.json().detail.error, /^Invalid status\. Allowed values: pending, queued/)
    const notObject = await app.inject({ method: 'POST', url: api, payload: [1] })
    assert.deepEqual([notObject.statusCode, notObject.json().detail], [400, { success: false, error: 'body: must be an object' }])
    const order = await app.inject({
      method: 'POST',
      url: api,
      payload: { instance_id: 'i', agent_id: 'Helper_Agent', position: { x: 1, y: 1 }, display_order: 1e12 },
    })
    assert.deepEqual([order.statusCode, order.json().detail], [400, { success: false, error: 'display_order: must be at most 2147483647' }])
    assert.equal((await app.inject({ url: `${api}/i` })).statusCode, 404, 'nothing was stored')
  })

  it('answers 409 for an existing id (deleted ones too) and 404 for an unknown agent', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc` })
    const again = await app.inject({
      method: 'POST',
      url: api,
      payload: { instance_id: 'instance-1-abc', agent_id: 'Helper_Agent', position: { x: 0, y: 0 } },
    })
    assert.equal(again.statusCode, 409)
    assert.deepEqual(again.json().detail, {
      success: false,
      error: 'Instance already exists',
      instance_id: 'instance-1-abc',
      hint: 'Use PATCH /api/agents/instances/instance-1-abc to update existing instance',
    })
    const noAgent = await app.inject({ method: 'POST', url: api, payload: { instance_id: 'x', agent_id: 'Ghost_Agent', position: { x: 0, y: 0 } } })
    assert.equal(noAgent.statusCode, 404)
    assert.deepEqual(noAgent.json().detail, { success: false, error: "Agent 'Ghost_Agent' not found", agent_id: 'Ghost_Agent' })
  })

  it('refuses a cwd outside the allowed roots', async (t) => {
    const { app } = await setup(t, { env: { ALLOWED_ROOTS: '/srv' } })
    const res = await app.inject({
      method: 'POST',
      url: api,
      payload: { instance_id: 'i', agent_id: 'Helper_Agent', position: { x: 0, y: 0 }, cwd: '/etc' },
    })
    assert.equal(res.statusCode, 400)
    assert.match(res.json().detail, /cwd \/etc is outside the allowed roots/)
  })
})

describe('GET /api/agents/instances', () => {
  it('filters, sorts by display_order and pages', async (t) => {
    const { app, clock } = await setup(t)
    await createAgent(app, { name: 'Other_Agent' })
    const rows: Array<[string, string, string, number]> = [
      ['a', 'Helper_Agent', 's1', 2],
      ['b', 'Helper_Agent', 's1', 0],
      ['c', 'Other_Agent', 's2', 1],
    ]
    for (const [id, agent, play, order] of rows) {
      clock.advance(1000)
      await createInstance(app, { instance_id: id, agent_id: agent, screenplay_id: play, conversation_id: `conv-${play}`, display_order: order })
    }
    const ids = async (query: string) =>
      (await app.inject({ url: `${api}?${query}` })).json().instances.map((i: { instance_id: string }) => i.instance_id)
    assert.deepEqual(await ids(''), ['c', 'b', 'a'], 'newest first by default')
    assert.deepEqual(await ids('sort=display_order'), ['b', 'c', 'a'])
    assert.deepEqual(await ids('screenplay_id=s1&sort=display_order'), ['b', 'a'])
    assert.deepEqual(await ids('conversation_id=conv-s2'), ['c'])
    assert.deepEqual(await ids('agent_id=Other_Agent'), ['c'])
    assert.deepEqual(await ids('status=running'), [])
    assert.deepEqual(await ids('limit=1&offset=1'), ['b'])
    const body = (await app.inject({ url: `${api}?limit=2` })).json()
    assert.deepEqual([body.success, body.count, body.total], [true, 2, 3])
  })

  it("names each instance after its agent (the agent's id once the agent is gone from the database)", async (t) => {
    const { app } = await setup(t)
    await createAgent(app, { name: 'Other_Agent' })
    await app.inject({ method: 'PUT', url: '/api/agents/Other_Agent', payload: { name: 'Other, renamed' } })
    await createInstance(app, { instance_id: 'a' })
    await createInstance(app, { instance_id: 'b', agent_id: 'Other_Agent' })
    await app.inject({ method: 'DELETE', url: '/api/agents/Other_Agent' })
    const names = (await app.inject({ url: `${api}?sort=created_at` }))
      .json()
      .instances.map((i: { instance_id: string; name: string }) => [i.instance_id, i.name])
    assert.deepEqual(
      names,
      [
        ['a', 'Helper_Agent'],
        ['b', 'Other, renamed'],
      ],
      'a soft-deleted agent keeps its name',
    )
    assert.equal((await app.inject({ url: `${api}/b` })).json().instance.name, 'Other, renamed')
  })

  it('hides deleted instances unless include_deleted=true', async (t) => {
    const { app } = await setup(t)
    await createInstance(app, { instance_id: 'gone' })
    await createInstance(app, { instance_id: 'kept' })
    await app.inject({ method: 'DELETE', url: `${api}/gone` })
    assert.equal((await app.inject({ url: api })).json().count, 1)
    const all = (await app.inject({ url: `${api}?include_deleted=true` })).json()
    assert.equal(all.count, 2)
    assert.equal(all.instances.find((i: { instance_id: string }) => i.instance_id === 'gone').isDeleted, true)
  })

  it('answers 422 for unknown sort fields and out-of-range limits', async (t) => {
    const { app } = await setup(t)
    for (const query of ['sort=password', 'sort=-name', 'limit=0', 'limit=501', 'offset=-1']) {
      const res = await app.inject({ url: `${api}?${query}` })
      assert.equal(res.statusCode, 422, query)
      assert.equal(typeof res.json().detail, 'string')
    }
  })
})

describe('GET /api/agents/instances/{instance_id}', () => {
  it('answers the instance with its statistics; 404 object when missing or deleted', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    const body = (await app.inject({ url: `${api}/instance-1-abc` })).json()
    assert.equal(body.success, true)
    assert.deepEqual(Object.keys(body.instance.statistics).sort(), [
      'average_execution_time',
      'error_count',
      'last_execution',
      'last_exit_code',
      'last_task_completed_at',
      'last_task_duration',
      'success_count',
      'success_rate',
      'task_count',
      'total_execution_time',
      'total_executions',
    ])
    const missing = await app.inject({ url: `${api}/nope` })
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json().detail, { success: false, error: 'Instance not found', instance_id: 'nope' })
    await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc` })
    assert.equal((await app.inject({ url: `${api}/instance-1-abc` })).statusCode, 404)
  })
})

describe('PATCH /api/agents/instances/{instance_id}', () => {
  it('updates what the client sends and merges config and execution_state', async (t) => {
    const { app, clock } = await setup(t)
    await createInstance(app, { config: { a: 1, b: 2 } })
    clock.advance(1000)
    const res = await app.inject({
      method: 'PATCH',
      url: `${api}/instance-1-abc`,
      payload: {
        position: { x: 5, y: 6 },
        status: 'running',
        config: { b: 3, c: 4 },
        execution_state: { start_time: 't0' },
        cwd: '/work/',
        emoji: '🐙',
        screenplay_id: 's9',
        conversation_id: 'c9',
        display_order: 7,
        ignored: true,
      },
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      success: true,
      message: 'Instance updated successfully',
      instance_id: 'instance-1-abc',
      updated_fields: ['position', 'status', 'config', 'execution_state', 'cwd', 'emoji', 'display_order', 'screenplay_id', 'conversation_id'],
      updated_at: '2026-01-01T00:00:01.000Z',
    })
    await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc`, payload: { execution_state: { end_time: 't1' } } })
    const instance = (await app.inject({ url: `${api}/instance-1-abc` })).json().instance
    assert.deepEqual(instance.config, { a: 1, b: 3, c: 4 })
    assert.deepEqual(instance.execution_state, { start_time: 't0', end_time: 't1' })
    assert.deepEqual(
      [instance.position, instance.status, instance.cwd, instance.emoji, instance.screenplay_id, instance.display_order],
      [{ x: 5, y: 6 }, 'running', '/work', '🐙', 's9', 7],
    )
  })

  it('loses no key when config merges run concurrently', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => app.inject({ method: 'PATCH', url: `${api}/instance-1-abc`, payload: { config: { [`k${i}`]: i } } })),
    )
    assert.deepEqual(
      results.map((r) => r.statusCode),
      [200, 200, 200, 200],
    )
    const config = (await app.inject({ url: `${api}/instance-1-abc` })).json().instance.config
    assert.deepEqual(config, { k0: 0, k1: 1, k2: 2, k3: 3 })
  })

  it('answers 400 object details for bad values and 404 for unknown instances', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ position: [1, 2] }, 'Invalid position format. Expected: {x: number, y: number}'],
      [{ config: 'x' }, 'Config must be an object'],
      [{ execution_state: [1] }, 'execution_state must be an object'],
      [{ display_order: 'first' }, 'display_order: must be a number'],
      [{ display_order: 2 ** 31 }, 'display_order: must be at most 2147483647'],
      [{ display_order: 1.5 }, 'display_order: must be a whole number'],
    ]
    for (const [payload, error] of cases) {
      const res = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc`, payload })
      assert.equal(res.statusCode, 400, JSON.stringify(payload))
      assert.deepEqual(res.json().detail, { success: false, error })
    }
    const missing = await app.inject({ method: 'PATCH', url: `${api}/nope`, payload: { status: 'queued' } })
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json().detail, { success: false, error: 'Instance not found', instance_id: 'nope' })
    const outside = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc`, payload: { cwd: 'relative/dir' } })
    assert.equal(outside.statusCode, 400)
    assert.equal(outside.json().detail, 'cwd must be an absolute path (start with /)')
  })
})

describe('PATCH /api/agents/instances/{instance_id}/cwd', () => {
  it('stores a normalised absolute path inside the allowed roots', async (t) => {
    const { app } = await setup(t, { env: { ALLOWED_ROOTS: '/srv' } })
    await createInstance(app)
    const res = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/cwd`, payload: { cwd: '/srv//app/./x/' } })
    assert.deepEqual(res.json(), { success: true, message: 'CWD updated successfully', instance_id: 'instance-1-abc', cwd: '/srv/app/x' })
    const outside = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/cwd`, payload: { cwd: '/srv/../etc' } })
    assert.equal(outside.statusCode, 400)
    assert.match(outside.json().detail, /outside the allowed roots/)
    const empty = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/cwd`, payload: {} })
    assert.deepEqual([empty.statusCode, empty.json().detail], [400, 'Invalid cwd path'])
    const missing = await app.inject({ method: 'PATCH', url: `${api}/nope/cwd`, payload: { cwd: '/srv' } })
    assert.deepEqual([missing.statusCode, missing.json().detail], [404, 'Instance not found'])
    assert.equal((await app.inject({ url: `${api}/instance-1-abc` })).json().instance.cwd, '/srv/app/x')
  })
})

describe('PATCH /api/agents/instances/{instance_id}/statistics', () => {
  it('adds each task atomically without replacing the statistics', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    const durations = [100, 300, 200, 400]
    const results = await Promise.all(
      durations.map((d, i) =>
        app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/statistics`, payload: { task_duration: d, exit_code: i === 0 ? 1 : 0 } }),
      ),
    )
    assert.deepEqual(
      results.map((r) => r.statusCode),
      [200, 200, 200, 200],
    )
    const stats = (await app.inject({ url: `${api}/instance-1-abc` })).json().instance.statistics
    assert.deepEqual(
      [
        stats.task_count,
        stats.total_executions,
        stats.total_execution_time,
        stats.average_execution_time,
        stats.success_count,
        stats.error_count,
        stats.success_rate,
      ],
      [4, 4, 1000, 250, 3, 1, 75],
    )
    const noCount = await app.inject({
      method: 'PATCH',
      url: `${api}/instance-1-abc/statistics`,
      payload: { task_duration: 0, increment_count: false },
    })
    assert.equal(noCount.json().statistics.task_count, 4)
    assert.equal(noCount.json().statistics.last_task_duration, 0)
    assert.equal(noCount.json().statistics.last_task_completed_at, '2026-01-01T00:00:00.000Z')
  })

  it('answers 400 object details for a bad duration and 404 for unknown instances', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    const url = `${api}/instance-1-abc/statistics`
    const missing = await app.inject({ method: 'PATCH', url, payload: {} })
    assert.deepEqual([missing.statusCode, missing.json().detail], [400, { success: false, error: 'task_duration is required and must be a number' }])
    const negative = await app.inject({ method: 'PATCH', url, payload: { task_duration: -1 } })
    assert.deepEqual(negative.json().detail, { success: false, error: 'task_duration must be positive' })
    // Values that would overflow the database columns (PostgreSQL answered 500) are refused up front.
    const endless = await app.inject({ method: 'PATCH', url, payload: { task_duration: 1e308 } })
    assert.deepEqual(
      [endless.statusCode, endless.json().detail],
      [400, { success: false, error: 'task_duration cannot exceed 31536000000 ms (a year)' }],
    )
    const exitCode = await app.inject({ method: 'PATCH', url, payload: { task_duration: 1, exit_code: 2 ** 40 } })
    assert.deepEqual([exitCode.statusCode, exitCode.json().detail], [400, { success: false, error: 'exit_code: must be at most 2147483647' }])
    const unknown = await app.inject({ method: 'PATCH', url: `${api}/nope/statistics`, payload: { task_duration: 1 } })
    assert.equal(unknown.statusCode, 404)
    assert.equal((await app.inject({ url: `${api}/instance-1-abc` })).json().instance.statistics.task_count, 0)
  })
})

describe('InstancesService.recordExecution', () => {
  it('counts concurrent executions exactly', async (t) => {
    const { app, deps } = await setup(t)
    await createInstance(app)
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        deps.instances.recordExecution('instance-1-abc', { durationMs: 10 * (i + 1), exitCode: i % 5 === 0 ? 2 : 0, completedAt: 1000 + i }),
      ),
    )
    const stats = (await deps.instances.get('instance-1-abc')).statistics
    assert.deepEqual(
      [stats.taskCount, stats.totalExecutionTime, stats.averageExecutionTime, stats.successCount, stats.errorCount, stats.successRate],
      [10, 550, 55, 8, 2, 80],
    )
    await assert.rejects(deps.instances.recordExecution('nope', { durationMs: 1, exitCode: 0, completedAt: 1 }), { status: 404 })
  })
})

describe('PATCH /api/agents/instances/reorder', () => {
  it('sets display_order, skipping entries without id or order', async (t) => {
    const { app } = await setup(t)
    for (const id of ['a', 'b', 'c']) await createInstance(app, { instance_id: id })
    const res = await app.inject({
      method: 'PATCH',
      url: `${api}/reorder`,
      payload: {
        order_updates: [
          { instance_id: 'a', display_order: 2 },
          { instance_id: 'b', display_order: 0 },
          { instance_id: 'c' },
          { display_order: 1 },
          { instance_id: 'zzz', display_order: 5 },
        ],
      },
    })
    assert.deepEqual(res.json(), { success: true, message: 'Order updated for 2 agents', updated_count: 2 })
    const ids = (await app.inject({ url: `${api}?sort=display_order` })).json().instances.map((i: { instance_id: string }) => i.instance_id)
    assert.deepEqual(ids, ['b', 'c', 'a'], 'c keeps 0; ties go by creation, then id')
  })

  it('answers 400 with a string detail when order_updates is missing or empty', async (t) => {
    const { app } = await setup(t)
    for (const payload of [{}, { order_updates: [] }, { order_updates: 'x' }]) {
      const res = await app.inject({ method: 'PATCH', url: `${api}/reorder`, payload })
      assert.equal(res.statusCode, 400)
      assert.equal(res.json().detail, 'order_updates is required and must be a list')
    }
    const huge = await app.inject({
      method: 'PATCH',
      url: `${api}/reorder`,
      payload: { order_updates: [{ instance_id: 'a', display_order: 2 ** 31 }] },
    })
    assert.deepEqual([huge.statusCode, huge.json().detail], [400, 'order_updates.0.display_order: must be at most 2147483647'])
  })
})

describe('GET/PATCH /api/agents/instances/{instance_id}/mcp-configs', () => {
  it("combines the agent's MCP servers with the instance's own", async (t) => {
    const { app } = await setup(t)
    await createInstance(app, { mcp_configs: ['crm', 'jira'] })
    const body = (await app.inject({ url: `${api}/instance-1-abc/mcp-configs` })).json()
    assert.deepEqual(body, {
      instance_id: 'instance-1-abc',
      agent_id: 'Helper_Agent',
      template_mcps: ['git', 'crm'],
      instance_mcps: ['crm', 'jira'],
      combined: ['git', 'crm', 'jira'],
    })
    const patched = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/mcp-configs`, payload: { mcp_configs: ['slack'] } })
    assert.deepEqual(patched.json(), {
      success: true,
      instance_id: 'instance-1-abc',
      mcp_configs: ['slack'],
      message: 'Updated mcp_configs with 1 MCPs',
    })
    const cleared = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/mcp-configs`, payload: {} })
    assert.deepEqual(cleared.json().mcp_configs, [])
  })

  it('answers string details: 400 for bad lists, 404 for unknown instances', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    const notList = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/mcp-configs`, payload: { mcp_configs: 'crm' } })
    assert.deepEqual([notList.statusCode, notList.json().detail], [400, 'mcp_configs must be a list'])
    const notString = await app.inject({ method: 'PATCH', url: `${api}/instance-1-abc/mcp-configs`, payload: { mcp_configs: [1] } })
    assert.deepEqual([notString.statusCode, notString.json().detail], [400, 'Each MCP config must be a string'])
    const missing = await app.inject({ url: `${api}/nope/mcp-configs` })
    assert.deepEqual([missing.statusCode, missing.json().detail], [404, 'Instance not found: nope'])
    assert.equal((await app.inject({ method: 'PATCH', url: `${api}/nope/mcp-configs`, payload: { mcp_configs: [] } })).statusCode, 404)
  })
})

/** A history source with real entries, recording what it was asked to hide. */
function historySource(entries: InstanceHistoryEntry[]): InstanceHistorySource & { hidden: string[] } {
  const hidden: string[] = []
  return {
    hidden,
    historyOf: async (instanceId) => (instanceId === 'instance-1-abc' ? entries : []),
    hideHistoryOf: async (instanceId: string) => {
      hidden.push(instanceId)
      return instanceId === 'instance-1-abc' ? entries.length : 0
    },
  }
}

describe('DELETE /api/agents/instances/{instance_id}', () => {
  it('soft-deletes; cascade=true also hides the history through the history source', async (t) => {
    const history = historySource([{ id: 'h1', userInput: 'hi', aiResponse: 'hello', timestamp: 1_700_000_000_500, isDeleted: false }])
    const { app, deps } = await setup(t, { instanceHistory: history })
    await createInstance(app)
    await createInstance(app, { instance_id: 'other' })
    const soft = await app.inject({ method: 'DELETE', url: `${api}/other` })
    assert.deepEqual(soft.json(), {
      success: true,
      message: 'Instance soft deleted successfully (marked as deleted)',
      instance_id: 'other',
      deletion_type: 'soft',
      isDeleted: true,
      history_messages_affected: 0,
    })
    assert.deepEqual(history.hidden, [])
    const cascade = await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc?cascade=true` })
    assert.equal(cascade.json().history_messages_affected, 1)
    assert.deepEqual(history.hidden, ['instance-1-abc'])
    const stored = await deps.instances.context('instance-1-abc')
    assert.deepEqual([stored.instance.isDeleted, stored.instance.deletedReason, stored.instance.deletedAt], [true, 'deleted', Date.UTC(2026, 0, 1)])
    assert.equal((await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc` })).statusCode, 200, 'repeating a soft delete succeeds')
  })

  it('hard=true removes the row', async (t) => {
    const history = historySource([])
    const { app } = await setup(t, { instanceHistory: history })
    await createInstance(app)
    const hard = await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc?hard=true&cascade=true` })
    assert.deepEqual(hard.json(), {
      success: true,
      message: 'Instance permanently deleted',
      instance_id: 'instance-1-abc',
      deletion_type: 'hard',
      cascade_deleted: { history_records: 0 },
    })
    assert.equal((await app.inject({ url: `${api}?include_deleted=true` })).json().count, 0)
    assert.equal((await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc` })).statusCode, 404)
  })

  it('answers 404 (object) for an unknown instance and 422 for a bad flag', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'DELETE', url: `${api}/nope` })
    assert.deepEqual([res.statusCode, res.json().detail], [404, { success: false, error: 'Instance not found', instance_id: 'nope' }])
    assert.equal((await app.inject({ method: 'DELETE', url: `${api}/nope?cascade=maybe` })).statusCode, 422)
  })
})

describe('GET /api/agents/context/{instance_id}', () => {
  it('answers persona, procedure, history (epoch seconds) and cwd', async (t) => {
    const history = historySource([
      { id: 'h1', userInput: 'summarise', aiResponse: 'done', timestamp: 1_700_000_000_500, isDeleted: false },
      { id: 'h2', userInput: 'again', aiResponse: 'ok', timestamp: 1_700_000_100_000, isDeleted: true },
    ])
    const { app } = await setup(t, { instanceHistory: history })
    await app.inject({ method: 'PATCH', url: '/api/agents/Helper_Agent', payload: { ai_provider: 'claude' } })
    await createInstance(app, { cwd: '/work' })
    const body = (await app.inject({ url: '/api/agents/context/instance-1-abc' })).json()
    assert.equal(body.persona, PERSONA)
    assert.equal(body.cwd, '/work')
    const procedure = JSON.parse(body.operating_procedure)
    assert.deepEqual([procedure.name, procedure.ai_provider, procedure.mcp_configs], ['Helper_Agent', 'claude', ['git', 'crm']])
    assert.deepEqual(body.history, [
      {
        _id: 'h1',
        user_input: 'summarise',
        ai_response: 'done',
        timestamp: 1_700_000_000.5,
        createdAt: '2023-11-14T22:13:20.500Z',
        isDeleted: false,
      },
      { _id: 'h2', user_input: 'again', ai_response: 'ok', timestamp: 1_700_000_100, createdAt: '2023-11-14T22:15:00.000Z', isDeleted: true },
    ])
  })

  it('still reads when the instance and its agent were deleted; 404 for unknown instances', async (t) => {
    const { app } = await setup(t)
    await createInstance(app)
    await app.inject({ method: 'DELETE', url: `${api}/instance-1-abc` })
    await app.inject({ method: 'DELETE', url: '/api/agents/Helper_Agent' })
    const body = (await app.inject({ url: '/api/agents/context/instance-1-abc' })).json()
    assert.equal(body.persona, PERSONA)
    assert.equal(JSON.parse(body.operating_procedure).name, 'Helper_Agent')
    assert.deepEqual(body.history, [])
    const missing = await app.inject({ url: '/api/agents/context/nope' })
    assert.deepEqual([missing.statusCode, missing.json().detail], [404, "Instance 'nope' not found"])
  })
})

describe('cascades', () => {
  it('deleting a screenplay hides its instances, and only those', async (t) => {
    const { app, deps } = await setup(t)
    const play = (await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'Play' } })).json()
    await createInstance(app, { instance_id: 'in-play', screenplay_id: play.id })
    await createInstance(app, { instance_id: 'elsewhere', screenplay_id: 'other-play' })
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/screenplays/${play.id}` })).statusCode, 204)
    assert.deepEqual(
      (await app.inject({ url: api })).json().instances.map((i: { instance_id: string }) => i.instance_id),
      ['elsewhere'],
    )
    assert.equal((await deps.instances.context('in-play')).instance.deletedReason, 'screenplay_deleted')
  })

  it('hideForConversation and cloneForConversation run inside a given transaction', async (t) => {
    const { app, deps } = await setup(t)
    await createInstance(app, { instance_id: 'x1', conversation_id: 'conv-a', cwd: '/w', display_order: 2 })
    await createInstance(app, { instance_id: 'x2', conversation_id: 'conv-a' })
    await createInstance(app, { instance_id: 'gone', conversation_id: 'conv-a' })
    await app.inject({ method: 'DELETE', url: `${api}/gone` })
    await deps.instances.recordExecution('x1', { durationMs: 5, exitCode: 0, completedAt: 1 })
    const transact = transactorOf(deps.database.db)

    let ids: Record<string, string> = {}
    await transact(async (tx) => (ids = await deps.instances.cloneForConversation('conv-a', 'conv-b', 42, tx)))
    assert.deepEqual(Object.keys(ids).sort(), ['x1', 'x2'])
    const clone = await deps.instances.get(ids.x1!)
    assert.deepEqual([clone.conversationId, clone.cwd, clone.displayOrder, clone.statistics.taskCount, clone.createdAt], ['conv-b', '/w', 2, 0, 42])

    await assert.rejects(
      transact(async (tx) => {
        await deps.instances.hideForConversation('conv-a', 43, tx)
        throw new Error('roll back')
      }),
    )
    assert.equal((await deps.instances.get('x1')).isDeleted, false, 'a rolled-back cascade hides nothing')
    await transact((tx) => deps.instances.hideForConversation('conv-a', 44, tx))
    await assert.rejects(deps.instances.get('x1'), { status: 404 })
    assert.equal((await deps.instances.context('x2')).instance.deletedReason, 'conversation_deleted')
    assert.equal((await deps.instances.get(ids.x2!)).isDeleted, false)
  })
})

describe('InstancesService.draft / insertDraft', () => {
  it('drafts a missing instance, stores it once even when requests race, and finds it afterwards', async (t) => {
    const { app, deps } = await setup(t)
    const transact = transactorOf(deps.database.db)
    assert.equal(await deps.instances.findAny('run-1'), undefined)
    const drafts = Array.from({ length: 5 }, () => deps.instances.draft({ instanceId: 'run-1', agentId: 'Helper_Agent', conversationId: 'c' }, null))
    assert.ok(drafts.every((d) => d.instanceId === 'run-1'))
    assert.equal((await app.inject({ url: `${api}?include_deleted=true` })).json().count, 0, 'a draft is not stored')
    await Promise.all(drafts.map((d) => transact((uow) => deps.instances.insertDraft(d, uow))))
    assert.equal((await app.inject({ url: `${api}?include_deleted=true` })).json().count, 1)
    const again = await deps.instances.findAny('run-1')
    assert.equal(again?.conversationId, 'c')
  })
})
