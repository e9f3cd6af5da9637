// Builds what an executor receives from a run: persona + screenplay + conversation context as
// the system prompt, the conversation's earlier turns as history, and the input. CLI executors
// get the same parts as one XML document, in the layout the Python Conductor uses (§5.2).
import type { ExecutionRequest, HistoryTurn } from './executor.js'
import type { Run } from './run.js'
import type { RunPreparer } from './run-worker-pool.js'

/** Where the parts come from; served by the personas, screenplays and conversations modules. */
export interface PromptSources {
  /** The persona text of that version (the version the run recorded), or null. */
  personaContent(agentId: string, version: number | null): Promise<string | null>
  screenplayContent(screenplayId: string): Promise<string | null>
  /**
   * The conversation's context and its finished turns (not deleted, hidden or pending), leaving
   * out the messages of `currentRunId` (its own question is the input, not history).
   */
  conversation(conversationId: string, currentRunId: string): Promise<{ context: string | null; history: HistoryTurn[] } | null>
}

const HISTORY_TURNS = 100

export class PromptAssembler implements RunPreparer {
  constructor(
    private readonly sources: PromptSources,
    /** Keeps the assembled prompt on the run for the task details view. */
    private readonly savePrompt: (runId: string, prompt: string) => Promise<void>,
  ) {}

  async prepare(run: Run): Promise<ExecutionRequest> {
    const [persona, screenplay, conversation] = await Promise.all([
      run.agentId ? this.sources.personaContent(run.agentId, run.personaVersion) : null,
      run.screenplayId ? this.sources.screenplayContent(run.screenplayId) : null,
      run.conversationId ? this.sources.conversation(run.conversationId, run.id) : null,
    ])
    // compat: conductor-backend.md §2.3: a run in a conversation gets its history whatever its
    // context_mode (the web client never sends one), a councilor run never does; the
    // conversation's context is part of the prompt either way.
    const history = run.options.isCouncilor ? [] : (conversation?.history ?? []).slice(-HISTORY_TURNS * 2)
    const system = systemPrompt(persona, screenplay, conversation?.context ?? null)
    const prompt =
      system === '' && history.length === 0 ? run.input : promptDocument(persona, screenplay, conversation?.context ?? null, history, run.input)
    if (prompt !== run.input) await this.savePrompt(run.id, prompt)
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
