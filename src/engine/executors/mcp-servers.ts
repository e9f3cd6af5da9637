// Where the MCP servers an agent names live. The executors take a resolver so the gateway's MCP
// registry can replace the config map later without touching them.
import type { McpTransport } from '../../config/executors.js'

export interface McpServerAddress {
  url: string
  transport: McpTransport
  /** Sent with every request to the server (credentials of registered servers). */
  headers?: Record<string, string>
}

export interface McpServer extends McpServerAddress {
  name: string
}

/** Who a run's servers are resolved for. */
export interface McpServersRequest {
  /** The names the run's agent lists. */
  mcpServers: readonly string[]
  agentId: string | null
  instanceId: string | null
}

/** Port: resolves an MCP server name to its address. */
export interface McpServerResolver {
  /** Undefined when no server of that name is known. */
  resolve(name: string): Promise<McpServerAddress | undefined>
  /**
   * The servers a run gets, when the resolver knows more than the agent's names (the registry adds
   * the instance's bindings and applies the agent's policy). Throws McpServerError when one cannot be used.
   */
  serversFor?(request: McpServersRequest): Promise<McpServer[]>
}

/** Servers listed in config (`mcp.servers`, env MCP_SERVERS). */
export class ConfigMcpServerResolver implements McpServerResolver {
  constructor(private readonly servers: Record<string, McpServerAddress>) {}

  async resolve(name: string): Promise<McpServerAddress | undefined> {
    return Object.hasOwn(this.servers, name) ? this.servers[name] : undefined
  }
}

/** A named server that cannot be used; the run fails with this message. */
export class McpServerError extends Error {
  override readonly name = 'McpServerError'
}

/** Every named server's address, in order, without duplicates; throws on the first unknown name. */
export async function resolveMcpServers(names: readonly string[], resolver: McpServerResolver): Promise<McpServer[]> {
  const servers: McpServer[] = []
  for (const name of new Set(names)) {
    const address = await resolver.resolve(name)
    if (!address) throw new McpServerError(`MCP server '${name}' is not configured (add it to mcp.servers or MCP_SERVERS)`)
    servers.push({ name, ...address })
  }
  return servers
}

/** The servers of a run: the resolver's choice, or else the agent's named servers. */
export async function serversOfRun(request: McpServersRequest, resolver: McpServerResolver): Promise<McpServer[]> {
  return resolver.serversFor ? resolver.serversFor(request) : resolveMcpServers(request.mcpServers, resolver)
}
