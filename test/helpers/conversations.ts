// Small request helpers for conversation tests (through the real app).
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'

export const agentInfo = (n = 1) => ({ agent_id: `agent-${n}`, instance_id: `instance-${n}`, name: `Agent ${n}`, emoji: '🤖' })

export async function createConversation(
  app: FastifyInstance,
  body: Record<string, unknown> = {},
): Promise<{ conversation_id: string; title: string; created_at: string }> {
  const res = await app.inject({ method: 'POST', url: '/api/conversations/', payload: { title: 'Chat one', ...body } })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

export async function getConversation(app: FastifyInstance, id: string, query = '') {
  const res = await app.inject({ url: `/api/conversations/${id}${query}` })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

/** Appends through POST …/messages and returns the new message ids. */
export async function postMessages(app: FastifyInstance, id: string, body: Record<string, unknown>): Promise<string[]> {
  const res = await app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, payload: body })
  assert.equal(res.statusCode, 200, res.body)
  return res.json().message_ids
}
