// Configuration of the MCP registry (/mcp/*), the binder (/binder/*) and the mesh scan (/mcp/mesh).
import { z } from 'zod'
import { section, setting } from './settings.js'

const positiveInt = z.number().int().positive()
const port = z.number().int().min(1).max(65535)

/** 32 bytes as base64 (44 characters) or hex (64 characters): the AES-256-GCM key of stored credentials. */
const credentialsKey = z
  .string()
  .refine((text) => keyBytesOf(text) !== undefined, { message: 'must be 32 bytes as base64 (openssl rand -base64 32) or 64 hex characters' })
  .nullable()
  .default(null)

export function keyBytesOf(text: string): Buffer | undefined {
  const trimmed = text.trim()
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined
  const bytes = Buffer.from(trimmed, 'base64')
  return bytes.length === 32 ? bytes : undefined
}

export const mcpRegistrySections = {
  mcp_registry: section(
    {
      heartbeat_ttl_ms: setting(positiveInt.default(90_000), {
        env: 'MCP_HEARTBEAT_TTL_MS',
        doc: 'a registered server without a heartbeat for this long is listed `unhealthy` (sidecars beat every 30 s)',
      }),
      probe_timeout_ms: setting(positiveInt.max(120_000).default(5_000), {
        env: 'MCP_PROBE_TIMEOUT_MS',
        doc: 'how long a health probe (GET /mcp/{name}/health, binder checks) waits for a server to list its tools',
      }),
      credentials_key: setting(credentialsKey, {
        env: 'MCP_CREDENTIALS_KEY',
        doc:
          'AES-256-GCM key for the credentials (auth token, headers) of registered servers, 32 bytes as base64 or hex; ' +
          'every gateway sharing a database needs the same key (none: registrations with credentials are refused)',
      }),
    },
    'The registry of MCP servers (/mcp/*) and the binder (/binder/*).',
  ),
  mcp_mesh: section(
    {
      enabled: setting(z.boolean().default(false), {
        env: 'MCP_MESH_ENABLED',
        doc: 'let GET /mcp/mesh scan the host and port range below for MCP sidecars',
      }),
      host: setting(z.string().min(1).default('127.0.0.1'), {
        env: 'MCP_MESH_HOST',
        doc: 'the host the mesh scan probes (`http://<host>:<port>/health`)',
      }),
      port_from: setting(port.default(13000), { env: 'MCP_MESH_PORT_FROM', doc: 'first port of the mesh scan' }),
      port_to: setting(port.default(13099), { env: 'MCP_MESH_PORT_TO', doc: 'last port of the mesh scan (at most 1024 ports in all)' }),
      timeout_ms: setting(positiveInt.max(60_000).default(3_000), { env: 'MCP_MESH_TIMEOUT_MS', doc: 'how long each mesh probe waits' }),
    },
    'GET /mcp/mesh: discovery of MCP sidecars by scanning ports (off by default).',
  ),
}
