import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp } from '../../../test/helpers/build-test-app.js'
import { createAgent } from '../../../test/helpers/agent-factories.js'

describe('POST /execute', () => {
  it('runs the command (input, then command, then textEntries) and answers its output', async (t) => {
    const { app } = await buildTestApp(t)
    for (const payload of [{ input: 'via input' }, { command: 'via command' }, { textEntries: [{ content: 'via entries', type: 'text' }] }]) {
      const res = await app.inject({ method: 'POST', url: '/execute', payload: { ...payload, ai_provider: 'echo' } })
      assert.equal(res.statusCode, 200, res.body)
      assert.equal(res.json().status, 'success')
      assert.equal(res.json().result, Object.values(payload)[0] === payload.textEntries ? 'via entries' : Object.values(payload)[0])
    }
  })

  it('answers 400 without a command and 502 when the run fails', async (t) => {
    const { app } = await buildTestApp(t)
    for (const payload of [{}, { textEntries: [] }, { input: ' ' }]) {
      const res = await app.inject({ method: 'POST', url: '/execute', payload })
      assert.deepEqual([res.statusCode, res.json().detail], [400, 'No command found in payload'])
    }
    const failed = await app.inject({ method: 'POST', url: '/execute', payload: { input: 'x', ai_provider: 'openai' } })
    assert.equal(failed.statusCode, 502)
    assert.match(failed.json().detail, /The agent run failed/)
  })
})

describe('POST /execute-agent', () => {
  it('runs an agent in a working directory and answers like a process', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const res = await app.inject({ method: 'POST', url: '/execute-agent', payload: { agent_id: agentId, input_text: 'do it', cwd: '/srv/x' } })
    assert.equal(res.statusCode, 200)
    const { task_id: taskId, ...rest } = res.json() as Record<string, unknown>
    assert.deepEqual(rest, { status: 'success', returncode: 0, stdout: 'do it', stderr: '', result: 'do it' })
    assert.match(String(taskId), /^[0-9a-f]{24}$/)
  })

  it('answers 400 when agent_id, input_text or cwd is missing, 404 for an unknown agent', async (t) => {
    const { app } = await buildTestApp(t)
    const missing = await app.inject({ method: 'POST', url: '/execute-agent', payload: { agent_id: 'A', input_text: 'x' } })
    assert.deepEqual([missing.statusCode, missing.json().detail], [400, 'agent_id, input_text e cwd são obrigatórios'])
    const unknown = await app.inject({ method: 'POST', url: '/execute-agent', payload: { agent_id: 'Nope_Agent', input_text: 'x', cwd: '/a' } })
    assert.equal(unknown.statusCode, 404)
  })
})

describe('POST /conductor/execute', () => {
  it('runs agent requests and answers catalog commands itself', async (t) => {
    const { app } = await buildTestApp(t)
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const run = await app.inject({
      method: 'POST',
      url: '/conductor/execute',
      payload: { agent_name: agentId, input_text: 'hello', cwd: '/srv', timeout: 30 },
    })
    assert.equal(run.statusCode, 200)
    assert.equal(run.json().result, 'hello')
    assert.equal(run.json().exit_code, 0)
    const list = await app.inject({ method: 'POST', url: '/conductor/execute', payload: { list_agents: true } })
    assert.match(list.json().stdout, new RegExp(agentId))
    const info = await app.inject({ method: 'POST', url: '/conductor/execute', payload: { info_agent: agentId } })
    assert.equal(JSON.parse(info.json().stdout).agent_id, agentId)
  })

  it('answers 4xx for unknown commands, installation commands and missing input', async (t) => {
    const { app } = await buildTestApp(t)
    assert.equal((await app.inject({ method: 'POST', url: '/conductor/execute', payload: { dance: true } })).statusCode, 400)
    assert.equal((await app.inject({ method: 'POST', url: '/conductor/execute', payload: { backup: true } })).statusCode, 400)
    assert.equal((await app.inject({ method: 'POST', url: '/conductor/execute', payload: { agent_id: 'A' } })).statusCode, 400)
    assert.equal((await app.inject({ method: 'POST', url: '/conductor/execute', payload: [1] })).statusCode, 422)
  })
})
