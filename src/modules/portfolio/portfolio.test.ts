import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.js'
import { createAgent } from '../../../test/helpers/agent-factories.js'

const env = { PORTFOLIO_AGENT_ID: 'PortfolioAssistant_Agent', PORTFOLIO_RATE_LIMIT: '3' }

describe('POST /api/v1/portfolio-chat', () => {
  it('answers with the assistant and keeps a visitor in their own session', async (t) => {
    const { app } = await buildTestApp(t, { env })
    await createAgent(app, { name: 'PortfolioAssistant_Agent', ai_provider: 'echo' })
    const first = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'who are you?' } })
    assert.equal(first.statusCode, 200, first.body)
    assert.equal(first.json().response, 'who are you?')
    const session = first.json().session_id
    assert.match(session, /^ps_/)
    const second = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'and again', session_id: session } })
    assert.equal(second.json().session_id, session, 'the same session continues')
    const conversationId = /^ps_(.+)\./.exec(session)![1]!
    const messages = (await app.inject({ url: `/api/conversations/${conversationId}` })).json().messages
    assert.deepEqual(
      messages.map((m: { content: string }) => m.content),
      ['who are you?', 'who are you?', 'and again', 'and again'],
    )
  })

  it('never lets a caller pick a session it was not given', async (t) => {
    const { app } = await buildTestApp(t, { env: { ...env, PORTFOLIO_RATE_LIMIT: '20' } })
    await createAgent(app, { name: 'PortfolioAssistant_Agent', ai_provider: 'echo' })
    const victim = (await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'private' } })).json().session_id
    const conversationId = /^ps_(.+)\./.exec(victim)![1]!
    for (const forged of [conversationId, `ps_${conversationId}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, 'portfolio-session-123']) {
      const res = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'let me in', session_id: forged } })
      assert.equal(res.statusCode, 200)
      assert.notEqual(res.json().session_id, victim, 'a new session, not the victim’s')
    }
    const messages = (await app.inject({ url: `/api/conversations/${conversationId}` })).json().messages
    assert.equal(messages.length, 2)
  })

  it('limits each client per minute with a readable 429', async (t) => {
    const { app } = await buildTestApp(t, { env })
    await createAgent(app, { name: 'PortfolioAssistant_Agent', ai_provider: 'echo' })
    for (let i = 0; i < 3; i++) {
      assert.equal((await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: `m${i}` } })).statusCode, 200)
    }
    const limited = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'one more' } })
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.json().detail, 'Rate limit exceeded: 3 per 1 minute')
    assert.ok(limited.headers['retry-after'])
    const other = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'hi' }, remoteAddress: '10.0.0.9' })
    assert.equal(other.statusCode, 200, 'another client has its own budget')
    const unlimited = await app.inject({ url: '/health' })
    assert.equal(unlimited.headers['x-ratelimit-limit'], undefined, 'other routes are not limited')
  })

  it('answers 422 for bad bodies and 503 when the assistant agent does not exist', async (t) => {
    const { app } = await buildTestApp(t, { env })
    const empty = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: '' } })
    assert.equal(empty.statusCode, 422)
    const long = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'x'.repeat(2001) } })
    assert.equal(long.statusCode, 422)
    const missing = await app.inject({ method: 'POST', url: '/api/v1/portfolio-chat', payload: { message: 'hi' } })
    assert.equal(missing.statusCode, 503)
    assert.match(missing.json().detail, /not configured/)
  })
})
