// The agent catalog as tools: list, inspect, and install the persona templates the gateway ships.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { Agent } from '../../agents/agents.repo.js'
import { PERSONA_TEMPLATES } from '../persona-templates.js'
import { answering, ok, okJson } from '../tool-results.js'
import type { McpServices } from './context.js'

export const AgentId = z.string().trim().min(1).max(200).describe('The agent’s id (e.g. "CodeReviewer_Agent") or its name')

export function registerAgentTools(server: McpServer, s: McpServices): void {
  server.registerTool(
    'list_available_agents',
    { title: 'List agents', description: 'Lists every agent of the gateway’s catalog: id, name, emoji, description, provider and model.' },
    () =>
      answering(async () => {
        const agents = await s.agents.list()
        const lines = agents.map((a) => `${a.emoji} ${a.agentId} — ${a.name}: ${a.description}`)
        return ok(`🤖 ${agents.length} agents available\n${lines.join('\n')}`, { agents: agents.map(summaryOf) })
      }),
  )

  server.registerTool(
    'get_agent_info',
    {
      title: 'Agent details',
      description: 'Everything the catalog knows about one agent, with its current persona (system prompt).',
      inputSchema: { agent_id: AgentId },
    },
    ({ agent_id }) =>
      answering(async () => {
        const agent = (await s.agents.find(agent_id)) ?? (await s.agents.get(agent_id))
        const persona = await s.personas.current(agent.agentId)
        return okJson({
          ...summaryOf(agent),
          group: agent.group,
          tags: agent.tags,
          mcp_configs: agent.mcpConfigs,
          is_councilor: agent.isCouncilor,
          persona: persona?.content ?? null,
          persona_version: persona?.version ?? null,
        })
      }),
  )

  server.registerTool(
    'install_agent_templates',
    {
      title: 'Install agent templates',
      description:
        'Without template_name: lists the agent templates shipped with the gateway and whether each is installed. ' +
        'With template_name: adds that agent (with its persona) to the catalog; an agent that already exists is left as it is.',
      inputSchema: { template_name: z.string().trim().min(1).max(200).optional().describe('A template’s agent id, from the list') },
    },
    ({ template_name }) =>
      answering(async () => {
        if (!template_name) {
          const templates = await Promise.all(
            PERSONA_TEMPLATES.map(async (t) => ({
              template_name: t.agentId,
              name: t.name,
              emoji: t.emoji,
              description: t.description,
              installed: (await s.agents.find(t.agentId)) !== undefined,
            })),
          )
          return ok(templates.map((t) => `${t.emoji} ${t.template_name}${t.installed ? ' (installed)' : ''} — ${t.description}`).join('\n'), {
            templates,
          })
        }
        const template = PERSONA_TEMPLATES.find((t) => t.agentId.toLowerCase() === template_name.toLowerCase())
        if (!template) {
          const names = PERSONA_TEMPLATES.map((t) => t.agentId).join(', ')
          throw new Error(`No template named '${template_name}'. Templates: ${names}`)
        }
        if (await s.agents.find(template.agentId)) {
          return ok(`${template.emoji} ${template.agentId} is already installed; left as it is.`, {
            agent_id: template.agentId,
            outcome: 'unchanged',
          })
        }
        const { agentId, ...input } = template
        const result = await s.agents.importAgent(agentId, input, 'gateway template')
        return ok(`✅ Installed ${template.emoji} ${agentId}`, { agent_id: agentId, outcome: result.outcome })
      }),
  )
}

function summaryOf(agent: Agent) {
  return {
    agent_id: agent.agentId,
    name: agent.name,
    emoji: agent.emoji,
    description: agent.description,
    ai_provider: agent.aiProvider,
    model: agent.model,
  }
}
