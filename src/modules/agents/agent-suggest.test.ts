import assert from 'node:assert/strict'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../../test/helpers/build-test-app.js'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { AgentRanker, tokenize } from './agent-suggest.js'

const CATALOG = [
  {
    name: 'ReadmeResume_Agent',
    description: 'Summarises README files of repositories',
    tags: ['docs', 'summary'],
    persona_content: '# Persona\n\nYou read README.md files and write a short summary of what the project does and how to run it.',
  },
  {
    name: 'SqlTuner_Agent',
    description: 'Speeds up slow PostgreSQL queries',
    tags: ['database', 'performance'],
    persona_content: '# Persona\n\nYou read EXPLAIN ANALYZE plans, propose indexes and rewrite slow SQL queries for PostgreSQL.',
  },
  {
    name: 'UnitTest_Agent',
    description: 'Writes unit tests for TypeScript code',
    tags: ['testing', 'typescript'],
    persona_content: '# Persona\n\nYou write focused unit tests with node:test, cover edge cases and error paths of functions.',
  },
  {
    name: 'K8sDeploy_Agent',
    description: 'Deploys services to Kubernetes clusters',
    tags: ['devops', 'kubernetes'],
    persona_content: '# Persona\n\nYou write Helm charts and kubectl manifests, set up rollouts, probes and autoscaling for deployments.',
  },
  {
    name: 'Tradutor_Agent',
    description: 'Traduz textos do inglês para português',
    tags: ['tradução', 'idiomas'],
    persona_content: '# Persona\n\nVocê traduz documentos técnicos do inglês para o português do Brasil mantendo a terminologia.',
  },
  {
    name: 'SecurityReview_Agent',
    description: 'Reviews code for security vulnerabilities',
    tags: ['security', 'audit'],
    persona_content: '# Persona\n\nYou audit code for injection, authentication flaws, secrets in repositories and unsafe dependencies.',
  },
]

async function setup(t: TestContext) {
  const { app, deps } = await buildTestApp(t)
  for (const agent of CATALOG) await createAgent(app, agent)
  return { app, deps }
}

async function suggest(app: FastifyInstance, message: string, extra: Record<string, unknown> = {}, query = '') {
  const res = await app.inject({ method: 'POST', url: `/api/agents/suggest${query}`, payload: { message, ...extra } })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

describe('POST /api/agents/suggest', () => {
  it('suggests the best-matching agent for each message', async (t) => {
    const { app } = await setup(t)
    const expectations: Array<[string, string]> = [
      ['Can you summarize the README of this repository?', 'ReadmeResume_Agent'],
      ['my postgres query is slow, which index should I add?', 'SqlTuner_Agent'],
      ['write unit tests for this typescript function', 'UnitTest_Agent'],
      ['deploy the api to the kubernetes cluster with helm', 'K8sDeploy_Agent'],
      ['traduza este documento para português', 'Tradutor_Agent'],
      ['check this code for security vulnerabilities and leaked secrets', 'SecurityReview_Agent'],
    ]
    for (const [message, expected] of expectations) {
      const body = await suggest(app, message)
      assert.equal(body.suggested?.agent_id, expected, message)
      assert.equal(body.source, 'local')
      assert.ok(body.suggested.score > 0 && body.suggested.score <= 1)
      assert.match(body.suggested.reason, /^Matches /)
      assert.ok(!body.alternatives.some((a: { agent_id: string }) => a.agent_id === expected))
      assert.equal(body.current_is_best, false)
      assert.equal('knowledge_hub' in body, false)
    }
  })

  it('says when the current agent is already the best', async (t) => {
    const { app } = await setup(t)
    const body = await suggest(app, 'slow sql query plan', { current_agent_id: 'SqlTuner_Agent' })
    assert.equal(body.current_is_best, true)
    assert.equal(body.suggested.agent_id, 'SqlTuner_Agent')
    assert.match(body.message, /current agent/)
  })

  it('answers the comparison slots with compare=true, both from the local ranker', async (t) => {
    const { app } = await setup(t)
    const body = await suggest(app, 'kubernetes rollout', {}, '?compare=true')
    assert.equal(body.knowledge_hub.suggested.agent_id, 'K8sDeploy_Agent')
    assert.deepEqual(body.qdrant_local, body.knowledge_hub)
    assert.equal(body.knowledge_hub.source, 'local')
    assert.equal(typeof body.knowledge_hub.suggested.score, 'number')
    assert.equal(body.knowledge_hub.suggested.emoji, '🤖')
    assert.equal(body.winner, 'tie')
    const none = await suggest(app, 'zzzz qqqq', {}, '?compare=true')
    assert.equal(none.suggested, null)
    assert.equal(none.winner, 'none')
  })

  it('answers suggested null when nothing matches', async (t) => {
    const { app } = await setup(t)
    const body = await suggest(app, 'the of and')
    assert.deepEqual(body, {
      suggested: null,
      alternatives: [],
      current_is_best: true,
      message: 'No agent in the catalog matches this message',
      source: 'local',
    })
  })

  it('follows catalog changes: new agents, deletions and persona edits', async (t) => {
    const { app } = await setup(t)
    assert.equal((await suggest(app, 'bake sourdough bread')).suggested, null)
    await createAgent(app, { name: 'Baker_Agent', description: 'Bakes sourdough bread at home' })
    assert.equal((await suggest(app, 'bake sourdough bread')).suggested.agent_id, 'Baker_Agent')
    await app.inject({
      method: 'PUT',
      url: '/api/agents/UnitTest_Agent/persona/permanent',
      payload: { content: '# Persona\n\nYou also know everything about origami folding and paper cranes.' },
    })
    assert.equal((await suggest(app, 'origami crane')).suggested.agent_id, 'UnitTest_Agent')
    await app.inject({ method: 'DELETE', url: '/api/agents/Baker_Agent' })
    assert.equal((await suggest(app, 'bake sourdough bread')).suggested, null)
  })

  it('answers 422 for an empty message', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/agents/suggest', payload: { message: '' } })
    assert.equal(res.statusCode, 422)
    assert.match(res.json().detail, /body\.message: cannot be empty/)
  })

  it('handles a catalog of a few thousand agents', async (t) => {
    const { app, deps } = await buildTestApp(t)
    const topics = ['billing', 'invoices', 'kubernetes', 'graphql', 'terraform', 'marketing', 'payroll', 'logistics', 'compliance', 'analytics']
    const ids = Array.from({ length: 2500 }, (_, i) => i)
    for (let start = 0; start < ids.length; start += 50) {
      await Promise.all(
        ids.slice(start, start + 50).map((i) =>
          deps.agents.create({
            name: `Worker${i}_Agent`,
            description: `Handles ${topics[i % topics.length]} tasks number w${i}`,
            tags: [topics[(i * 7) % topics.length]!],
            personaContent: `# Worker ${i}\n\nYou take care of ${topics[i % topics.length]} work for team w${i}.`,
          }),
        ),
      )
    }
    const body = await suggest(app, 'who handles w1234 terraform work?')
    assert.equal(body.suggested.agent_id, 'Worker1234_Agent')
    assert.equal(body.alternatives.length, 3)
  })
})

describe('tokenize / AgentRanker', () => {
  it('splits camelCase and snake_case names, drops accents, stopwords and plural s', () => {
    assert.deepEqual(tokenize('ReadmeResume_Agent'), ['readme', 'resume'])
    assert.deepEqual(tokenize('Tradução dos Documentos'), ['traducao', 'documento'])
  })

  it('ranks an empty catalog without failing', () => {
    assert.deepEqual(new AgentRanker([]).rank('anything', 3), [])
  })
})
