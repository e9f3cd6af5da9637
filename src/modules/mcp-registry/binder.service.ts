// The binder: before an agent instance runs, which registered MCP servers it may use (its names,
// the agent's policy, the servers' health), kept in the database; a health monitor suspends bound
// servers that stop answering and reactivates them when they answer again.
import type { Logger } from 'pino'
import type { Clock } from '../../platform/clock.js'
import type { Transactor } from '../../platform/db/unit-of-work.js'
import { BadRequestError, NotFoundError } from '../../platform/http/errors.js'
import { applyPolicy, type Binding, type BindingPolicy, type BoundMcp, DEFAULT_POLICY } from './binder.model.js'
import type { BindingsRepo } from './binder.repo.js'
import type { McpNameSource } from './mcp-names.js'
import type { McpRegistry } from './registry.service.js'

export interface BindInput {
  instanceId: string
  agentId: string
  /** Default: the names the instance and its agent list. */
  mcpNames?: string[]
  conversationId?: string | null
  screenplayId?: string | null
}

export interface BindOutcome {
  binding: Binding
  bound: string[]
  failed: Array<{ name: string; why: string }>
  message: string
}

export interface BinderDeps {
  repo: BindingsRepo
  registry: McpRegistry
  names: McpNameSource
  clock: Clock
  transact: Transactor
  logger: Logger
}

export class McpBinder {
  private monitor: { timer: NodeJS.Timeout | null; intervalMs: number; running: boolean } | null = null

  constructor(private readonly deps: BinderDeps) {}

  async bind(input: BindInput): Promise<BindOutcome> {
    const existing = await this.deps.repo.find(input.instanceId)
    if (existing) return { binding: existing, bound: activeNames(existing), failed: [], message: 'Already bound' }
    const names = input.mcpNames ?? (await this.namesOf(input.instanceId, input.agentId))
    const now = this.deps.clock.now()
    const binding: Binding = {
      instanceId: input.instanceId,
      agentId: input.agentId,
      conversationId: input.conversationId ?? null,
      screenplayId: input.screenplayId ?? null,
      mcps: {},
      status: 'active',
      totalToolCalls: 0,
      createdAt: now,
      updatedAt: now,
    }
    const policy = await this.policyOf(input.agentId)
    const { allowed, refused } = applyPolicy(names, policy)
    const failed = [...refused]
    for (const name of allowed) {
      const checked = await this.check(name, policy.requireHealthy)
      if ('why' in checked) failed.push({ name, why: checked.why })
      else binding.mcps[name] = checked
    }
    await this.deps.repo.save(binding)
    const bound = activeNames(binding)
    const message =
      names.length === 0
        ? 'No MCPs configured for this agent'
        : `Bound ${bound.length} of ${new Set(names).size} MCPs${failed.length > 0 ? `; not bound: ${failed.map((f) => `${f.name} (${f.why})`).join(', ')}` : ''}`
    return { binding, bound, failed, message }
  }

  async unbind(instanceId: string): Promise<void> {
    if (!(await this.deps.repo.delete(instanceId))) throw bindingNotFound(instanceId)
  }

  /** Checks every bound server again: a healthy one is (re)activated, any other suspended. */
  async rebind(instanceId: string): Promise<BindOutcome> {
    const binding = await this.deps.repo.find(instanceId)
    if (!binding) throw new NotFoundError('Instance not bound')
    const failed: BindOutcome['failed'] = []
    for (const mcp of Object.values(binding.mcps)) {
      const checked = await this.check(mcp.name, true)
      if ('why' in checked) {
        const why = checked.notFound ? 'Not found in registry during rebind' : `Health check failed during rebind: ${checked.why}`
        binding.mcps[mcp.name] = { ...mcp, status: 'suspended', lastHealthCheck: this.deps.clock.now(), errorMessage: why }
        failed.push({ name: mcp.name, why })
      } else {
        binding.mcps[mcp.name] = { ...checked, boundAt: mcp.boundAt }
      }
    }
    // Servers added or removed while the probes ran keep their change.
    const saved = await this.change(instanceId, (current) => {
      for (const name of Object.keys(current.mcps)) if (binding.mcps[name]) current.mcps[name] = binding.mcps[name]
    })
    const bound = activeNames(saved)
    return { binding: saved, bound, failed, message: `Rebound: ${bound.length} active, ${failed.length} suspended` }
  }

