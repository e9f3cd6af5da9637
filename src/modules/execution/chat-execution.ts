// The web client's chat send (web-client-contract.md #15): one run of an agent for an instance,
// optionally written into the conversation (user message + pending bot message in the same
// transaction as the run), answered when the run has ended.
import type { Run } from '../../engine/run.js'
import type { RunService } from '../../engine/run-service.js'
import { BadRequestError, NotFoundError } from '../../platform/http/errors.js'
import { newUuid } from '../../platform/ids.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { ConversationsService } from '../conversations/conversations.service.js'
import type { InstancesService } from '../instances/instances.service.js'

export interface ChatRequest {
  agentId: string
  inputText: string
  instanceId?: string | null
  conversationId?: string | null
  screenplayId?: string | null
  cwd?: string | null
  provider?: string | null
  contextMode?: 'stateless' | 'stateful'
  position?: { x: number; y: number }
  saveToConversation: boolean
  source?: 'chat' | 'portfolio'
  timeoutMs?: number
}

/** Grace beyond the run's own timeout before the request gives up waiting (the run goes on). */
const WAIT_GRACE_MS = 10_000
const PENDING_REPLY = 'Aguardando processamento...'

export class ChatExecution {
  constructor(
    private readonly deps: {
      runs: RunService
      agents: AgentsService
      instances: InstancesService
      conversations: ConversationsService
    },
  ) {}

  async execute(request: ChatRequest): Promise<Run> {
    if (request.inputText.trim() === '') throw new BadRequestError('input_text is required')
    if (request.saveToConversation && !request.conversationId) {
      throw new BadRequestError('conversation_id is required. Cannot save to a conversation without conversation context.')
    }
    const agent = await this.deps.agents.find(request.agentId)
    if (!agent) throw new NotFoundError(`Agent '${request.agentId}' not found`)
    if (request.conversationId && request.saveToConversation) await this.deps.conversations.get(request.conversationId)
    // A new instance is stored with the run (and its messages), so a refused run leaves no trace.
    const placed = request.instanceId
      ? await this.deps.instances.existingOrDraft({
          instanceId: request.instanceId,
          agentId: agent.agentId,
          screenplayId: request.screenplayId,
          conversationId: request.conversationId,
          ...(request.position && { position: request.position }),
        })
      : undefined
    const instance = placed?.instance
    // Else the run service inherits the screenplay's directory.
    const cwd = request.cwd || instance?.cwd || null
    const userMessageId = newUuid()
    const botMessageId = newUuid()
    const save = request.saveToConversation && request.conversationId
    const run = await this.deps.runs.create({
      source: request.source ?? 'chat',
      timeoutMs: request.timeoutMs,
      input: request.inputText,
      agentId: agent.agentId,
      provider: request.provider,
      instanceId: request.instanceId,
      conversationId: request.conversationId,
      screenplayId: request.screenplayId ?? instance?.screenplayId ?? null,
      cwd,
      options: { ...(request.contextMode && { contextMode: request.contextMode }), ...(save && { userMessageId, botMessageId }) },
      alsoWrite: async (created, tx) => {
        if (placed?.isNew) await this.deps.instances.insertDraft(placed.instance, tx)
        if (!save) return
        await this.deps.conversations.addMessages(
          save,
          [
            { id: userMessageId, type: 'user', content: request.inputText, taskId: created.id },
            {
              id: botMessageId,
              type: 'bot',
              content: PENDING_REPLY,
              status: 'pending',
              taskId: created.id,
              agent: { agentId: agent.agentId, instanceId: request.instanceId ?? '', name: agent.name, emoji: agent.emoji },
            },
          ],
          tx,
        )
      },
    })
    return this.deps.runs.waitForEnd(run.id, run.timeoutMs + WAIT_GRACE_MS)
  }
}
