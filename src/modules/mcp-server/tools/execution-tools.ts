// Running agents: every tool here starts a run through the run engine (source `mcp`), reports
// its progress, stops it when the call is cancelled, and answers its result — or its run id when
// the run outlasts the configured wait.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { Run } from '../../../engine/run.js'
import { BadRequestError } from '../../../platform/http/errors.js'
import { type CallControl, followRun, runAnswer } from '../run-call.js'
import { answering, ok } from '../tool-results.js'
import { AgentId } from './agent-tools.js'
import type { McpServices } from './context.js'

const InputText = z.string().min(1).max(200_000).describe('What the agent is asked to do')
const Timeout = z.number().int().positive().max(86_400).default(1800).describe('Seconds the run may take before it ends timed_out')
const InstanceId = z.string().trim().min(1).max(200).optional().describe('The agent instance (canvas node) the run belongs to; created when new')
const ConversationId = z.string().trim().min(1).max(200).describe('A conversation id (from a previous call or list_conversations)')

/** Builds the call's control from the SDK's extra: its abort signal plus any outside cancel, and progress when asked for. */
export type ControlOf = (extra: ToolExtra) => CallControl
export interface ToolExtra {
  signal: AbortSignal
  requestId: string | number
  _meta?: { progressToken?: string | number }
  sendNotification: (notification: {
    method: 'notifications/progress'
    params: { progressToken: string | number; progress: number; message?: string }
  }) => Promise<void>
}

export function registerExecutionTools(server: McpServer, s: McpServices, controlOf: ControlOf): void {
  const waitMs = s.config.mcp_server.waitMs
  const answer = async (run: Run, extra: ToolExtra, more: Record<string, unknown> = {}): Promise<CallToolResult> => {
    const ended = await followRun(s.runs, run, waitMs, controlOf(extra))
    const { isError, text, data } = runAnswer(ended, more)
    return { content: [{ type: 'text', text }], structuredContent: data, ...(isError && { isError }) }
  }

  server.registerTool(
    'execute_agent_stateless',
    {
      title: 'Run an agent once',
      description:
        'Runs an agent on input_text with no conversation history and answers its output. cwd is the working directory ' +
        '(required by CLI providers such as claude; checked against the allowed roots). A run longer than the gateway’s wait ' +
        'is answered with its run_id; read it later with get_run.',
      inputSchema: {
        agent_id: AgentId,
        input_text: InputText,
        cwd: z.string().min(1).max(1000).optional().describe('Absolute working directory of the run'),
        timeout: Timeout,
        instance_id: InstanceId,
      },
    },
    (args, extra) =>
      answering(async () => {
        const run = await s.chat.start({
          source: 'mcp',
          agentId: args.agent_id,
          inputText: args.input_text,
          cwd: args.cwd,
          instanceId: args.instance_id,
          timeoutMs: args.timeout * 1000,
          contextMode: 'stateless',
          saveToConversation: false,
        })
        return answer(run, extra)
      }),
  )

  /** A run in a conversation: the exchange is written to it and its earlier turns are the run's history. */
  const converse = async (extra: ToolExtra, agentId: string, input: string, conversationId: string, timeout: number, instanceId?: string) => {
    const run = await s.chat.start({
      source: 'mcp',
      agentId,
      inputText: input,
      conversationId,
      instanceId,
      saveToConversation: true,
      contextMode: 'stateful',
      timeoutMs: timeout * 1000,
    })
    return answer(run, extra, { conversation_id: conversationId })
  }

  const newConversation = async (agentId: string, title?: string) => {
    const agent = (await s.agents.find(agentId)) ?? (await s.agents.get(agentId))
    const conversation = await s.conversations.create({
      title: title ?? `MCP: ${agent.name}`,
      activeAgent: { agentId: agent.agentId, instanceId: '', name: agent.name, emoji: agent.emoji },
    })
    return conversation.id
  }

  server.registerTool(
    'execute_agent_contextual',
    {
      title: 'Run an agent with its history',
      description:
        'Runs an agent in a conversation: the conversation’s earlier turns are the agent’s history and this exchange is added to it. ' +
        'Without conversation_id (or with clear_history) a new conversation is started; pass the conversation_id the answer ' +
        'returns to continue it.',
      inputSchema: {
        agent_id: AgentId,
        input_text: InputText,
        conversation_id: ConversationId.optional(),
        clear_history: z.boolean().default(false).describe('Start over in a new conversation instead of continuing conversation_id'),
        timeout: Timeout,
        instance_id: InstanceId,
      },
    },
    (args, extra) =>
      answering(async () => {
        const conversationId =
          args.conversation_id && !args.clear_history ? (await s.conversations.get(args.conversation_id)).id : await newConversation(args.agent_id)
        return converse(extra, args.agent_id, args.input_text, conversationId, args.timeout, args.instance_id)
      }),
  )

  server.registerTool(
    'start_interactive_session',
    {
      title: 'Start a session with an agent',
      description:
        'Opens a new conversation with an agent and, when initial_input is given, runs it as the first turn. ' +
        'Continue the session with execute_agent_contextual and the returned conversation_id.',
      inputSchema: {
        agent_id: AgentId,
        initial_input: z.string().min(1).max(200_000).optional().describe('The first message of the session'),
        timeout: Timeout,
        instance_id: InstanceId,
      },
    },
    (args, extra) =>
      answering(async () => {
        const conversationId = await newConversation(args.agent_id)
        if (!args.initial_input) {
          return ok(`Session opened: conversation ${conversationId}. Continue it with execute_agent_contextual.`, { conversation_id: conversationId })
        }
        return converse(extra, args.agent_id, args.initial_input, conversationId, args.timeout, args.instance_id)
      }),
  )

  server.registerTool(
    'clear_agent_history',
    {
      title: 'Clear an agent’s run history',
      description:
        'Hides the run history of one instance of the agent (instance_id), or of every instance of the agent. ' +
        'Conversations are kept; start a new one with execute_agent_contextual (clear_history) to drop their turns from the prompt.',
      inputSchema: { agent_id: AgentId, instance_id: InstanceId },
    },
    ({ agent_id, instance_id }) =>
      answering(async () => {
        const agent = (await s.agents.find(agent_id)) ?? (await s.agents.get(agent_id))
        const owned = await s.instances.list({ agentId: agent.agentId, includeDeleted: false, sort: '-created_at', offset: 0, limit: 500 })
        const instanceIds = owned.items.map((i) => i.instanceId).filter((id) => !instance_id || id === instance_id)
        if (instance_id && instanceIds.length === 0) {
          throw new BadRequestError(`Instance '${instance_id}' is not an instance of agent '${agent.agentId}'`)
        }
        let hidden = 0
        for (const id of instanceIds) hidden += await s.runs.hideForInstance(id)
        return ok(`✅ Cleared ${hidden} runs from the history of ${instanceIds.length} instance(s) of ${agent.agentId}.`, {
          agent_id: agent.agentId,
          instances: instanceIds.length,
          runs_hidden: hidden,
        })
      }),
  )
}
