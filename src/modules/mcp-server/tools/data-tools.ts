// Scoped access to the gateway's data — screenplays, conversations and runs — in place of the
// original's raw database server: named operations with validated input, no collection access.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { Run } from '../../../engine/run.js'
import { RUN_STATUSES } from '../../../engine/run-events.js'
import { answering, okJson } from '../tool-results.js'
import type { McpServices } from './context.js'

const Id = z.string().trim().min(1).max(200)
const Limit = (max: number, fallback: number) => z.number().int().min(1).max(max).default(fallback).describe(`How many (1–${max})`)
const Offset = z.number().int().min(0).default(0).describe('How many to skip')

export function registerDataTools(server: McpServer, s: McpServices): void {
  server.registerTool(
    'list_screenplays',
    {
      title: 'List screenplays',
      description: 'Screenplays (the Markdown project documents agents work on), most recently used first; without their content.',
      inputSchema: {
        search: z.string().max(200).optional().describe('Words the name or description contains'),
        page: z.number().int().min(1).default(1).describe('Page number, from 1'),
        limit: Limit(100, 20),
      },
    },
    ({ search, page, limit }) =>
      answering(async () => {
        const result = await s.screenplays.list({ search, page, limit, includeDeleted: false, sort: '-lastUsedAt' })
        return okJson({
          total: result.total,
          page: result.page,
          pages: result.pages,
          screenplays: result.items.map((sp) => ({ id: sp.id, name: sp.name, description: sp.description, tags: sp.tags, version: sp.version })),
        })
      }),
  )

  server.registerTool(
    'get_screenplay',
    {
      title: 'Read a screenplay',
      description: 'One screenplay with its Markdown content (also readable as the resource screenplay://{id}).',
      inputSchema: { screenplay_id: Id.describe('The screenplay’s id') },
    },
    ({ screenplay_id }) =>
      answering(async () => {
        const sp = await s.screenplays.get(screenplay_id)
        return okJson({
          id: sp.id,
          name: sp.name,
          description: sp.description,
          tags: sp.tags,
          version: sp.version,
          working_directory: sp.workingDirectory,
          content: sp.content,
        })
      }),
  )

  server.registerTool(
    'create_screenplay',
    {
      title: 'Create a screenplay',
      description: 'Creates a screenplay (Markdown content, optional description and tags) and answers its id.',
      inputSchema: {
        name: z.string().trim().min(1).max(200).describe('Its name'),
        description: z.string().max(2000).optional().describe('One line about it'),
        content: z.string().max(1_000_000).optional().describe('Markdown content'),
        tags: z.array(z.string().min(1).max(100)).max(50).optional().describe('Labels'),
      },
    },
    (args) =>
      answering(async () => {
        const sp = await s.screenplays.create(args)
        return okJson({ id: sp.id, name: sp.name, version: sp.version })
      }),
  )

  server.registerTool(
    'list_conversations',
    {
      title: 'List conversations',
      description: 'Conversations, optionally of one screenplay; without their messages.',
      inputSchema: { screenplay_id: Id.optional().describe('Only the conversations of this screenplay'), limit: Limit(100, 20), offset: Offset },
    },
    ({ screenplay_id, limit, offset }) =>
      answering(async () => {
        const { items, total } = await s.conversations.list({ screenplayId: screenplay_id, includeDeleted: false, skip: offset, limit })
        return okJson({
          total,
          conversations: items.map((c) => ({ id: c.id, title: c.title, screenplay_id: c.screenplayId, message_count: c.messageCount })),
        })
      }),
  )

  server.registerTool(
    'get_conversation',
    {
      title: 'Read a conversation',
      description: 'A conversation with its newest messages (oldest first).',
      inputSchema: { conversation_id: Id.describe('The conversation’s id'), limit: Limit(200, 50) },
    },
    ({ conversation_id, limit }) =>
      answering(async () => {
        const { conversation, messages, hasMore } = await s.conversations.getWithMessages(conversation_id, { limit })
        return okJson({
          id: conversation.id,
          title: conversation.title,
          screenplay_id: conversation.screenplayId,
          active_agent: conversation.activeAgent?.agentId ?? null,
          has_more: hasMore,
          messages: messages.map((m) => ({
            id: m.id,
            type: m.type,
            content: m.content,
            agent_id: m.agent?.agentId ?? null,
            status: m.status,
            run_id: m.taskId,
          })),
        })
      }),
  )

  server.registerTool(
    'create_conversation',
    {
      title: 'Create a conversation',
      description: 'Creates a conversation, optionally in a screenplay and with an agent as its active agent.',
      inputSchema: {
        title: z.string().trim().min(1).max(200).optional().describe('Its title (default: the date)'),
        screenplay_id: Id.optional().describe('The screenplay it belongs to'),
        agent_id: Id.optional().describe('The agent that answers in it'),
      },
    },
    ({ title, screenplay_id, agent_id }) =>
      answering(async () => {
        if (screenplay_id) await s.screenplays.get(screenplay_id)
        const agent = agent_id ? ((await s.agents.find(agent_id)) ?? (await s.agents.get(agent_id))) : undefined
        const conversation = await s.conversations.create({
          title,
          screenplayId: screenplay_id,
          ...(agent && { activeAgent: { agentId: agent.agentId, instanceId: '', name: agent.name, emoji: agent.emoji } }),
        })
        return okJson({ id: conversation.id, title: conversation.title })
      }),
  )

  server.registerTool(
    'list_runs',
    {
      title: 'List runs',
      description: 'Agent runs (executions), newest first, filtered by status, agent or conversation.',
      inputSchema: {
        status: z.enum(RUN_STATUSES).optional().describe('Only runs in this status'),
        agent_id: Id.optional().describe('Only runs of this agent'),
        conversation_id: Id.optional().describe('Only runs of this conversation'),
        limit: Limit(100, 20),
        offset: Offset,
      },
    },
    ({ status, agent_id, conversation_id, limit, offset }) =>
      answering(async () => {
        const { runs, total } = await s.runs.list({
          ...(status && { statuses: [status] }),
          agentId: agent_id,
          conversationId: conversation_id,
          limit,
          offset,
        })
        return okJson({ total, runs: runs.map((r) => runView(r, false)) })
      }),
  )

  server.registerTool(
    'get_run',
    {
      title: 'Read a run',
      description: 'One run: its status, output and error (use it for a run an execution tool answered while it was still going).',
      inputSchema: { run_id: Id.describe('The run id an execution tool answered') },
    },
    ({ run_id }) => answering(async () => okJson(runView(await s.runs.get(run_id), true))),
  )

  server.registerTool(
    'cancel_run',
    {
      title: 'Cancel a run',
      description: 'Cancels a queued or running run (wherever it runs); a finished run is answered as it is.',
      inputSchema: { run_id: Id.describe('The run to cancel') },
    },
    ({ run_id }) => answering(async () => okJson(runView(await s.runs.cancel(run_id), false))),
  )
}

function runView(run: Run, withOutput: boolean) {
  return {
    run_id: run.id,
    status: run.status,
    source: run.source,
    agent_id: run.agentId,
    provider: run.provider,
    model: run.model,
    conversation_id: run.conversationId,
    instance_id: run.instanceId,
    created_at: new Date(run.createdAt).toISOString(),
    ended_at: run.endedAt === null ? null : new Date(run.endedAt).toISOString(),
    error: run.error,
    ...(withOutput ? { input: run.input, output: run.output } : {}),
  }
}
