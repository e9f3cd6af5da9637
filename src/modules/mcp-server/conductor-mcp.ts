// The gateway's MCP server: one McpServer per request (Streamable HTTP) or per legacy SSE
// session, each with the Conductor tools its caller may use, the screenplays as resources and the
// personas as prompts. Nothing lives in the server object between requests, so any instance can
// answer.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { GATEWAY_VERSION } from '../health/health.routes.js'
import { registerPersonaPrompts, registerScreenplayResources } from './catalog.js'
import type { CallControl } from './run-call.js'
import { type McpCaller, MCP_SERVER_NAME } from './mcp-identity.js'
import { registerAdminTools } from './tools/admin-tools.js'
import { registerAgentTools } from './tools/agent-tools.js'
import type { McpServices } from './tools/context.js'
import { registerDataTools } from './tools/data-tools.js'
import { type ToolExtra, registerExecutionTools } from './tools/execution-tools.js'
import { registerSystemTools } from './tools/system-tools.js'

/** Cancels from outside the SDK's own request (another HTTP request, another instance) for a call's request id. */
export type OutsideCancel = (requestId: string | number) => AbortSignal | undefined

export function createConductorMcp(services: McpServices, caller: McpCaller, outsideCancel: OutsideCancel = () => undefined): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, title: 'Conductor Gateway', version: GATEWAY_VERSION },
    {
      capabilities: { logging: {} },
      instructions:
        'Conductor Gateway: list agents with list_available_agents, run one with execute_agent_stateless or execute_agent_contextual ' +
        '(a long run answers its run_id; read it with get_run). Screenplays are resources (screenplay://{id}); personas are prompts.',
    },
  )
  const controlOf = (extra: ToolExtra): CallControl => {
    const outside = outsideCancel(extra.requestId)
    const signal = outside ? AbortSignal.any([extra.signal, outside]) : extra.signal
    const token = extra._meta?.progressToken
    return {
      signal,
      ...(token !== undefined && {
        progress: (progress: number, message: string) =>
          extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, message } }),
      }),
    }
  }
  registerAgentTools(server, services)
  registerExecutionTools(server, services, controlOf)
  registerSystemTools(server, services)
  registerDataTools(server, services)
  if (caller.isAdmin) registerAdminTools(server, services)
  registerScreenplayResources(server, services)
  registerPersonaPrompts(server, services)
  return server
}
