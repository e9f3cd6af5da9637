// Seeds agents through the real HTTP API.
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'

export const PERSONA = '# Persona: Helper\n\nYou help engineers with their daily work, carefully and briefly.'

export async function createAgent(app: FastifyInstance, body: Record<string, unknown> = {}): Promise<string> {
  const payload = { name: 'Helper_Agent', description: 'Helps engineers with daily work', persona_content: PERSONA, ...body }
  const res = await app.inject({ method: 'POST', url: '/api/agents', payload })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().agent_id
}