  async addMcp(instanceId: string, name: string): Promise<void> {
    const binding = await this.deps.repo.find(instanceId)
    if (!binding) throw bindingNotFound(instanceId)
    if (!(await this.deps.registry.find(name))) throw new NotFoundError(`MCP '${name}' not found`)
    const policy = await this.policyOf(binding.agentId)
    const others = Object.keys(binding.mcps).filter((n) => n !== name)
    const { refused } = applyPolicy([...others, name], policy)
    const refusal = refused.find((r) => r.name === name)
    if (refusal) throw new BadRequestError(`Failed to add MCP ${name} to instance ${instanceId}: ${refusal.why}`)
    const checked = await this.check(name, policy.requireHealthy)
    if ('why' in checked) throw new BadRequestError(`Failed to add MCP ${name} to instance ${instanceId}: ${checked.why}`)
    await this.change(instanceId, (current) => {
      current.mcps[name] = checked
    })
  }

  async removeMcp(instanceId: string, name: string): Promise<void> {
    const binding = await this.deps.repo.find(instanceId)
    if (!binding) throw bindingNotFound(instanceId)
    if (!binding.mcps[name]) throw new NotFoundError(`MCP '${name}' is not bound to instance ${instanceId}`)
    await this.change(instanceId, (current) => void delete current.mcps[name])
  }

  async get(instanceId: string): Promise<Binding> {
    return (await this.deps.repo.find(instanceId)) ?? bindingNotFound(instanceId)
  }

  /** `agentId` wins over `mcpName` (as in the original). */
  async list(filter: { agentId?: string; mcpName?: string } = {}): Promise<Binding[]> {
    const bindings = await this.deps.repo.list(filter.agentId !== undefined ? { agentId: filter.agentId } : {})
    return filter.agentId === undefined && filter.mcpName !== undefined ? bindings.filter((b) => b.mcps[filter.mcpName!]) : bindings
  }

  /** The names of an instance's binding by state (what a run of it may use); undefined when it is not bound. */
  async boundNames(instanceId: string): Promise<{ active: string[]; inactive: string[] } | undefined> {
    const binding = await this.deps.repo.find(instanceId)
    if (!binding) return undefined
    const mcps = Object.values(binding.mcps)
    return { active: activeNames(binding), inactive: mcps.filter((m) => m.status !== 'active').map((m) => m.name) }
  }

  async stats(): Promise<{ totalBindings: number; activeBindings: number; mcpUsage: Record<string, number>; healthCheckRunning: boolean }> {
    const bindings = await this.deps.repo.list()
    const usage: Record<string, number> = {}
    for (const name of bindings.flatMap(activeNames)) usage[name] = (usage[name] ?? 0) + 1
    return {
      totalBindings: bindings.length,
      activeBindings: bindings.filter((b) => b.status === 'active').length,
      mcpUsage: usage,
      healthCheckRunning: this.monitor !== null,
    }
  }

  async setPolicy(policy: BindingPolicy): Promise<void> {
    await this.deps.repo.savePolicy(policy, this.deps.clock.now())
  }

  async policyOf(agentId: string): Promise<Omit<BindingPolicy, 'agentId'>> {
    return (await this.deps.repo.findPolicy(agentId)) ?? DEFAULT_POLICY
  }

