// The management side of the Conductor's generic route (conductor-backend.md §2.4), answered
// from the gateway's own catalog in the Conductor's process-like shape.
import { BadRequestError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'

export async function conductorCommand(body: Record<string, unknown>, agents: AgentsService) {
  if (body.list_agents) {
    const all = await agents.list()
    const lines = all.map((a) => `${a.emoji} ${a.agentId} — ${a.description}`)
    return success(`${all.length} agents\n${lines.join('\n')}`, 'list_agents')
  }
  if (typeof body.info_agent === 'string') {
    const agent = await agents.get(body.info_agent)
    const info = {
      agent_id: agent.agentId,
      name: agent.name,
      emoji: agent.emoji,
      description: agent.description,
      tags: agent.tags,
      ai_provider: agent.aiProvider,
      model: agent.model,
      mcp_configs: agent.mcpConfigs,
    }
    return success(JSON.stringify(info, null, 2), `info_agent ${agent.agentId}`)
  }
  if (body.validate) return success('gateway catalog is available', 'validate')
  const unsupported = ['backup', 'restore', 'install'].find((key) => body[key] !== undefined && body[key] !== false)
  if (unsupported) throw new BadRequestError(`'${unsupported}' is a Conductor installation command the gateway does not run`)
  throw new BadRequestError('Operação não reconhecida: send agent_id/agent_name with input_text, or list_agents, info_agent or validate')
}

function success(stdout: string, command: string) {
  return { status: 'success' as const, returncode: 0, stdout, stderr: '', command }
}
