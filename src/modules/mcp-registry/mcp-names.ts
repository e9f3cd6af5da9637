// Which MCP servers an instance or an agent lists (instance `mcp_configs` ∪ its agent's).
import { NotFoundError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'

/** Port: the names an instance or agent lists; NotFoundError for an unknown id. */
export interface McpNameSource {
  namesFor(ids: { instanceId?: string | null; agentId?: string | null }): Promise<string[]>
}

/** Port: a live agent instance's agent and the MCP servers it lists itself. */
export interface InstanceMcpLists {
  find(instanceId: string): Promise<{ agentId: string; mcpConfigs: string[] } | undefined>
}

export class AgentMcpNames implements McpNameSource {
  constructor(private readonly deps: { agents: Pick<AgentsService, 'get'>; instances: InstanceMcpLists }) {}

  /** An instance's own names, and its agent's unless another agent is named (that agent's instead). */
  async namesFor(ids: { instanceId?: string | null; agentId?: string | null }): Promise<string[]> {
    const names: string[] = []
    if (ids.instanceId) {
      const instance = await this.deps.instances.find(ids.instanceId)
      if (!instance) throw new NotFoundError(`Instance not found: ${ids.instanceId}`)
      names.push(...instance.mcpConfigs)
      if (!ids.agentId) names.push(...(await this.templateNames(instance.agentId)))
    }
    if (ids.agentId) names.push(...(await this.agentNames(ids.agentId)))
    return [...new Set(names)]
  }

  /** The names of the agent an instance was made from (even a deleted one; none if it is gone). */
  private async templateNames(agentId: string): Promise<string[]> {
    try {
      return (await this.deps.agents.get(agentId, { includeDeleted: true })).mcpConfigs
    } catch (err) {
      if (err instanceof NotFoundError) return []
      throw err
    }
  }

  private async agentNames(agentId: string): Promise<string[]> {
    try {
      return (await this.deps.agents.get(agentId)).mcpConfigs
    } catch (err) {
      if (err instanceof NotFoundError) throw new NotFoundError(`Agent not found: ${agentId}`)
      throw err
    }
  }
}
