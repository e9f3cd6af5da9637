import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'
import { createAgent, PERSONA } from '../../../test/helpers/agent-factories.js'

async function setup(t: TestContext, agent: Record<string, unknown> = {}) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock })
  await createAgent(app, agent)
  return { app, deps, clock }
}

const url = '/api/agents/Helper_Agent/persona'

describe('GET /api/agents/{agent_id}/persona', () => {
  it('answers the current persona with its version', async (t) => {
    const { app } = await setup(t)
    const body = (await app.inject({ url })).json()
    assert.equal(body.agent_id, 'Helper_Agent')
    assert.equal(body.persona_content, PERSONA)
    assert.equal(body.has_persona, true)
    assert.equal(body.version, 1)
    assert.match(body.content_hash, /^[0-9a-f]{64}$/)
  })

  it('answers 404 for an unknown agent', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ url: '/api/agents/Nobody/persona' })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().detail, 'Agent not found: Nobody')
  })
})

describe('POST /api/agents/{agent_id}/persona', () => {
  it('creates the persona of an agent without one (201), stored trimmed', async (t) => {
    const { app } = await setup(t, { persona_content: undefined })
    const res = await app.inject({ method: 'POST', url, payload: { content: `\n  ${PERSONA}  \n`, metadata: { source: 'test' } } })
    assert.equal(res.statusCode, 201)
    const body = res.json()
    assert.deepEqual([body.agent_id, body.content, body.version, body.metadata], ['Helper_Agent', PERSONA, 1, { source: 'test' }])
    assert.equal(body.created_at, '2026-01-01T00:00:00.000Z')
  })

  it('answers 409 when the agent already has one, 404 for an unknown agent', async (t) => {
    const { app } = await setup(t)
    const again = await app.inject({ method: 'POST', url, payload: { content: PERSONA } })
    assert.equal(again.statusCode, 409)
    assert.equal(again.json().detail, "Agent 'Helper_Agent' already has a persona; use PUT to update it")
    assert.equal((await app.inject({ method: 'POST', url: '/api/agents/Nobody/persona', payload: { content: PERSONA } })).statusCode, 404)
  })

  it('validates content and metadata with readable 422s', async (t) => {
    const { app } = await setup(t, { persona_content: undefined })
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ content: '   ' }, /body\.content: cannot be empty/],
      [{ content: 'x'.repeat(50_001) }, /body\.content: cannot exceed 50000 characters \(got 50001\)/],
      [{ content: 'ok\u0007bell' }, /body\.content: contains a control character \(U\+0007\) at position 2/],
      [{ content: PERSONA, metadata: { '': 1 } }, /body\.metadata: keys cannot be empty/],
      [{ content: PERSONA, metadata: { big: 'x'.repeat(5000) } }, /body\.metadata: cannot exceed 5000 characters as JSON/],
      [{ content: PERSONA, metadata: [1] }, /body\.metadata/],
      [{}, /body\.content: is required/],
    ]
    for (const [payload, detail] of cases) {
      const res = await app.inject({ method: 'POST', url, payload })
      assert.equal(res.statusCode, 422, JSON.stringify(payload).slice(0, 80))
      assert.match(res.json().detail, detail)
    }
    assert.equal((await app.inject({ url })).json().has_persona, false)
  })
})

describe('PUT /api/agents/{agent_id}/persona', () => {
  it('records a new version and keeps the metadata when none is sent', async (t) => {
    const { app, clock } = await setup(t, { persona_content: undefined })
    await app.inject({ method: 'POST', url, payload: { content: PERSONA, metadata: { team: 'core' } } })
    clock.advance(5000)
    const res = await app.inject({ method: 'PUT', url, payload: { content: `${PERSONA}\nSecond.`, reason: 'clarify' } })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual([body.version, body.metadata, body.updated_at], [2, { team: 'core' }, '2026-01-01T00:00:05.000Z'])
    const latest = (await app.inject({ url: `${url}/versions/latest` })).json()
    assert.equal(latest.change_description, 'clarify')
  })

  it('answers 404 when there is no persona yet, 422 without content', async (t) => {
    const { app } = await setup(t, { persona_content: undefined })
    const res = await app.inject({ method: 'PUT', url, payload: { content: PERSONA } })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json().detail, "Agent 'Helper_Agent' has no persona")
    assert.equal((await app.inject({ method: 'PUT', url, payload: { metadata: {} } })).statusCode, 422)
  })
})

describe('PUT /api/agents/{agent_id}/persona/permanent', () => {
  it("saves the client's content as a new version with its reason", async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'PUT', url: `${url}/permanent`, payload: { content: '# New persona\n\nBe concise.', reason: 'tone' } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      success: true,
      message: "Persona of agent 'Helper_Agent' saved as version 2",
      agent_id: 'Helper_Agent',
      version: 2,
    })
    assert.equal((await app.inject({ url })).json().persona_content, '# New persona\n\nBe concise.')
    const version = (await app.inject({ url: `${url}/versions/2` })).json()
    assert.deepEqual([version.change_description, version.created_by], ['tone', 'web-client'])
  })

  it('creates the persona when the agent had none and takes a legacy metadata.reason', async (t) => {
    const { app } = await setup(t, { persona_content: undefined })
    const res = await app.inject({ method: 'PUT', url: `${url}/permanent`, payload: { content: PERSONA, metadata: { reason: 'first save' } } })
    assert.equal(res.json().version, 1)
    assert.equal((await app.inject({ url: `${url}/versions/1` })).json().change_description, 'first save')
  })

  it('answers 404 for an unknown agent and 422 for blank content', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ method: 'PUT', url: '/api/agents/Nobody/persona/permanent', payload: { content: PERSONA } })).statusCode, 404)
    assert.equal((await app.inject({ method: 'PUT', url: `${url}/permanent`, payload: { content: ' ' } })).statusCode, 422)
  })
})

