// Everything the gateway serves as an MCP server, registered at once: /mcp, /sse + /messages and
// the introspection routes.
import type { FastifyPluginAsync } from 'fastify'
import type { ClusterChannel } from '../../platform/events/cluster-channel.js'
import type { WorkBudget } from '../../platform/http/limits.js'
import { CallCancels } from './call-cancels.js'
import { legacySseRoutes } from './legacy-sse.routes.js'
import { LegacySseSessions } from './legacy-sse.js'
import { mcpsStatusRoutes } from './mcps-status.routes.js'
import type { OriginPolicy } from './origin-guard.js'
import { streamableHttpRoutes } from './streamable-http.routes.js'
import type { McpServices } from './tools/context.js'

export interface McpServerRoutesOptions {
  services: McpServices
  /** Reaches the other gateway instances (cancels, legacy SSE relays). */
  cluster: ClusterChannel
  clustered: boolean
  origin: OriginPolicy
  port: number
  heartbeatMs: number
  /** The per-client budget of work-starting requests, shared with the expensive routes: tool calls spend it. */
  work: WorkBudget
}

export const mcpServerRoutes: FastifyPluginAsync<McpServerRoutesOptions> = async (app, options) => {
  const { services, cluster, clustered, origin, port, heartbeatMs, work } = options
  await app.register(streamableHttpRoutes, { services, cancels: new CallCancels(cluster), origin, work })
  await app.register(legacySseRoutes, { services, sessions: new LegacySseSessions(cluster, clustered), origin, heartbeatMs, work })
  await app.register(mcpsStatusRoutes, { port })
}
