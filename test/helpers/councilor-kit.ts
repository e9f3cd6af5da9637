// What the councilor tests share: a gateway whose scheduler the test drives by hand (runDue)
// against a clock it moves, and the client calls they make.
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { WebSocket } from 'ws'
import { createAgent } from './agent-factories.js'
import { buildTestApp, ManualClock, type TestApp, type TestAppOptions } from './build-test-app.js'
import { waitFor } from './wait.js'

export const S = 1000
export const MIN = 60 * S
/** The scheduler is driven by hand (runDue) against a clock the test moves; no timer loop. */
export const MANUAL = { COUNCILOR_SCHEDULER: 'false', COUNCILOR_MISFIRE_GRACE_MS: '30000' }
/** An OpenAI-compatible server that is not there: runs fail fast. */
export const UNREACHABLE = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-test', LLM_MAX_RETRIES: '0' }

export function config(overrides: { schedule?: Record<string, unknown>; policy?: Record<string, unknown>; prompt?: string } = {}) {
  return {
    title: 'Build watcher',
    schedule: { type: 'interval', value: '1m', enabled: true, ...overrides.schedule },
    task: { name: 'Check the build', prompt: overrides.prompt ?? 'No errors found in the build', output_format: 'checklist' },
    notifications: { on_success: false, on_warning: true, on_error: true, channels: ['panel'] },
    ...(overrides.policy && { policy: overrides.policy }),
  }
}

export async function setUp(
  t: TestContext,
  env: Record<string, string> = {},
  agentBody: Record<string, unknown> = { ai_provider: 'echo' },
  options: Pick<TestAppOptions, 'random'> = {},
) {
  const clock = new ManualClock()
  const testApp = await buildTestApp(t, { clock, env: { ...MANUAL, ...env }, ...options })
  const agentId = await createAgent(testApp.app, agentBody)
  return { ...testApp, clock, agentId }
}

export async function promote(app: FastifyInstance, agentId: string, councilorConfig = config()) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/councilors/promote',
    payload: { agent_id: agentId, councilor_config: councilorConfig, customization: { display_name: 'Watcher' } },
  })
  assert.equal(res.statusCode, 201, res.body)
  return res.json() as { instance_id: string; screenplay_id: string; conversation_id: string; councilor_id: string }
}

export async function job(app: FastifyInstance, agentId: string) {
  const { jobs } = (await app.inject({ url: '/api/councilors/scheduler/jobs' })).json()
  return jobs.find((j: { agent_id: string }) => j.agent_id === agentId)
}

export async function councilorRuns({ deps }: TestApp, agentId: string) {
  return (await deps.runs.list({ agentId, source: 'councilor', limit: 100, offset: 0, ascending: true, sortBy: 'created_at' })).runs
}

export async function allEnded(testApp: TestApp, agentId: string) {
  await waitFor(
    async () => (await councilorRuns(testApp, agentId)).every((r) => !['queued', 'running'].includes(r.status)),
    10_000,
    'councilor runs ended',
  )
  await waitFor(async () => (await job(testApp.app, agentId)).active_runs === 0, 10_000, 'the councilor counted the ends')
}

interface FeedFrame {
  type: string
  data: Record<string, unknown>
}

export async function feed(app: FastifyInstance): Promise<{ socket: WebSocket; frames: FeedFrame[] }> {
  const frames: FeedFrame[] = []
  const socket = await app.injectWS(
    '/ws/gamification',
    {},
    { onInit: (ws: WebSocket) => ws.on('message', (raw) => frames.push(JSON.parse(raw.toString()))) },
  )
  return { socket, frames }
}
