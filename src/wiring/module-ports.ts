// Adapters between one module's port and another module's service. Only deps.ts uses them.
import type { AgentDirectory } from '../engine/run-service.js'
import type { PromptSources } from '../engine/prompt-assembler.js'
import type { HistoryTurn } from '../engine/executor.js'
import type { RunService } from '../engine/run-service.js'
import { NotFoundError } from '../platform/http/errors.js'
import type { AgentsService } from '../modules/agents/agents.service.js'
import type { ConversationsService } from '../modules/conversations/conversations.service.js'
import type { InstanceHistorySource } from '../modules/instances/instance-history.js'
import type { PersonaVersionsService } from '../modules/personas/persona-versions.service.js'
import type { PersonasService } from '../modules/personas/personas.service.js'
import type { ScreenplaysService } from '../modules/screenplays/screenplays.service.js'

const PROMPT_HISTORY_MESSAGES = 200
const INSTANCE_HISTORY_RUNS = 200

/** undefined instead of a NotFoundError; every other error still throws. */
async function unlessMissing<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup
  } catch (err) {
    if (err instanceof NotFoundError) return undefined
    throw err
  }
}

export function agentDirectory(agents: AgentsService, personas: PersonasService): AgentDirectory {
  return {
    async find(agentIdOrName) {
      const agent = await agents.find(agentIdOrName)
      if (!agent) return undefined
      const persona = await personas.current(agent.agentId)
      return {
        id: agent.agentId,
        name: agent.name,
        emoji: agent.emoji,
        aiProvider: agent.aiProvider,
        model: agent.model,
        mcpConfigs: agent.mcpConfigs,
        personaVersion: persona?.version ?? null,
      }
    },
  }
}

export function promptSources(deps: {
  personaVersions: PersonaVersionsService
  screenplays: ScreenplaysService
  conversations: ConversationsService
}): PromptSources {
  return {
    async personaContent(agentId, version) {
      if (version === null) return null
      return (await unlessMissing(deps.personaVersions.get(agentId, version)))?.content ?? null
    },
    async screenplayContent(screenplayId) {
      return (await unlessMissing(deps.screenplays.get(screenplayId)))?.content ?? null
    },
    async conversation(conversationId, currentRunId) {
      const conversation = await unlessMissing(deps.conversations.get(conversationId))
      if (!conversation) return null
      const messages = await deps.conversations.historyForPrompt(conversationId, PROMPT_HISTORY_MESSAGES)
      const history: HistoryTurn[] = messages
        .filter((m) => m.taskId !== currentRunId && m.type !== 'system')
        .map((m) => ({ role: m.type === 'bot' ? 'assistant' : 'user', content: m.content }))
      return { context: conversation.context, history }
    },
  }
}

/** An instance's history is its runs: what it was asked and what it answered. */
export function runsAsInstanceHistory(runs: RunService): InstanceHistorySource {
  return {
    async historyOf(instanceId) {
      const { runs: newest } = await runs.list({ instanceId, includeDeleted: true, limit: INSTANCE_HISTORY_RUNS, offset: 0 })
      return newest.reverse().map((run) => ({
        id: run.id,
        userInput: run.input,
        aiResponse: run.output,
        timestamp: run.endedAt ?? run.createdAt,
        isDeleted: run.isDeleted,
      }))
    },
    hideHistoryOf: (instanceId, _now, tx) => runs.markDeletedForInstance(instanceId, tx),
  }
}

/** The working directory an instance inherits from its screenplay. */
export function screenplayWorkingDirectories(screenplays: ScreenplaysService) {
  return {
    async workingDirectoryOf(screenplayId: string): Promise<string | null> {
      return (await unlessMissing(screenplays.get(screenplayId)))?.workingDirectory ?? null
    },
  }
}