  /** One pass of the health monitor: suspends bound servers that fail their probe, reactivates suspended ones that pass. */
  async checkHealth(): Promise<{ suspended: number; reactivated: number }> {
    let suspended = 0
    let reactivated = 0
    for (const binding of await this.deps.repo.list()) {
      const updates: Record<string, BoundMcp> = {}
      for (const mcp of Object.values(binding.mcps)) {
        if (mcp.status !== 'active' && mcp.status !== 'suspended') continue
        const checked = await this.check(mcp.name, true)
        const now = this.deps.clock.now()
        if ('why' in checked && mcp.status === 'active') {
          updates[mcp.name] = { ...mcp, status: 'suspended', lastHealthCheck: now, errorMessage: checked.why }
          suspended++
        } else if (!('why' in checked) && mcp.status === 'suspended') {
          updates[mcp.name] = { ...checked, boundAt: mcp.boundAt }
          reactivated++
        }
      }
      if (Object.keys(updates).length === 0) continue
      try {
        await this.change(binding.instanceId, (current) => {
          // Servers removed meanwhile stay removed.
          for (const [name, mcp] of Object.entries(updates)) if (current.mcps[name]) current.mcps[name] = mcp
        })
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err // the binding went meanwhile
      }
    }
    return { suspended, reactivated }
  }

  /** Starts (or restarts with a new interval) this process's health monitor. */
  startMonitoring(intervalMs: number): void {
    this.stopMonitoring()
    const monitor = { timer: null as NodeJS.Timeout | null, intervalMs, running: true }
    const tick = async () => {
      try {
        await this.checkHealth()
      } catch (err) {
        this.deps.logger.warn({ err }, 'the MCP binder health check failed')
      }
      if (monitor.running) monitor.timer = setTimeout(tick, intervalMs).unref()
    }
    monitor.timer = setTimeout(tick, 0).unref()
    this.monitor = monitor
  }

  stopMonitoring(): void {
    if (!this.monitor) return
    this.monitor.running = false
    if (this.monitor.timer) clearTimeout(this.monitor.timer)
    this.monitor = null
  }

  /** Re-reads the binding and saves `edit` of it in one unit of work (probes stay outside: they are network calls). */
  private async change(instanceId: string, edit: (binding: Binding) => void): Promise<Binding> {
    return this.deps.transact(async (uow) => {
      const binding = (await this.deps.repo.find(instanceId, uow)) ?? bindingNotFound(instanceId)
      edit(binding)
      binding.updatedAt = this.deps.clock.now()
      await this.deps.repo.save(binding, uow)
      return binding
    })
  }

  /** The server as a bound entry, or why it cannot be bound. */
  private async check(name: string, requireHealthy: boolean): Promise<BoundMcp | { why: string; notFound?: boolean }> {
    const server = await this.deps.registry.find(name)
    if (!server) return { why: 'not found in the registry', notFound: true }
    if (server.status === 'unhealthy' && !requireHealthy) return { why: 'unhealthy in the registry' }
    const now = this.deps.clock.now()
    if (requireHealthy) {
      const probe = await this.deps.registry.probe(name)
      if (probe.status !== 'healthy') return { why: `health check failed: ${probe.error ?? probe.status}` }
    }
    return {
      name,
      url: server.url,
      transport: server.transport,
      status: 'active',
      boundAt: now,
      lastHealthCheck: requireHealthy ? now : null,
      errorMessage: null,
    }
  }

  private async namesOf(instanceId: string, agentId: string): Promise<string[]> {
    try {
      return await this.deps.names.namesFor({ instanceId, agentId })
    } catch (err) {
      // Bindings may name instances the gateway does not store (the original's were client-made).
      if (!(err instanceof NotFoundError) || err.message.startsWith('Agent')) throw err
      return this.deps.names.namesFor({ agentId })
    }
  }
}

function activeNames(binding: Binding): string[] {
  return Object.values(binding.mcps)
    .filter((m) => m.status === 'active')
    .map((m) => m.name)
}

function bindingNotFound(instanceId: string): never {
  throw new NotFoundError(`Binding not found for instance ${instanceId}`)
}
