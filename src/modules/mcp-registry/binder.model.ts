// The binder's records: which MCP servers an agent instance is bound to, and what each agent may use.
import type { McpTransport } from '../../config/executors.js'

export const BOUND_MCP_STATUSES = ['active', 'suspended', 'error', 'unbound'] as const
export type BoundMcpStatus = (typeof BOUND_MCP_STATUSES)[number]

export interface BoundMcp {
  name: string
  url: string
  transport: McpTransport
  status: BoundMcpStatus
  boundAt: number
  lastHealthCheck: number | null
  errorMessage: string | null
}

export interface Binding {
  instanceId: string
  agentId: string
  conversationId: string | null
  screenplayId: string | null
  mcps: Record<string, BoundMcp>
  status: 'active' | 'unbound'
  totalToolCalls: number
  createdAt: number
  updatedAt: number
}

export interface BindingPolicy {
  agentId: string
  /** `*` allows any server. */
  allowedMcps: string[]
  /** Wins over `allowedMcps`. */
  deniedMcps: string[]
  maxConcurrentMcps: number
  /** Probe each server when binding; a failing one is not bound. */
  requireHealthy: boolean
}

/** Agents without a stored policy get this one. */
export const DEFAULT_POLICY: Omit<BindingPolicy, 'agentId'> = { allowedMcps: ['*'], deniedMcps: [], maxConcurrentMcps: 10, requireHealthy: true }

/** Names the policy lets through, in order, cut to its maximum; the rest with why. */
export function applyPolicy(
  names: readonly string[],
  policy: Omit<BindingPolicy, 'agentId'>,
): { allowed: string[]; refused: Array<{ name: string; why: string }> } {
  const allowed: string[] = []
  const refused: Array<{ name: string; why: string }> = []
  for (const name of new Set(names)) {
    if (policy.deniedMcps.includes(name)) refused.push({ name, why: 'denied by the agent’s policy' })
    else if (!policy.allowedMcps.includes('*') && !policy.allowedMcps.includes(name)) refused.push({ name, why: 'not allowed by the agent’s policy' })
    else if (allowed.length >= policy.maxConcurrentMcps)
      refused.push({ name, why: `over the agent’s limit of ${policy.maxConcurrentMcps} MCP servers` })
    else allowed.push(name)
  }
  return { allowed, refused }
}
