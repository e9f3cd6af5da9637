// Which MCP servers an instance or an agent lists (instance `mcp_configs` ∪ its agent's).
import { NotFoundError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { InstancesService } from '../instances/instances.service.js'

/** Port: the names an instance or agent lists; NotFoundError for an unknown id. */
export interface McpNameSource {
  namesFor(ids: { instanceId?: string | null; agentId?: string | null }): Promise<string[]>
}

export class AgentMcpNames implements McpNameSource {
  constructor(private readonly deps: { agents: Pick<AgentsService, 'get'>; instances: () => Pick<InstancesService, 'mcpConfigs'> }) {}

  async namesFor(ids: { instanceId?: string | null; agentId?: string | null }): Promise<string[]> {
    const names: string[] = []
    if (ids.instanceId) {
      const { instance, combined } = await this.deps.instances().mcpConfigs(ids.instanceId)
      names.push(...(ids.agentId && ids.agentId !== instance.agentId ? instance.mcpConfigs : combined))
    }
    if (ids.agentId) names.push(...(await this.agentNames(ids.agentId)))
    return [...new Set(names)]
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
