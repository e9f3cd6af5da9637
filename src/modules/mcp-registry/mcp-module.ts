// Builds the registry, binder, mesh and the run resolver from config (called by the composition root).
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../../config.js'
import { keyBytesOf } from '../../config/mcp-registry.js'
import type { Clock } from '../../platform/clock.js'
import type { Tables } from '../../platform/db/tables.js'
import type { OutboundPolicy } from '../../platform/outbound.js'
import { transactorOf } from '../../platform/db/unit-of-work.js'
import type { AgentsService } from '../agents/agents.service.js'
import { KyselyBindingsRepo } from './binder.repo.js'
import { McpBinder } from './binder.service.js'
import { CredentialSealer } from './credentials.js'
import { AgentMcpNames, type InstanceMcpLists } from './mcp-names.js'
import { type McpProber, SdkMcpProber } from './mcp-probe.js'
import { McpMesh } from './mesh.js'
import { McpRegistry } from './registry.service.js'
import { RegistryMcpServers } from './run-servers.js'
import { KyselyMcpServersRepo } from './registry.repo.js'

export interface McpModuleDeps {
  config: Config
  db: Kysely<Tables>
  clock: Clock
  logger: Logger
  agents: AgentsService
  /** Where registered servers may be: checked at registration and before every request to one. */
  outbound: OutboundPolicy
  instances: InstanceMcpLists
  prober?: McpProber
}

/** The registry alone (the doctor reads its health without the rest of the module). */
export function registryOf(deps: Pick<McpModuleDeps, 'config' | 'db' | 'clock' | 'outbound' | 'prober'>): McpRegistry {
  const { config } = deps
  const settings = config.mcp_registry
  return new McpRegistry({
    repo: new KyselyMcpServersRepo(deps.db),
    clock: deps.clock,
    sealer: new CredentialSealer(settings.credentialsKey ? keyBytesOf(settings.credentialsKey)! : null),
    prober: deps.prober ?? new SdkMcpProber(),
    outbound: deps.outbound,
    staticServers: config.mcp.servers,
    heartbeatTtlMs: settings.heartbeatTtlMs,
    probeTimeoutMs: settings.probeTimeoutMs,
  })
}

export function createMcpModule(deps: McpModuleDeps) {
  const { config, db, clock } = deps
  const registry = registryOf(deps)
  const names = new AgentMcpNames({ agents: deps.agents, instances: deps.instances })
  const binder = new McpBinder({ repo: new KyselyBindingsRepo(db), registry, names, clock, transact: transactorOf(db), logger: deps.logger })
  /** What runs use: the engine's McpServerResolver. */
  const runServers = new RegistryMcpServers({ registry, binder, names })
  const mesh = new McpMesh(config.mcp_mesh, clock)
  return { registry, names, binder, runServers, mesh, close: () => binder.stopMonitoring() }
}

export type McpModule = ReturnType<typeof createMcpModule>
