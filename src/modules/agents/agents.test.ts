import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'
import { createAgent, PERSONA } from '../../../test/helpers/agent-factories.js'

async function setup(t: TestContext) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock })
  return { app, deps, clock }
}

describe('GET /api/agents', () => {
  it('answers a bare array with id and agent_id carrying the same value', async (t) => {
    const { app } = await setup(t)
    assert.deepEqual((await app.inject({ url: '/api/agents' })).json(), [])
    await createAgent(app, { name: 'Zeta_Agent', tags: ['ops'], mcp_configs: ['crm'], emoji: '🦊' })
    await createAgent(app, { name: 'Alpha_Agent', ai_provider: 'anthropic', model: 'claude-sonnet' })
    const list = (await app.inject({ url: '/api/agents' })).json()
    assert.deepEqual(
      list.map((a: { id: string }) => a.id),
      ['Alpha_Agent', 'Zeta_Agent'],
    )
    const zeta = list[1]
    assert.equal(zeta.agent_id, 'Zeta_Agent')
    assert.equal(zeta.group, 'other')
    assert.equal(zeta.model, '')
    assert.equal(zeta.ai_provider, null)
    assert.equal(zeta.is_councilor, false)
    assert.deepEqual([zeta.emoji, zeta.tags, zeta.mcp_configs], ['🦊', ['ops'], ['crm']])
    assert.equal(zeta.created_at, '2026-01-01T00:00:00.000Z')
    assert.deepEqual([list[0].ai_provider, list[0].model], ['anthropic', 'claude-sonnet'])
  })

  it('leaves deleted agents out', async (t) => {
    const { app } = await setup(t)
    await createAgent(app, { name: 'Gone_Agent' })
    await createAgent(app, { name: 'Kept_Agent' })
    await app.inject({ method: 'DELETE', url: '/api/agents/Gone_Agent' })
    assert.deepEqual(
      (await app.inject({ url: '/api/agents' })).json().map((a: { id: string }) => a.id),
      ['Kept_Agent'],
    )
  })
})

describe('POST /api/agents', () => {
  it('creates the agent with its persona as version 1 and executor defaults', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: {
        name: 'Writer_Agent',
        description: 'Writes release notes',
        persona_content: PERSONA,
        group: 'content',
        ai_provider: 'echo',
        model: 'm1',
        mcp_configs: ['git', 'git'],
      },
    })
    assert.equal(res.statusCode, 201)
    assert.deepEqual(res.json(), { status: 'success', agent_id: 'Writer_Agent', message: "Agent 'Writer_Agent' created", persona_version: 1 })
    const agent = (await app.inject({ url: '/api/agents/Writer_Agent' })).json()
    assert.deepEqual([agent.group, agent.ai_provider, agent.model, agent.mcp_configs], ['content', 'echo', 'm1', ['git']])
    const persona = (await app.inject({ url: '/api/agents/Writer_Agent/persona' })).json()
    assert.equal(persona.persona_content, PERSONA)
    assert.equal(persona.version, 1)
  })

  it('creates an agent without a persona', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/agents', payload: { name: 'Bare_Agent', description: 'No persona yet here' } })
    assert.equal(res.statusCode, 201)
    assert.equal(res.json().persona_version, null)
    assert.deepEqual((await app.inject({ url: '/api/agents/Bare_Agent/persona' })).json(), {
      agent_id: 'Bare_Agent',
      persona_content: '',
      has_persona: false,
    })
  })

  it('answers 409 when the agent exists', async (t) => {
    const { app } = await setup(t)
    await createAgent(app)
    const res = await app.inject({ method: 'POST', url: '/api/agents', payload: { name: 'Helper_Agent', description: 'Another helper agent' } })
    assert.equal(res.statusCode, 409)
    assert.equal(res.json().detail, 'Agent already exists: Helper_Agent')
  })

  it('revives a deleted agent with the new fields and continues its persona history', async (t) => {
    const { app } = await setup(t)
    await createAgent(app)
    await app.inject({ method: 'DELETE', url: '/api/agents/Helper_Agent' })
    const res = await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: { name: 'Helper_Agent', description: 'Reborn helper agent', persona_content: `${PERSONA} Again.` },
    })
    assert.equal(res.statusCode, 201)
    assert.equal(res.json().persona_version, 2)
    assert.equal((await app.inject({ url: '/api/agents/Helper_Agent' })).json().description, 'Reborn helper agent')
  })

  it('answers 422 with readable details for invalid fields', async (t) => {
    const { app } = await setup(t)
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: 'A_Agent', description: 'short' }, /body\.description: must be at least 10 characters/],
      [{ name: 'A_Agent', description: 'x'.repeat(201) }, /body\.description: cannot exceed 200 characters/],
      [{ name: 'A_Agent', description: 'long enough text', persona_content: '# too short' }, /body\.persona_content: must be at least 50 characters/],
      [
        { name: 'A_Agent', description: 'long enough text', persona_content: `${PERSONA}\u0001` },
        /body\.persona_content: contains a control character \(U\+0001\)/,
      ],
      [
        { name: 'A_Agent', description: 'long enough text', persona_content: 'You help engineers with their daily work, carefully and briefly.' },
        /body\.persona_content: must start with a markdown heading/,
      ],
      [
        // A heading further down is not enough: the persona must open with it.
        {
          name: 'A_Agent',
          description: 'long enough text',
          persona_content: 'You help engineers with their daily work.\n# Persona: Helper\n\nBriefly.',
        },
        /body\.persona_content: must start with a markdown heading/,
      ],
      [{ name: 'a/b', description: 'long enough text' }, /body\.name: cannot contain/],
      [{ name: 'instances', description: 'long enough text' }, /body\.name: cannot be one of/],
      [{ name: 'A_Agent', description: 'long enough text', ai_provider: 'skynet' }, /body\.ai_provider/],
      [{ description: 'long enough text' }, /body\.name: is required/],
    ]
    for (const [payload, detail] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/agents', payload })
      assert.equal(res.statusCode, 422, JSON.stringify(payload))
      assert.match(res.json().detail, detail)
    }
    assert.deepEqual((await app.inject({ url: '/api/agents' })).json(), [])
  })
})