describe('DELETE /api/agents/{agent_id}/persona', () => {
  it('removes the persona but keeps its history; a second delete is 404', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'DELETE', url })
    assert.equal(res.statusCode, 204)
    assert.equal((await app.inject({ url })).json().has_persona, false)
    assert.equal((await app.inject({ url: `${url}/versions` })).json().total, 1)
    const again = await app.inject({ method: 'DELETE', url })
    assert.equal(again.statusCode, 404)
    assert.equal(again.json().detail, "Agent 'Helper_Agent' has no persona")
    const recreated = await app.inject({ method: 'POST', url, payload: { content: PERSONA } })
    assert.equal(recreated.json().version, 2)
  })

  it('answers 404 for an unknown agent', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/agents/Nobody/persona' })).statusCode, 404)
  })
})

describe('GET /api/agents/personas', () => {
  it('pages through current personas, most recently changed first', async (t) => {
    const { app, clock } = await setup(t)
    for (const name of ['B_Agent', 'C_Agent']) {
      clock.advance(1000)
      await createAgent(app, { name })
    }
    const first = (await app.inject({ url: '/api/agents/personas?per_page=2' })).json()
    assert.deepEqual(
      first.personas.map((p: { agent_id: string }) => p.agent_id),
      ['C_Agent', 'B_Agent'],
    )
    assert.deepEqual([first.total, first.page, first.per_page, first.has_next, first.has_prev], [3, 1, 2, true, false])
    const second = (await app.inject({ url: '/api/agents/personas?per_page=2&page=2' })).json()
    assert.deepEqual([second.personas.length, second.has_next, second.has_prev], [1, false, true])
    const one = (await app.inject({ url: '/api/agents/personas?agent_id=B_Agent' })).json()
    assert.deepEqual(
      one.personas.map((p: { agent_id: string }) => p.agent_id),
      ['B_Agent'],
    )
  })

  it('answers 422 for out-of-range paging', async (t) => {
    const { app } = await setup(t)
    for (const query of ['page=0', 'per_page=0', 'per_page=101', 'page=x']) {
      assert.equal((await app.inject({ url: `/api/agents/personas?${query}` })).statusCode, 422, query)
    }
  })
})

describe('GET /api/agents/{agent_id}/persona/validate', () => {
  it('reports valid content with its statistics and invalid content with the reason', async (t) => {
    const { app } = await setup(t)
    const content = '# Title\n\n- **bold** item\n- [link](http://x)\n\n```js\ncode\n```'
    const valid = (await app.inject({ url: `${url}/validate?content=${encodeURIComponent(`  ${content}\n`)}` })).json()
    assert.equal(valid.is_valid, true)
    assert.equal(valid.validation.content_length, content.length)
    assert.deepEqual(valid.validation.stats.markdown_elements, { headers: 1, bold: 1, italic: 2, code_blocks: 1, links: 1, images: 0, lists: 2 })
    const invalid = (await app.inject({ url: `${url}/validate?content=%20` })).json()
    assert.deepEqual(invalid, { is_valid: false, message: 'Persona content cannot be empty', validation: null })
  })

  it('answers 404 for an unknown agent and 422 without content', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ url: '/api/agents/Nobody/persona/validate?content=x' })).statusCode, 404)
    assert.equal((await app.inject({ url: `${url}/validate` })).statusCode, 422)
  })
})

describe('GET /api/agents/{agent_id}/persona/stats', () => {
  it('answers statistics of the current persona', async (t) => {
    const { app } = await setup(t)
    const body = (await app.inject({ url: `${url}/stats` })).json()
    assert.equal(body.agent_id, 'Helper_Agent')
    assert.equal(body.version, 1)
    assert.deepEqual([body.content_stats.lines, body.content_stats.words, body.content_stats.characters], [3, 13, PERSONA.length])
    assert.equal(body.content_stats.markdown_elements.headers, 1)
  })

  it('answers 404 when the agent has no persona or does not exist', async (t) => {
    const { app } = await setup(t, { persona_content: undefined })
    assert.equal((await app.inject({ url: `${url}/stats` })).statusCode, 404)
    assert.equal((await app.inject({ url: '/api/agents/Nobody/persona/stats' })).statusCode, 404)
  })
})

describe('PersonasService.current', () => {
  it('answers the current content and version, undefined without a persona', async (t) => {
    const { app, deps } = await setup(t)
    await app.inject({ method: 'PUT', url: `${url}/permanent`, payload: { content: '# Two\n\nSecond version of the persona.' } })
    assert.deepEqual(await deps.personas.current('Helper_Agent'), { content: '# Two\n\nSecond version of the persona.', version: 2 })
    assert.equal(await deps.personas.current('Nobody'), undefined)
  })
})
