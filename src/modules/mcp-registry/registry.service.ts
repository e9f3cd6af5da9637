// The MCP registry: sidecars register, beat and leave; consumers list, probe and resolve them.
// Servers configured in `mcp.servers` are shown as `internal` entries (read-only, never stored).
// A server's URL must point to an allowed outbound host, when it is registered and before every
// request the gateway sends it (the policy may have narrowed since).
import type { McpTransport } from '../../config/executors.js'
import type { McpServerAddress } from '../../engine/executors/mcp-servers.js'
import type { Clock } from '../../platform/clock.js'
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.js'
import type { OutboundPolicy } from '../../platform/outbound.js'
import { type CredentialSealer, type Credentials, CredentialsUnreadable, headersOf } from './credentials.js'
import type { McpProber } from './mcp-probe.js'
import { effectiveStatus, type McpMetadata, type McpServerEntry, type McpServerType, type McpStatus, RESERVED_NAMES } from './registry.model.js'
import type { McpServersRepo } from './registry.repo.js'

export interface RegisterInput {
  name: string
  url: string
  transport?: McpTransport
  hostUrl?: string | null
  backendUrl?: string | null
  credentials?: Credentials
  metadata?: McpMetadata | null
  toolsCount?: number
}

export interface ListFilter {
  type?: McpServerType
  category?: string
  status?: McpStatus
  healthyOnly?: boolean
}

/** An entry with its status after the TTL rule, and whether it has credentials (never the credentials). */
export interface McpServerView extends Omit<McpServerEntry, 'credentials'> {
  hasCredentials: boolean
}

export interface ProbeReport {
  name: string
  status: McpStatus
  latencyMs: number
  toolsCount: number
  lastHeartbeat: number | null
  error: string | null
}

/** What `validate_conductor_system` and `doctor` read. */
export interface RegistryHealth {
  total: number
  healthy: number
  /** Names of the servers that are not healthy (unhealthy, or never checked), sorted. */
  unhealthy: string[]
}

/** A server the registry can hand to a client: its address with credentials opened. */
export interface ResolvedServer extends McpServerAddress {
  name: string
  type: McpServerType
  status: McpStatus
  hostUrl: string | null
}

export interface McpRegistryDeps {
  repo: McpServersRepo
  clock: Clock
  sealer: CredentialSealer
  prober: McpProber
  outbound: OutboundPolicy
  /** `mcp.servers`: shown as internal entries. */
  staticServers: Record<string, McpServerAddress>
  heartbeatTtlMs: number
  probeTimeoutMs: number
}

/** A server whose URL is not an allowed outbound host: no request may be sent to it. */
export class OutboundRefused extends Error {
  override readonly name = 'OutboundRefused'
}

export class McpRegistry {
  constructor(private readonly deps: McpRegistryDeps) {}

  async register(input: RegisterInput): Promise<McpServerView> {
    if (RESERVED_NAMES.has(input.name)) throw new ValidationError(`'${input.name}' is a route of /mcp and cannot name a server`)
    if (this.isStatic(input.name)) throw new ConflictError(`Cannot register '${input.name}': name reserved for internal MCP`)
    this.deps.outbound.check(input.url, 'url')
    const now = this.deps.clock.now()
    const hasCredentials = Boolean(input.credentials?.auth) || Object.keys(input.credentials?.headers ?? {}).length > 0
    const entry: McpServerEntry = {
      name: input.name,
      type: 'external',
      url: input.url,
      transport: input.transport ?? guessTransport(input.url),
      hostUrl: input.hostUrl ?? null,
      backendUrl: input.backendUrl ?? null,
      credentials: hasCredentials ? this.deps.sealer.seal(input.name, input.credentials!) : null,
      status: 'healthy',
      toolsCount: input.toolsCount ?? 0,
      metadata: input.metadata ?? null,
      lastHeartbeat: now,
      lastUsed: null,
      registeredAt: now,
      updatedAt: now,
    }
    await this.deps.repo.upsert(entry)
    return this.view(entry, now)
  }

  async heartbeat(name: string, toolsCount?: number): Promise<void> {
    if (this.isStatic(name)) throw new BadRequestError(`'${name}' is an internal MCP (configured, not registered); it does not send heartbeats`)
    const now = this.deps.clock.now()
    const found = await this.deps.repo.update(name, {
      status: 'healthy',
      lastHeartbeat: now,
      updatedAt: now,
      ...(toolsCount !== undefined && { toolsCount }),
    })
    if (!found) throw notFound(name)
  }

