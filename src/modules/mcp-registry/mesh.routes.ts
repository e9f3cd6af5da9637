// HTTP for GET /mcp/mesh (original-gateway.md §2.8, §6.5); off unless mcp_mesh.enabled.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import type { McpMesh } from './mesh.js'

const MeshDto = z.object({
  mesh_nodes: z.array(
    z.object({
      name: z.string(),
      url: z.string(),
      host_url: z.null(),
      status: z.literal('healthy'),
      latency_ms: z.number(),
      tools_count: z.number(),
      last_verified: z.string(),
    }),
  ),
  total_active: z.number(),
  enabled: z.boolean().describe('Whether the scan is on (mcp_mesh.enabled)'),
  message: z.string().optional().describe('How to turn it on, while it is off'),
})

export const meshRoutes: FastifyPluginAsyncZod<{ mesh: McpMesh }> = async (app, { mesh }) => {
  app.get(
    '/mcp/mesh',
    {
      schema: {
        tags: ['mcp registry'],
        summary: 'MCP sidecars found by scanning the configured host and port range (empty while the scan is off)',
        response: { 200: MeshDto },
      },
    },
    async () => {
      if (!mesh.settings.enabled) {
        return {
          mesh_nodes: [],
          total_active: 0,
          enabled: false,
          message: `MCP mesh discovery is off; set MCP_MESH_ENABLED=true (mcp_mesh.enabled) to scan ${mesh.describe()}`,
        }
      }
      const nodes = await mesh.scan()
      return {
        mesh_nodes: nodes.map((n) => ({
          name: n.name,
          url: n.url,
          host_url: null,
          status: 'healthy' as const,
          latency_ms: n.latencyMs,
          tools_count: n.toolsCount,
          last_verified: toIso(n.lastVerified),
        })),
        total_active: nodes.length,
        enabled: true,
      }
    },
  )
}
