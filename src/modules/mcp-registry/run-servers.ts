// The engine's McpServerResolver, backed by the registry and the binder: a run gets the servers its
// agent lists, its instance lists and its instance is bound to (minus suspended ones), filtered by
// the agent's policy; registered servers come with their credentials, configured ones as written.
import {
  McpServerError,
  type McpServer,
  type McpServerAddress,
  type McpServerResolver,
  type McpServersRequest,
} from '../../engine/executors/mcp-servers.js'
import { NotFoundError } from '../../platform/http/errors.js'
import { applyPolicy, DEFAULT_POLICY } from './binder.model.js'
import type { McpBinder } from './binder.service.js'
import { CredentialsUnreadable } from './credentials.js'
import type { McpNameSource } from './mcp-names.js'
import { type McpRegistry, OutboundRefused, type ResolvedServer } from './registry.service.js'

export class RegistryMcpServers implements McpServerResolver {
  constructor(private readonly deps: { registry: McpRegistry; binder: McpBinder; names: McpNameSource }) {}

  async resolve(name: string): Promise<McpServerAddress | undefined> {
    const server = await this.find(name)
    return server && { url: server.url, transport: server.transport, ...(server.headers && { headers: server.headers }) }
  }

  async serversFor(request: McpServersRequest): Promise<McpServer[]> {
    const names = new Set(request.mcpServers)
    if (request.instanceId) {
      for (const name of await this.instanceNames(request.instanceId)) names.add(name)
      const bound = await this.deps.binder.boundNames(request.instanceId)
      for (const name of bound?.active ?? []) names.add(name)
      for (const name of bound?.inactive ?? []) names.delete(name)
    }
    const policy = request.agentId ? await this.deps.binder.policyOf(request.agentId) : DEFAULT_POLICY
    const servers: McpServer[] = []
    for (const name of applyPolicy([...names], policy).allowed) {
      const server = await this.find(name)
      if (!server) {
        throw new McpServerError(
          `MCP server '${name}' is not configured (register it with POST /mcp/register, or add it to mcp.servers or MCP_SERVERS)`,
        )
      }
      if (server.type === 'external') await this.deps.registry.touch(name)
      servers.push({ name, url: server.url, transport: server.transport, ...(server.headers && { headers: server.headers }) })
    }
    return servers
  }

  private async find(name: string): Promise<ResolvedServer | undefined> {
    try {
      return await this.deps.registry.connectable(name)
    } catch (err) {
      if (err instanceof CredentialsUnreadable || err instanceof OutboundRefused) throw new McpServerError(err.message)
      throw err
    }
  }

  /** The instance's own `mcp_configs` with its agent's; an instance the gateway does not store lists none. */
  private async instanceNames(instanceId: string): Promise<string[]> {
    try {
      return await this.deps.names.namesFor({ instanceId })
    } catch (err) {
      if (err instanceof NotFoundError) return []
      throw err
    }
  }
}
