// A registered MCP server as the registry keeps it. Servers listed in config (`mcp.servers`) appear
// as `internal` entries that are never stored; sidecars that register over HTTP are `external`.
import type { McpTransport } from '../../config/executors.js'

export const MCP_STATUSES = ['healthy', 'unhealthy', 'unknown', 'stopped', 'starting'] as const
export type McpStatus = (typeof MCP_STATUSES)[number]
export type McpServerType = 'internal' | 'external'

export interface McpMetadata {
  category?: string
  description?: string
  version?: string
  tags: string[]
  [extra: string]: unknown
}

export interface McpServerEntry {
  name: string
  type: McpServerType
  url: string
  transport: McpTransport
  hostUrl: string | null
  backendUrl: string | null
  /** Sealed credentials (see credentials.ts); null when the server needs none. */
  credentials: string | null
  status: McpStatus
  toolsCount: number
  metadata: McpMetadata | null
  lastHeartbeat: number | null
  lastUsed: number | null
  registeredAt: number
  updatedAt: number
}

/** Names that are routes of /mcp/*, so `GET /mcp/{name}` could never reach them. */
export const RESERVED_NAMES = new Set(['list', 'mesh', 'config', 'stats', 'resolve', 'cleanup', 'register', 'heartbeat', 'unregister'])

/** The TTL rule: an external server last heard from longer than `ttlMs` ago is unhealthy, whatever it said then. */
export function effectiveStatus(entry: McpServerEntry, now: number, ttlMs: number): McpStatus {
  if (entry.type !== 'external' || entry.status !== 'healthy') return entry.status
  return entry.lastHeartbeat === null || now - entry.lastHeartbeat > ttlMs ? 'unhealthy' : 'healthy'
}