  async unregister(name: string): Promise<void> {
    if (this.isStatic(name)) throw new BadRequestError(`Cannot unregister '${name}': internal MCPs cannot be removed`)
    if (!(await this.deps.repo.delete(name))) throw notFound(name)
  }

  async list(filter: ListFilter = {}): Promise<{ items: McpServerView[]; counts: { internal: number; external: number; healthy: number } }> {
    const all = await this.all()
    const items = all.filter(
      (e) =>
        (!filter.type || e.type === filter.type) &&
        (!filter.category || e.metadata?.category === filter.category) &&
        (filter.status ? e.status === filter.status : !filter.healthyOnly || e.status === 'healthy'),
    )
    const count = (test: (e: McpServerView) => boolean) => all.filter(test).length
    return {
      items,
      counts: {
        internal: count((e) => e.type === 'internal'),
        external: count((e) => e.type === 'external'),
        healthy: count((e) => e.status === 'healthy'),
      },
    }
  }

  async get(name: string): Promise<McpServerView> {
    const entry = await this.entry(name)
    if (!entry) throw notFound(name)
    return this.view(entry, this.deps.clock.now())
  }

  /** Connects to the server and lists its tools; a registered server's status follows the answer. */
  async probe(name: string): Promise<ProbeReport> {
    const entry = await this.entry(name)
    if (!entry) throw notFound(name)
    const now = this.deps.clock.now()
    const refusal = this.outboundRefusal(entry)
    if (refusal) return { name, status: 'unhealthy', latencyMs: 0, toolsCount: entry.toolsCount, lastHeartbeat: entry.lastHeartbeat, error: refusal }
    let address: McpServerAddress
    try {
      address = this.addressOf(entry)
    } catch (err) {
      if (!(err instanceof CredentialsUnreadable)) throw err
      return { name, status: 'unhealthy', latencyMs: 0, toolsCount: entry.toolsCount, lastHeartbeat: entry.lastHeartbeat, error: err.message }
    }
    const result = await this.deps.prober.probe(address, this.deps.probeTimeoutMs)
    if (result.ok) {
      if (entry.type === 'external')
        await this.deps.repo.update(name, { status: 'healthy', lastHeartbeat: now, toolsCount: result.toolsCount, updatedAt: now })
      return {
        name,
        status: 'healthy',
        latencyMs: result.latencyMs,
        toolsCount: result.toolsCount,
        lastHeartbeat: entry.type === 'external' ? now : null,
        error: null,
      }
    }
    if (entry.type === 'external') await this.deps.repo.update(name, { status: 'unhealthy', updatedAt: now })
    return {
      name,
      status: 'unhealthy',
      latencyMs: result.latencyMs,
      toolsCount: entry.toolsCount,
      lastHeartbeat: entry.lastHeartbeat,
      error: result.error,
    }
  }

  /** Names to internal URLs; unknown and unhealthy names are not found. */
  async resolveNames(names: readonly string[]): Promise<{ resolved: Record<string, string>; notFound: string[] }> {
    const resolved: Record<string, string> = {}
    const notFound: string[] = []
    for (const name of new Set(names)) {
      const server = await this.find(name)
      if (server && server.status !== 'unhealthy') resolved[name] = server.url
      else notFound.push(name)
    }
    return { resolved, notFound }
  }

  /** A server's address with its credentials, or undefined when no server has that name. Throws CredentialsUnreadable. */
  async find(name: string): Promise<ResolvedServer | undefined> {
    const entry = await this.entry(name)
    return entry && this.resolvedOf(entry)
  }

  /** find(), for sending the server requests: throws OutboundRefused when its URL is not an allowed outbound host (and CredentialsUnreadable). */
  async connectable(name: string): Promise<ResolvedServer | undefined> {
    const entry = await this.entry(name)
    if (!entry) return undefined
    const refusal = this.outboundRefusal(entry)
    if (refusal) throw new OutboundRefused(refusal)
    return this.resolvedOf(entry)
  }

