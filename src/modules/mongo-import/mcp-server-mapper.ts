// One document of the original's `mcp_registry` (§8.9) → a row of `mcp_servers`. Only sidecars
// that registered themselves (`external`) have a place here: the original's `internal` entries are
// its own built-in servers, and this gateway's internal servers come from `mcp.servers` instead.
import { MCP_STATUSES, type McpStatus, RESERVED_NAMES } from '../mcp-registry/registry.model.js'
import type { CredentialSealer } from '../mcp-registry/credentials.js'
import { httpUrl, ServerName } from '../mcp-registry/registry.schemas.js'
import type { Document } from './extended-json.js'
import { json, MappingSkip, obj, str, strings, timeOrNull, type Mapped } from './mappers.js'

export interface McpServerImport {
  /** Seals the original's plaintext `auth` token; null when no MCP_CREDENTIALS_KEY is configured. */
  sealer: CredentialSealer | null
  /** Servers configured in `mcp.servers`: the gateway lists those itself and never stores them. */
  configured: ReadonlySet<string>
  now: number
}

/** Fields the original's on-demand sidecar manager wrote; this gateway neither starts nor stops sidecars. */
const ON_DEMAND_FIELDS = ['docker_compose_path', 'shutdown_after', 'auto_shutdown_minutes']

const url = (value: unknown, field: string): { url: string | null; problem?: string } => {
  if (value === undefined || value === null || value === '') return { url: null }
  const parsed = httpUrl(field).safeParse(value)
  return parsed.success ? { url: parsed.data } : { url: null, problem: `${field} ${JSON.stringify(value)} is not an http(s) URL` }
}

export function mapMcpServer(doc: Document, context: McpServerImport): Mapped {
  const rawName = str(doc.name)?.trim()
  if (!rawName) throw new MappingSkip('no name')
  const parsedName = ServerName.safeParse(rawName)
  if (!parsedName.success) throw new MappingSkip(`name '${rawName}' ${parsedName.error.issues[0]!.message}`)
  const name = parsedName.data
  if (RESERVED_NAMES.has(name)) throw new MappingSkip(`'${name}' is a route of /mcp and cannot name a server`)
  if (doc.type === 'internal') {
    throw new MappingSkip('an internal MCP of the original gateway (one of its built-in servers): list the servers to use under mcp.servers')
  }
  if (context.configured.has(name)) throw new MappingSkip(`'${name}' is a server configured in mcp.servers, which the gateway lists itself`)

  if (doc.url === undefined || doc.url === null || doc.url === '') throw new MappingSkip('no url')
  const main = url(doc.url, 'url')
  if (!main.url) throw new MappingSkip(main.problem!)
  const notes: string[] = []
  const optionalUrl = (field: string) => {
    const found = url(doc[field], field)
    if (found.problem) notes.push(`${found.problem}: left out`)
    return found.url
  }

  const auth = str(doc.auth)?.trim()
  let credentials: string | null = null
  if (auth) {
    if (!context.sealer) {
      throw new MappingSkip('it has an auth token and no MCP_CREDENTIALS_KEY is configured to store it encrypted: set the key and import again')
    }
    // As a registration with `auth` does: the token is sent as `Authorization: Bearer`.
    credentials = context.sealer.seal(name, { auth })
  }

  const status = MCP_STATUSES.includes(doc.status as McpStatus) ? (doc.status as McpStatus) : 'unknown'
  if (status !== doc.status) notes.push(`status ${JSON.stringify(doc.status ?? null)} imported as unknown`)
  const onDemand = ON_DEMAND_FIELDS.filter((field) => doc[field] !== undefined && doc[field] !== null)
  if (onDemand.length > 0) notes.push(`${onDemand.join(', ')} not imported: this gateway does not start or stop sidecars`)

  const metadata = obj(doc.metadata)
  const toolsCount = typeof doc.tools_count === 'number' && Number.isInteger(doc.tools_count) && doc.tools_count >= 0 ? doc.tools_count : 0
  const registeredAt = timeOrNull(doc.registered_at) ?? context.now
  const lastHeartbeat = timeOrNull(doc.last_heartbeat)
  const lastUsed = timeOrNull(doc.last_used)
  return {
    id: name,
    main: {
      table: 'mcp_servers',
      key: 'name',
      row: {
        name,
        url: main.url,
        // The original spoke only the legacy SSE transport to its sidecars, whatever the URL's path.
        transport: 'sse',
        host_url: optionalUrl('host_url'),
        backend_url: optionalUrl('backend_url'),
        credentials,
        status,
        tools_count: toolsCount,
        metadata: metadata ? json({ ...metadata, tags: strings(metadata.tags) }) : null,
        last_heartbeat: lastHeartbeat,
        last_used: lastUsed,
        registered_at: registeredAt,
        updated_at: Math.max(registeredAt, lastHeartbeat ?? 0, lastUsed ?? 0),
      },
    },
    children: [],
    notes,
  }
}
