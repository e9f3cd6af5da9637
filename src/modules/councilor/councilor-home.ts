// Where an instance councilor lives (original-gateway.md §2.5 promote): a screenplay that records
// its runs, a conversation, and an agent instance flagged as a councilor.
import type { ConversationsService } from '../conversations/conversations.service.js'
import type { InstancesService } from '../instances/instances.service.js'
import type { ScreenplaysService } from '../screenplays/screenplays.service.js'
import type { CouncilorHome } from './councilor.service.js'

export function councilorHomeOf(deps: {
  screenplays: Pick<ScreenplaysService, 'create' | 'delete'>
  conversations: Pick<ConversationsService, 'create'>
  instances: Pick<InstancesService, 'draft' | 'insertDraft' | 'delete'>
  agents: { get(agentId: string): Promise<{ name: string; emoji: string; description: string }> }
}): CouncilorHome {
  return {
    async create({ agentId, councilorId, displayName, config, cwd }) {
      const agent = await deps.agents.get(agentId)
      const screenplay = await deps.screenplays.create({
        name: `Councilor: ${displayName}`,
        description: `Screenplay para conselheiro: ${config.title}`,
        tags: ['councilor', 'auto-generated'],
        content:
          `# Councilor: ${displayName}\n\n## Configuração\n- **Agente:** ${agent.name}\n- **Tarefa:** ${config.task.name}\n` +
          `- **Agendamento:** ${config.schedule.type}=${config.schedule.value}\n\n## Descrição\n${config.task.prompt.slice(0, 500)}...\n\n---\n` +
          '*Este screenplay foi criado automaticamente para rastrear execuções do conselheiro.*\n',
      })
      const conversation = await deps.conversations.create({ title: `Histórico: ${displayName}`, screenplayId: screenplay.id })
      return {
        screenplayId: screenplay.id,
        conversationId: conversation.id,
        async storeInstance(uow, customization) {
          const instance = deps.instances.draft(
            {
              instanceId: councilorId,
              agentId,
              screenplayId: screenplay.id,
              conversationId: conversation.id,
              position: { x: 100, y: 100 },
              emoji: agent.emoji || '🏛️',
              definition: { title: agent.name, description: agent.description, unicode: '' },
              isCouncilorInstance: true,
              councilorConfig: config as unknown as Record<string, unknown>,
              customization,
            },
            cwd,
          )
          await deps.instances.insertDraft(instance, uow)
        },
        // The screenplay takes its conversation along.
        discard: () => deps.screenplays.delete(screenplay.id),
      }
    },
    async remove(instanceId) {
      await deps.instances.delete(instanceId, { hard: false, cascade: false }).catch(() => undefined)
    },
  }
}
