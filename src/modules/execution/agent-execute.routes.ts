// POST /api/agents/{agent_id}/execute: the chat send of the web client.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { durationOf } from '../../engine/run.js'
import { PROVIDERS } from '../../platform/providers.js'
import { PathId } from '../../platform/http/query.js'
import type { ChatSend } from './chat-send.js'

const Id = z.string().trim().max(200)

const ExecuteBody = z.object({
  input_text: z.string().max(1_000_000),
  instance_id: Id.nullable().optional(),
  conversation_id: Id.nullable().optional(),
  screenplay_id: Id.nullable().optional(),
  document_id: Id.nullable().optional().describe('Deprecated alias of screenplay_id'),
  cwd: z.string().max(1000).nullable().optional().describe('Else the instance’s, else the screenplay’s working directory'),
  ai_provider: z
    .union([z.enum(PROVIDERS), z.literal('')])
    .nullable()
    .optional(),
  context_mode: z.enum(['stateless', 'stateful']).default('stateless'),
  position: z.object({ x: z.number(), y: z.number() }).optional(),
  save_to_conversation: z.boolean().default(false).describe('Write the user message and the reply into the conversation'),
})

const ExecuteDto = z.object({
  status: z.enum(['success', 'error']),
  success: z.boolean(),
  result: z.object({ result: z.string(), exit_code: z.number().int(), status: z.enum(['completed', 'error']) }),
  error: z.string().nullable(),
  instance_id: z.string().nullable(),
  context_mode: z.string(),
  execution_id: z.string(),
  task_id: z.string(),
  duration_ms: z.number().int(),
})

export const agentExecuteRoutes: FastifyPluginAsyncZod<{ chat: ChatSend }> = async (app, { chat }) => {
  app.post(
    '/api/agents/:agent_id/execute',
    {
      config: { expensive: true },
      schema: {
        tags: ['execution'],
        summary: 'Run an agent and answer when it has finished (the chat send)',
        params: z.object({ agent_id: PathId }),
        body: ExecuteBody,
        response: { 200: ExecuteDto },
      },
    },
    async (req) => {
      const body = req.body
      const run = await chat.execute({
        agentId: req.params.agent_id,
        inputText: body.input_text,
        instanceId: body.instance_id || null,
        conversationId: body.conversation_id || null,
        screenplayId: body.screenplay_id || body.document_id || null,
        cwd: body.cwd || null,
        provider: body.ai_provider || null,
        contextMode: body.context_mode,
        ...(body.position && { position: body.position }),
        saveToConversation: body.save_to_conversation,
      })
      const ok = run.status === 'completed'
      return {
        status: ok ? ('success' as const) : ('error' as const),
        success: ok,
        result: { result: run.output, exit_code: run.exitCode ?? (ok ? 0 : 1), status: ok ? ('completed' as const) : ('error' as const) },
        error: ok ? null : (run.error ?? run.status),
        instance_id: run.instanceId,
        context_mode: body.context_mode,
        execution_id: `exec_${run.agentId}_${run.createdAt}`,
        task_id: run.id,
        duration_ms: durationOf(run),
      }
    },
  )
}
