// The web client's chat send (web-client-contract.md #15): one run of an agent for an instance,
// optionally written into the conversation (the user's message and a pending bot reply, in the
// same transaction as the run), answered when the run has ended. When the run ends, wherever it
// ends, `completeReply` fills the bot reply in.
import type { Run } from '../../engine/run.js'
import type { RunAgent, Runs } from '../../engine/runs.js'
import type { Transactor, UnitOfWork } from '../../platform/db/unit-of-work.js'
import { BadRequestError, NotFoundError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { ConversationsService } from '../conversations/conversations.service.js'
import type { Instance } from '../instances/instances.model.js'
import type { InstancesService } from '../instances/instances.service.js'
import type { ScreenplaysService } from '../screenplays/screenplays.service.js'

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
  source?: 'chat' | 'portfolio' | 'mcp'
  timeoutMs?: number
}

/** Grace beyond the run's own timeout before the request gives up waiting (the run goes on). */
const WAIT_GRACE_MS = 10_000
const PENDING_REPLY = 'Aguardando processamento...'

export class ChatSend {
  constructor(
    private readonly deps: {
      runs: Runs
      agents: Pick<AgentsService, 'forRun'>
      instances: Pick<InstancesService, 'findAny' | 'draft' | 'insertDraft'>
      screenplays: Pick<ScreenplaysService, 'workingDirectoryOf'>
      conversations: Pick<ConversationsService, 'addMessages' | 'completeReply'>
      transact: Transactor
    },
  ) {}

  /** Starts the run and answers once it has ended (or its wait ran out). */
  async execute(request: ChatRequest): Promise<Run> {
    const run = await this.start(request)
    return this.deps.runs.waitForEnd(run, run.timeoutMs + WAIT_GRACE_MS)
  }

  /** Stores the run (with its exchange and a new instance when needed) and answers it without waiting. */
  async start(request: ChatRequest): Promise<Run> {
    if (request.inputText.trim() === '') throw new BadRequestError('input_text is required')
    if (request.saveToConversation && !request.conversationId) {
      throw new BadRequestError('conversation_id is required. Cannot save to a conversation without conversation context.')
    }
    const agent = await this.deps.agents.forRun(request.agentId)
    if (!agent) throw new NotFoundError(`Agent '${request.agentId}' not found`)
    const placement = await this.placement(request, agent)
    const save = request.saveToConversation ? request.conversationId : null
    return this.deps.transact(async (uow) => {
      // A new instance is stored with the run (and its messages), so a refused run leaves no trace.
      if (placement.draft) await this.deps.instances.insertDraft(placement.draft, uow)
      const created = await this.deps.runs.create(
        {
          source: request.source ?? 'chat',
          input: request.inputText,
          agent,
          provider: request.provider,
          instanceId: request.instanceId,
          conversationId: request.conversationId,
          screenplayId: placement.screenplayId,
          cwd: placement.cwd,
          timeoutMs: request.timeoutMs,
          ...(request.contextMode && { contextMode: request.contextMode }),
        },
        { within: uow },
      )
      if (save) await this.writeExchange(save, created, agent, request, uow)
      return created
    })
  }

  /** The run engine's end hook: the pending bot reply of a chat run gets the run's answer. */
  async completeReply(run: Run, uow: UnitOfWork): Promise<void> {
    if (!run.conversationId) return
    const status = run.status === 'completed' ? 'completed' : 'error'
    await this.deps.conversations.completeReply(run.conversationId, run.id, { content: replyOf(run), status, completedAt: run.endedAt }, uow)
  }

  /**
   * Where the run works: the request's directory, else its instance's, else its screenplay's (read
   * once, and only when needed); and the instance to create when the request names a new one.
   */
  private async placement(request: ChatRequest, agent: RunAgent): Promise<{ screenplayId: string | null; cwd: string | null; draft?: Instance }> {
    const existing = request.instanceId ? await this.deps.instances.findAny(request.instanceId) : undefined
    const screenplayId = request.screenplayId ?? existing?.screenplayId ?? null
    const drafting = request.instanceId && !existing
    const needsScreenplay = screenplayId && (drafting || !(request.cwd || existing?.cwd))
    const screenplayDirectory = needsScreenplay ? await this.deps.screenplays.workingDirectoryOf(screenplayId) : null
    const draft = drafting
      ? this.deps.instances.draft(
          {
            instanceId: request.instanceId!,
            agentId: agent.id,
            screenplayId: request.screenplayId,
            conversationId: request.conversationId,
            ...(request.position && { position: request.position }),
          },
          screenplayDirectory,
        )
      : undefined
    const cwd = request.cwd || existing?.cwd || draft?.cwd || screenplayDirectory
    return { screenplayId, cwd, ...(draft && { draft }) }
  }

  private async writeExchange(conversationId: string, run: Run, agent: RunAgent, request: ChatRequest, uow: UnitOfWork): Promise<void> {
    await this.deps.conversations.addMessages(
      conversationId,
      [
        { type: 'user', content: request.inputText, taskId: run.id },
        {
          type: 'bot',
          content: PENDING_REPLY,
          status: 'pending',
          taskId: run.id,
          agent: { agentId: agent.id, instanceId: request.instanceId ?? '', name: agent.name, emoji: agent.emoji },
        },
      ],
      uow,
    )
  }
}

/** The text the bot reply ends with; on failure the original's wording. */
export function replyOf(run: Run): string {
  if (run.status === 'completed') return run.output
  if (run.output) return run.output
  if (run.status === 'cancelled') return 'Execução cancelada'
  return run.error ? `Erro: ${run.error}` : `Erro na execução (exit_code: ${run.exitCode ?? 1})`
}
