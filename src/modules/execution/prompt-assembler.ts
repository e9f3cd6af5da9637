// Builds what an executor receives from a run: persona + screenplay + conversation context as the
// system prompt, the conversation's earlier turns as history, and the input. CLI executors get the
// same parts as one XML document, in the layout the Python Conductor uses (§5.2).
import type { ExecutionRequest, HistoryTurn, RunPreparer } from '../../engine/executor.js'
import { isCouncilorRun, type Run } from '../../engine/run.js'
import type { ConversationsService } from '../conversations/conversations.service.js'
import type { PersonaVersionsService } from '../personas/persona-versions.service.js'
import type { ScreenplaysService } from '../screenplays/screenplays.service.js'

const HISTORY_TURNS = 100
const PROMPT_HISTORY_MESSAGES = 200

export class PromptAssembler implements RunPreparer {
  constructor(
    private readonly deps: {
      personaVersions: Pick<PersonaVersionsService, 'contentOf'>
      screenplays: Pick<ScreenplaysService, 'find'>
      conversations: Pick<ConversationsService, 'find' | 'historyForPrompt'>
    },
  ) {}

  async prepare(run: Run): Promise<ExecutionRequest> {
    const [persona, screenplay, conversation] = await Promise.all([
      run.agentId && run.personaVersion !== null ? this.deps.personaVersions.contentOf(run.agentId, run.personaVersion) : undefined,
      run.screenplayId ? this.deps.screenplays.find(run.screenplayId) : undefined,
      run.conversationId ? this.conversationOf(run.conversationId, run.id) : undefined,
    ])
    const context = conversation?.context ?? null
    // compat: conductor-backend.md §2.3: a run in a conversation gets its history whatever its
    // context_mode (the web client never sends one), a councilor run never does; the
    // conversation's context is part of the prompt either way.
    const history = isCouncilorRun(run) ? [] : (conversation?.history ?? []).slice(-HISTORY_TURNS * 2)
    const system = systemPrompt(persona ?? null, screenplay?.content ?? null, context)
    const prompt =
      system === '' && history.length === 0 ? run.input : promptDocument(persona ?? null, screenplay?.content ?? null, context, history, run.input)
    return {
      runId: run.id,
      agentId: run.agentId,
      agentName: run.options.agentName ?? null,
      provider: run.provider,
      model: run.model,
      system,
      history,
      input: run.input,
      prompt,
      cwd: run.cwd,
      mcpServers: run.options.mcpServers ?? [],
      timeoutMs: run.timeoutMs,
      instanceId: run.instanceId,
      conversationId: run.conversationId,
      screenplayId: run.screenplayId,
      contextMode: run.options.contextMode ?? 'stateful',
    }
  }

  /**
   * The conversation's context and its finished turns (not deleted, hidden or pending), leaving
   * out the messages of `currentRunId` (its own question is the input, not history).
   */
  private async conversationOf(
    conversationId: string,
    currentRunId: string,
  ): Promise<{ context: string | null; history: HistoryTurn[] } | undefined> {
    const conversation = await this.deps.conversations.find(conversationId)
    if (!conversation) return undefined
    const messages = await this.deps.conversations.historyForPrompt(conversationId, PROMPT_HISTORY_MESSAGES)
    const history: HistoryTurn[] = messages
      .filter((m) => m.taskId !== currentRunId && m.type !== 'system')
      .map((m) => ({ role: m.type === 'bot' ? 'assistant' : 'user', content: m.content }))
    return { context: conversation.context, history }
  }
}

export function systemPrompt(persona: string | null, screenplay: string | null, context: string | null): string {
  const parts: string[] = []
  if (persona?.trim()) parts.push(persona.trim())
  if (screenplay?.trim()) parts.push(`## Screenplay\n\n${screenplay.trim()}`)
  if (context?.trim()) parts.push(`## Conversation context\n\n${context.trim()}`)
  return parts.join('\n\n')
}

export function promptDocument(
  persona: string | null,
  screenplay: string | null,
  context: string | null,
  history: HistoryTurn[],
  input: string,
): string {
  const lines = ['<prompt>', '<system_context>']
  if (persona?.trim()) lines.push(`<persona>${cdata(persona)}</persona>`)
  if (screenplay?.trim()) lines.push(`<screenplay>${cdata(screenplay)}</screenplay>`)
  if (context?.trim()) lines.push(`<conversation_context>${cdata(context)}</conversation_context>`)
  lines.push('</system_context>')
  if (history.length > 0) {
    lines.push('<conversation_history>')
    for (const turn of history) {
      const tag = turn.role === 'user' ? 'user' : 'assistant'
      lines.push(`<${tag}>${cdata(turn.content)}</${tag}>`)
    }
    lines.push('</conversation_history>')
  }
  lines.push(`<user_request>${cdata(input)}</user_request>`, '</prompt>')
  return lines.join('\n')
}

function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
}
