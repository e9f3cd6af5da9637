// The web client's councilor calls (web-client-contract.md §2.8 #47–58), over real HTTP.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createAgent } from '../../../test/helpers/agent-factories.js'
import { buildTestApp, listen } from '../../../test/helpers/build-test-app.js'
import { waitFor } from '../../../test/helpers/wait.js'

describe('the councilors dashboard, as the web client calls it', () => {
  it('boots, promotes, pauses, edits, runs now, reads the report and demotes', async (t) => {
    const { app } = await buildTestApp(t, { env: { COUNCILOR_SCHEDULER: 'false' } })
    const agentId = await createAgent(app, { ai_provider: 'echo' })
    const base = await listen(app)
    // biome-ignore lint/suspicious/noExplicitAny: JSON answers are read field by field, as the client does
    const call = async (method: string, url: string, body?: unknown): Promise<{ status: number; json: any }> => {
      const res = await fetch(`${base}${url}`, {
        method,
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      })
      return { status: res.status, json: await res.json() }
    }

    const boot = await call('GET', '/api/councilors?is_councilor=true')
    assert.deepEqual([boot.status, boot.json.agents, boot.json.count], [200, [], 0])

    const promoted = await call('POST', '/api/councilors/promote', {
      agent_id: agentId,
      councilor_config: {
        title: 'Build health',
        schedule: { type: 'interval', value: '30m', enabled: true },
        task: { name: 'Check the build', prompt: 'Warning: two deprecated calls', context_files: [], output_format: 'checklist' },
        notifications: { on_success: false, on_warning: true, on_error: true, channels: ['panel', 'toast', 'panel'] },
      },
      customization: { display_name: 'Builder' },
    })
    assert.equal(promoted.status, 201)
    const { instance_id: id, screenplay_id: screenplayId, conversation_id: conversationId } = promoted.json
    assert.ok(id && screenplayId && conversationId)
    assert.equal((await call('GET', `/api/screenplays/${screenplayId}`)).status, 200)

    const listed = await call('GET', '/api/councilors/instances')
    const [instance] = listed.json.instances
    assert.equal(instance.instance_id, id)
    assert.equal(instance.agent_id, agentId)
    assert.equal(instance.agent_name, 'Helper_Agent')
    assert.equal(instance.customization.display_name, 'Builder')
    assert.deepEqual(instance.councilor_config.notifications.channels, ['panel', 'toast'])
    assert.equal(instance.statistics.success_rate, 0)
    assert.equal(instance.last_execution, null)

    assert.equal((await call('PATCH', `/api/councilors/instances/${id}/schedule`, { enabled: false })).status, 200)
    const edited = await call('PATCH', `/api/councilors/instances/${id}/config`, {
      instance_id: id,
      is_instance: true,
      display_name: 'Builder 2',
      title: 'Build health',
      cwd: null,
      task: { name: 'Check the build', prompt: 'Warning: two deprecated calls', context_files: [] },
      schedule: { type: 'interval', value: '1h', enabled: true },
      notifications: { on_success: true, on_warning: true, on_error: true, channels: ['panel'] },
    })
    assert.equal(edited.status, 200)
    assert.equal(edited.json.instance.councilor_config.schedule.value, '1h')
    assert.equal(edited.json.instance.councilor_config.schedule.enabled, true)

    const run = await call('POST', `/api/councilors/instances/${id}/execute-now`)
    assert.equal(run.status, 200)
    await waitFor(async () => (await call('GET', `/api/runs/${run.json.run_id}`)).json.status === 'completed', 10_000, 'the run completed')

    await waitFor(
      async () => (await call('GET', `/api/agents/${agentId}/councilor-reports`)).json.report.total_executions === 1,
      10_000,
      'the run is counted',
    )
    const { report } = (await call('GET', `/api/agents/${agentId}/councilor-reports`)).json
    assert.equal(report.councilor_name, 'Builder 2')
    assert.equal(report.recent_executions[0].severity, 'warning')
    assert.equal(report.recent_executions[0].status, 'completed')
    assert.equal(typeof report.recent_executions[0].duration_ms, 'number')
    assert.equal(report.success_rate, 100)

    const demoted = await call('DELETE', `/api/councilors/instances/${id}`)
    assert.equal(demoted.status, 200)
    assert.equal((await call('GET', '/api/councilors/instances')).json.count, 0)
    assert.equal((await call('GET', '/api/councilors/scheduler/jobs')).json.count, 0)
    assert.equal((await call('POST', `/api/councilors/instances/${id}/execute-now`)).status, 404)
  })
})
