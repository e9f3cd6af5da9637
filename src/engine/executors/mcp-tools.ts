// Connects to the agent's MCP servers and hands their tools to the AI SDK; the caller closes
// the clients when the run ends.
import type { MCPClient } from '@ai-sdk/mcp'
import type { ToolSet } from 'ai'
import { McpServerError, type McpServer } from './mcp-servers.js'

export interface McpTools {
  tools: ToolSet
  /** The server each tool (by the name the model sees) belongs to. */
  serverOf: ReadonlyMap<string, string>
  close(): Promise<void>
}

export const NO_MCP_TOOLS: McpTools = { tools: {}, serverOf: new Map(), close: async () => {} }

/**
 * Opens one client per server and merges their tools. A tool name two servers share is
 * prefixed with its server's name (`crm__search`). Throws McpServerError naming the server that
 * cannot be reached, after closing the clients already open.
 */
export async function openMcpTools(servers: readonly McpServer[], signal: AbortSignal): Promise<McpTools> {
  if (servers.length === 0) return NO_MCP_TOOLS
  const clients: MCPClient[] = []
  const close = async () => {
    await Promise.allSettled(clients.map((client) => client.close()))
  }
  const tools: ToolSet = {}
  const serverOf = new Map<string, string>()
  try {
    for (const server of servers) {
      const client = await connect(server, signal)
      clients.push(client)
      const serverTools = await client.tools().catch((err: unknown) => {
        throw new McpServerError(`MCP server '${server.name}' (${server.url}) did not list its tools: ${reasonOf(err)}`)
      })
      for (const [name, tool] of Object.entries(serverTools)) {
        const exposed = Object.hasOwn(tools, name) ? `${server.name}__${name}` : name
        tools[exposed] = tool
        serverOf.set(exposed, server.name)
      }
    }
  } catch (err) {
    await close()
    throw err
  }
  return { tools, serverOf, close }
}

async function connect(server: McpServer, signal: AbortSignal): Promise<MCPClient> {
  try {
    const { createMCPClient } = await import('@ai-sdk/mcp')
    return await createMCPClient({
      // No redirects: the server's URL was checked against the allowed outbound hosts, where it would lead was not.
      transport: { type: server.transport, url: server.url, redirect: 'error', ...(server.headers && { headers: server.headers }) },
      clientName: 'conductor-gateway',
      initializationOptions: { signal },
    })
  } catch (err) {
    throw new McpServerError(`MCP server '${server.name}' (${server.url}) is unreachable: ${reasonOf(err)}`)
  }
}

function reasonOf(err: unknown): string {
  const error = err as { message?: string; cause?: { message?: string; code?: string } }
  const cause = error.cause?.code ?? error.cause?.message
  return [error.message ?? String(err), cause].filter(Boolean).join(': ')
}