  /** The `mcpServers` object of a Claude CLI `--mcp-config` (host-reachable URLs, credentials as headers); unknown and unhealthy names are left out. */
  async claudeConfig(names: readonly string[]): Promise<Record<string, { type: McpTransport; url: string; headers?: Record<string, string> }>> {
    const servers: Record<string, { type: McpTransport; url: string; headers?: Record<string, string> }> = {}
    for (const name of new Set(names)) {
      const server = await this.find(name)
      if (!server || server.status === 'unhealthy') continue
      servers[name] = { type: server.transport, url: server.hostUrl ?? server.url, ...(server.headers && { headers: server.headers }) }
    }
    return servers
  }

  async stats(): Promise<{ total: number; internal: number; external: number; healthy: number; unhealthy: number; unknown: number }> {
    const all = await this.all()
    const count = (test: (e: McpServerView) => boolean) => all.filter(test).length
    return {
      total: all.length,
      internal: count((e) => e.type === 'internal'),
      external: count((e) => e.type === 'external'),
      healthy: count((e) => e.status === 'healthy'),
      unhealthy: count((e) => e.status === 'unhealthy'),
      unknown: count((e) => e.status === 'unknown'),
    }
  }

  /** Removes registered servers not heard from for `maxAgeHours`. */
  async cleanup(maxAgeHours: number): Promise<number> {
    return this.deps.repo.deleteSilentSince(this.deps.clock.now() - maxAgeHours * 3_600_000)
  }

  async health(): Promise<RegistryHealth> {
    const all = await this.all()
    return {
      total: all.length,
      healthy: all.filter((e) => e.status === 'healthy').length,
      unhealthy: all.filter((e) => e.status !== 'healthy').map((e) => e.name),
    }
  }

  /** Records that a run used the server (shown as `last_used`). */
  async touch(name: string): Promise<void> {
    const now = this.deps.clock.now()
    await this.deps.repo.update(name, { lastUsed: now, updatedAt: now })
  }

  private async all(): Promise<McpServerView[]> {
    const now = this.deps.clock.now()
    const stored = await this.deps.repo.list()
    const names = new Set(stored.map((e) => e.name))
    const internal = Object.keys(this.deps.staticServers)
      .filter((name) => !names.has(name))
      .map((name) => this.staticEntry(name))
    return [...internal, ...stored].map((e) => this.view(e, now)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  private async entry(name: string): Promise<McpServerEntry | undefined> {
    return this.isStatic(name) ? this.staticEntry(name) : this.deps.repo.find(name)
  }

  private isStatic(name: string): boolean {
    return Object.hasOwn(this.deps.staticServers, name)
  }

  private staticEntry(name: string): McpServerEntry {
    const server = this.deps.staticServers[name]!
    return {
      name,
      type: 'internal',
      url: server.url,
      transport: server.transport,
      hostUrl: null,
      backendUrl: null,
      credentials: null,
      status: 'unknown',
      toolsCount: 0,
      metadata: { category: 'core', description: 'Configured in mcp.servers', tags: ['internal'] },
      lastHeartbeat: null,
      lastUsed: null,
      registeredAt: 0,
      updatedAt: 0,
    }
  }

  private resolvedOf(entry: McpServerEntry): ResolvedServer {
    return {
      name: entry.name,
      type: entry.type,
      ...this.addressOf(entry),
      status: effectiveStatus(entry, this.deps.clock.now(), this.deps.heartbeatTtlMs),
      hostUrl: entry.hostUrl,
    }
  }

  private outboundRefusal(entry: McpServerEntry): string | undefined {
    return this.deps.outbound.refusal(entry.url, `the URL of MCP server '${entry.name}'`)
  }

  private addressOf(entry: McpServerEntry): McpServerAddress {
    const headers = entry.credentials ? headersOf(this.deps.sealer.open(entry.name, entry.credentials)) : this.deps.staticServers[entry.name]?.headers
    return { url: entry.url, transport: entry.transport, ...(headers && { headers }) }
  }

  private view(entry: McpServerEntry, now: number): McpServerView {
    const { credentials, ...rest } = entry
    return { ...rest, status: effectiveStatus(entry, now, this.deps.heartbeatTtlMs), hasCredentials: credentials !== null }
  }
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`MCP '${name}' not found`)
}

/** The MCP convention: a URL path ending in /sse is the legacy SSE transport, anything else streamable HTTP. */
export function guessTransport(url: string): McpTransport {
  return /\/sse\/?$/.test(new URL(url).pathname) ? 'sse' : 'http'
}