describe('GET /api/agents/{agent_id}', () => {
  it('answers 404 for unknown and deleted agents', async (t) => {
    const { app } = await setup(t)
    await createAgent(app)
    await app.inject({ method: 'DELETE', url: '/api/agents/Helper_Agent' })
    for (const id of ['Helper_Agent', 'Nobody_Agent']) {
      const res = await app.inject({ url: `/api/agents/${id}` })
      assert.equal(res.statusCode, 404)
      assert.equal(res.json().detail, `Agent not found: ${id}`)
    }
  })
})

describe('PUT /api/agents/{agent_id}', () => {
  it('updates the given fields and reports them in order', async (t) => {
    const { app, clock } = await setup(t)
    await createAgent(app)
    clock.advance(1000)
    const res = await app.inject({
      method: 'PUT',
      url: '/api/agents/Helper_Agent',
      payload: {
        tags: ['a'],
        name: 'Helper Renamed',
        persona_content: `${PERSONA} Now better.`,
        group: 'devops',
        ai_provider: 'claude',
        model: null,
      },
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      status: 'success',
      agent_id: 'Helper_Agent',
      updated_fields: ['name', 'group', 'tags', 'persona_content', 'ai_provider', 'model'],
      message: "Agent 'Helper_Agent' updated successfully",
    })
    const agent = (await app.inject({ url: '/api/agents/Helper_Agent' })).json()
    assert.deepEqual(
      [agent.name, agent.group, agent.tags, agent.ai_provider, agent.updated_at],
      ['Helper Renamed', 'devops', ['a'], 'claude', '2026-01-01T00:00:01.000Z'],
    )
    assert.equal((await app.inject({ url: '/api/agents/Helper_Agent/persona' })).json().version, 2)
  })

  it('records no persona version when the content did not change', async (t) => {
    const { app } = await setup(t)
    await createAgent(app)
    await app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent', payload: { emoji: '🐙', persona_content: `  ${PERSONA}\n` } })
    const versions = (await app.inject({ url: '/api/agents/Helper_Agent/persona/versions' })).json()
    assert.equal(versions.total, 1)
  })

  it('answers "No fields to update" without writing, 404 for unknown agents, 422 for bad values', async (t) => {
    const { app } = await setup(t)
    await createAgent(app)
    const empty = await app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent', payload: {} })
    assert.deepEqual(empty.json(), { status: 'success', agent_id: 'Helper_Agent', updated_fields: [], message: 'No fields to update' })
    const missing = await app.inject({ method: 'PUT', url: '/api/agents/Nobody', payload: { emoji: '🐙' } })
    assert.equal(missing.statusCode, 404)
    const bad = await app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent', payload: { tags: 'not-a-list' } })
    assert.equal(bad.statusCode, 422)
    assert.match(bad.json().detail, /body\.tags/)
  })
})

