// Screenplays as MCP resources (screenplay://{id}, Markdown) and agents' personas as MCP prompts
// (one prompt per agent, named by its id), so any MCP client can read them.
import { type McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import { GetPromptRequestSchema, ListPromptsRequestSchema, McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js'
import type { McpServices } from './tools/context.js'

const LIST_LIMIT = 100

export function registerScreenplayResources(server: McpServer, s: Pick<McpServices, 'screenplays'>): void {
  server.registerResource(
    'screenplay',
    new ResourceTemplate('screenplay://{id}', {
      list: async () => {
        const { items } = await s.screenplays.list({ page: 1, limit: LIST_LIMIT, includeDeleted: false, sort: '-lastUsedAt' })
        return {
          resources: items.map((sp) => ({
            uri: `screenplay://${sp.id}`,
            name: sp.name,
            description: sp.description || `Screenplay ${sp.name}`,
            mimeType: 'text/markdown',
          })),
        }
      },
    }),
    { title: 'Screenplay', description: 'A screenplay’s Markdown content', mimeType: 'text/markdown' },
    async (uri, { id }) => {
      const sp = await s.screenplays.find(String(id))
      if (!sp) throw new McpError(ErrorCode.InvalidParams, `Screenplay not found: ${String(id)}`)
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: sp.content }] }
    },
  )
}

/** Prompts are read from the catalog on each request: the SDK's static registration cannot follow agents being added. */
export function registerPersonaPrompts(server: McpServer, s: Pick<McpServices, 'agents' | 'personas'>): void {
  const low = server.server
  low.registerCapabilities({ prompts: { listChanged: false } })
  low.setRequestHandler(ListPromptsRequestSchema, async () => {
    const agents = await s.agents.list()
    return {
      prompts: agents.map((a) => ({
        name: a.agentId,
        title: `${a.emoji} ${a.name}`,
        description: `The persona of ${a.name}: ${a.description}`,
        arguments: [{ name: 'task', description: 'What to ask the agent (appended after the persona)', required: false }],
      })),
    }
  })
  low.setRequestHandler(GetPromptRequestSchema, async (request) => {
    const agent = await s.agents.find(request.params.name)
    if (!agent) throw new McpError(ErrorCode.InvalidParams, `No agent named '${request.params.name}'`)
    const persona = await s.personas.current(agent.agentId)
    const task = request.params.arguments?.task
    const text = [persona?.content ?? `You are ${agent.name}. ${agent.description}`, task ? `\n---\n\n${task}` : ''].join('')
    return {
      description: `${agent.emoji} ${agent.name}${persona ? ` (persona version ${persona.version})` : ''}`,
      messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }],
    }
  })
}
