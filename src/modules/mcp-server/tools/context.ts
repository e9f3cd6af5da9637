// What every tool module is given: the services it calls and the current call's control.
import type { Config } from '../../../config.js'
import type { Runs } from '../../../engine/runs.js'
import type { AgentsService } from '../../agents/agents.service.js'
import type { ConversationsService } from '../../conversations/conversations.service.js'
import type { ChatSend } from '../../execution/chat-send.js'
import type { InstancesService } from '../../instances/instances.service.js'
import type { PersonasService } from '../../personas/personas.service.js'
import type { AgentRuns } from '../../runs/agent-runs.js'
import type { ScreenplaysService } from '../../screenplays/screenplays.service.js'
import type { DataTransfer, RegistryCheck } from '../ports.js'

export interface McpServices {
  config: Config
  database: { dialect: 'sqlite' | 'postgres'; ping(): Promise<void> }
  agents: AgentsService
  personas: Pick<PersonasService, 'current'>
  screenplays: ScreenplaysService
  conversations: ConversationsService
  instances: Pick<InstancesService, 'list'>
  runs: Runs
  agentRuns: AgentRuns
  chat: Pick<ChatSend, 'start'>
  dataTransfer?: DataTransfer
  registry?: RegistryCheck
}

/** How a tool call is stopped from outside the SDK: a cancel notification that reached another request or instance. */
export interface CallScope {
  /** Signals that also end the call (the HTTP request closing, a relayed cancel…). */
  cancelSignalOf(requestId: string | number): AbortSignal | undefined
}