describe('PATCH /api/agents/{agent_id}', () => {
  it('sets MCP servers and executor defaults', async (t) => {
    const { app, deps } = await setup(t)
    await createAgent(app)
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/agents/Helper_Agent',
      payload: { mcp_configs: ['crm', 'git'], ai_provider: 'openai', model: 'gpt-4.1-mini' },
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      success: true,
      agent: {
        id: 'Helper_Agent',
        agent_id: 'Helper_Agent',
        name: 'Helper_Agent',
        emoji: '🤖',
        description: 'Helps engineers with daily work',
        mcp_configs: ['crm', 'git'],
        tags: [],
        ai_provider: 'openai',
        model: 'gpt-4.1-mini',
      },
      message: "Agent 'Helper_Agent' updated successfully",
    })
    const agent = await deps.agents.get('Helper_Agent')
    assert.deepEqual([agent.aiProvider, agent.model, agent.mcpConfigs], ['openai', 'gpt-4.1-mini', ['crm', 'git']])
  })

  it('answers 404 for an unknown agent and 422 for an unknown provider', async (t) => {
    const { app } = await setup(t)
    await createAgent(app)
    assert.equal((await app.inject({ method: 'PATCH', url: '/api/agents/Nobody', payload: { mcp_configs: [] } })).statusCode, 404)
    const bad = await app.inject({ method: 'PATCH', url: '/api/agents/Helper_Agent', payload: { ai_provider: 'gpt' } })
    assert.equal(bad.statusCode, 422)
  })
})

describe('DELETE /api/agents/{agent_id}', () => {
  it('removes the agent from the catalog but keeps it readable for what references it', async (t) => {
    const { app, deps } = await setup(t)
    await createAgent(app)
    const res = await app.inject({ method: 'DELETE', url: '/api/agents/Helper_Agent' })
    assert.deepEqual(res.json(), { success: true, agent_id: 'Helper_Agent', message: "Agent 'Helper_Agent' deleted successfully" })
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/agents/Helper_Agent' })).statusCode, 404)
    assert.equal((await deps.agents.get('Helper_Agent', { includeDeleted: true })).isDeleted, true)
    assert.equal((await deps.personas.current('Helper_Agent'))?.version, 1)
    assert.equal(await deps.agents.find('Helper_Agent'), undefined)
  })
})

describe('agent executor defaults in runs', () => {
  it("runs use the agent's ai_provider and model unless the request names its own", async (t) => {
    const { app } = await setup(t)
    await createAgent(app, { ai_provider: 'echo', model: 'agent-model' })
    const run = async (body: Record<string, unknown>) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/runs',
        payload: { input: 'hello there', agent_id: 'Helper_Agent', wait: true, ...body },
      })
      assert.equal(res.statusCode, 200, res.body)
      return res.json()
    }
    const byAgent = await run({})
    assert.deepEqual([byAgent.status, byAgent.provider, byAgent.model], ['completed', 'echo', 'agent-model'])
    assert.equal((await run({ model: 'request-model' })).model, 'request-model')

    await app.inject({ method: 'PATCH', url: '/api/agents/Helper_Agent', payload: { ai_provider: 'openai', model: 'gpt-test' } })
    const changed = await run({})
    assert.deepEqual(
      [changed.provider, changed.model, changed.status],
      ['openai', 'gpt-test', 'failed'],
      'no OpenAI key in tests: the agent default was used, not echo',
    )
    const overridden = await run({ ai_provider: 'echo' })
    assert.deepEqual([overridden.provider, overridden.status], ['echo', 'completed'])
  })
})

describe('AgentsService.find', () => {
  it('finds a live agent by id, then by name', async (t) => {
    const { app, deps } = await setup(t)
    await createAgent(app)
    await app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent', payload: { name: 'Friendly Helper' } })
    assert.equal((await deps.agents.find('Helper_Agent'))?.agentId, 'Helper_Agent')
    assert.equal((await deps.agents.find('Friendly Helper'))?.agentId, 'Helper_Agent')
    assert.equal(await deps.agents.find('Nobody'), undefined)
  })
})
