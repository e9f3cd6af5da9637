// Wire shapes of /mcp/* (original-gateway.md §2.8; web-client-contract.md #2 reads /mcp/list).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { QueryBool } from '../../platform/http/query.js'
import { MCP_STATUSES, type McpMetadata } from './registry.model.js'
import type { McpServerView, ProbeReport } from './registry.service.js'

/** An absolute http(s) URL (also what import-mongo accepts from the original's registry). */
export const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .max(2000)
    .refine((url) => /^https?:\/\//i.test(url) && URL.canParse(url), { message: `${what} must be an http(s) URL` })

/** Letters, digits, `.`, `_` and `-`: a name is a path segment and a prefix of tool names. */
export const ServerName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'must start with a letter or digit and hold only letters, digits, ., _ and -' })

const Metadata = z
  .looseObject({
    category: z.string().max(100).optional(),
    description: z.string().max(2000).optional(),
    version: z.string().max(100).optional(),
    tags: z.array(z.string().max(100)).max(50).default([]),
  })
  .describe('category, description, version, tags and any other fields')

export const RegisterBody = z.object({
  name: ServerName,
  url: httpUrl('url').describe('Where the gateway reaches the server: streamable HTTP (…/mcp) or legacy SSE (…/sse)'),
  transport: z.enum(['http', 'sse']).optional().describe('Default: sse when the URL path ends in /sse, else http'),
  host_url: httpUrl('host_url').nullable().optional().describe('Where a CLI on the host reaches it (written to /mcp/config)'),
  backend_url: httpUrl('backend_url').nullable().optional(),
  auth: z.string().min(1).max(4000).nullable().optional().describe('A token, sent as `Authorization: Bearer`; stored encrypted, never returned'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]+$/, { message: 'header names hold letters, digits and -' }), z.string().max(4000))
    .optional()
    .describe('Extra HTTP headers for the server; stored encrypted, never returned'),
  metadata: Metadata.nullable().optional(),
  tools_count: z.number().int().min(0).max(100_000).optional(),
})

export const HeartbeatBody = z
  .object({ tools_count: z.number().int().min(0).max(100_000).optional(), status: z.enum(MCP_STATUSES).optional().describe('Ignored (compat)') })
  .nullish()

export const NameParams = z.object({ name: z.string() })

export const ListQuery = z.object({
  type: z.enum(['internal', 'external']).optional(),
  category: z.string().max(100).optional(),
  status: z.enum(MCP_STATUSES).optional(),
  healthy_only: QueryBool.default(false),
})

export const ConfigQuery = z.object({ instance_id: z.string().max(200).optional(), agent_id: z.string().max(200).optional() })
export const ResolveBody = z.object({ names: z.array(z.string().max(100)).max(200) })
export const CleanupQuery = z.object({
  max_age_hours: z.coerce
    .number({ message: 'must be a number' })
    .positive({ message: 'must be more than 0' })
    .max(24 * 365, { message: 'must be at most 8760' })
    .default(24),
})

export const EntryDto = z.object({
  name: z.string(),
  type: z.enum(['internal', 'external']),
  url: z.string(),
  transport: z.enum(['http', 'sse']),
  backend_url: z.string().nullable(),
  status: z.enum(MCP_STATUSES),
  tools_count: z.number(),
  last_heartbeat: z.string().nullable(),
  registered_at: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  host_url: z.string().nullable(),
  has_auth: z.boolean().describe('Whether credentials are stored (they are never returned)'),
  docker_compose_path: z.null(),
  shutdown_after: z.null(),
  last_used: z.string().nullable(),
  auto_shutdown_minutes: z.number(),
})

export const ListDto = z.object({
  items: z.array(EntryDto),
  total: z.number(),
  internal_count: z.number(),
  external_count: z.number(),
  healthy_count: z.number(),
})

export const ProbeDto = z.object({
  name: z.string(),
  status: z.enum(MCP_STATUSES),
  latency_ms: z.number(),
  tools_count: z.number(),
  last_heartbeat: z.string().nullable(),
  error: z.string().nullable(),
})

export const ResolveDto = z.object({ resolved: z.record(z.string(), z.string()), not_found: z.array(z.string()) })
export const ClaudeConfigDto = z.object({
  mcpServers: z.record(
    z.string(),
    z.object({ type: z.enum(['http', 'sse']), url: z.string(), headers: z.record(z.string(), z.string()).optional() }),
  ),
})
export const StatsDto = z.object({
  total: z.number(),
  internal: z.number(),
  external: z.number(),
  healthy: z.number(),
  unhealthy: z.number(),
  unknown: z.number(),
})
export const CleanupDto = z.object({ removed: z.number() })

const isoOrNull = (ms: number | null) => (ms === null || ms === 0 ? null : toIso(ms))

export function toEntryDto(e: McpServerView): z.infer<typeof EntryDto> {
  return {
    name: e.name,
    type: e.type,
    url: e.url,
    transport: e.transport,
    backend_url: e.backendUrl,
    status: e.status,
    tools_count: e.toolsCount,
    last_heartbeat: isoOrNull(e.lastHeartbeat),
    registered_at: isoOrNull(e.registeredAt),
    metadata: e.metadata,
    host_url: e.hostUrl,
    has_auth: e.hasCredentials,
    docker_compose_path: null,
    shutdown_after: null,
    last_used: isoOrNull(e.lastUsed),
    auto_shutdown_minutes: 30,
  }
}

export function toProbeDto(p: ProbeReport): z.infer<typeof ProbeDto> {
  return {
    name: p.name,
    status: p.status,
    latency_ms: p.latencyMs,
    tools_count: p.toolsCount,
    last_heartbeat: isoOrNull(p.lastHeartbeat),
    error: p.error,
  }
}

export function metadataOf(body: z.infer<typeof RegisterBody>): McpMetadata | null {
  return body.metadata ? (body.metadata as McpMetadata) : null
}
