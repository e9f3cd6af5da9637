// Wire shapes of /binder/* (original-gateway.md §2.9).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { BOUND_MCP_STATUSES, type Binding } from './binder.model.js'
import type { BindOutcome } from './binder.service.js'
import { ServerName } from './registry.schemas.js'

const Id = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { message: `${what} must not be empty` })
    .max(200)
const Names = z.array(ServerName).max(100)

export const BindBody = z.object({
  instance_id: Id('instance_id'),
  agent_id: Id('agent_id'),
  mcp_names: Names.optional().describe('Default: the MCP servers the instance and its agent list (mcp_configs)'),
  conversation_id: z.string().max(200).nullable().optional(),
  screenplay_id: z.string().max(200).nullable().optional(),
})
export const UnbindBody = z.object({ instance_id: Id('instance_id'), reason: z.string().max(1000).optional() })
export const AddMcpBody = z.object({ instance_id: Id('instance_id'), mcp_name: ServerName })
export const RemoveMcpBody = z.object({
  instance_id: Id('instance_id'),
  mcp_name: z.string().min(1).max(100),
  reason: z.string().max(1000).optional(),
})
export const BindingsQuery = z.object({ agent_id: z.string().max(200).optional(), mcp_name: z.string().max(100).optional() })
export const InstanceParams = z.object({ instance_id: z.string() })
export const PolicyBody = z.object({
  agent_id: Id('agent_id'),
  allowed_mcps: z.array(z.string().min(1).max(100)).max(200).default(['*']).describe('`*` allows any server (the default)'),
  denied_mcps: z.array(z.string().min(1).max(100)).max(200).default([]).describe('Wins over allowed_mcps'),
  max_concurrent_mcps: z.number().int().min(0).max(100).default(10),
  require_healthy: z.boolean().default(true).describe('Probe each server when binding; a failing one is not bound'),
})
export const MonitorQuery = z.object({
  interval_seconds: z.coerce
    .number({ message: 'must be a number' })
    .int({ message: 'must be a whole number' })
    .min(1, { message: 'must be at least 1' })
    .max(86_400, { message: 'must be at most 86400' })
    .default(60),
})

const ServersConfig = z.object({ mcpServers: z.record(z.string(), z.object({ url: z.string(), transport: z.enum(['http', 'sse']) })) })

export const BindingDto = z.object({
  instance_id: z.string(),
  agent_id: z.string(),
  conversation_id: z.string().nullable(),
  screenplay_id: z.string().nullable(),
  mcps: z.record(
    z.string(),
    z.object({
      name: z.string(),
      url: z.string(),
      transport: z.enum(['http', 'sse']),
      status: z.enum(BOUND_MCP_STATUSES),
      bound_at: z.string(),
      last_health_check: z.string().nullable(),
      error_message: z.string().nullable(),
    }),
  ),
  status: z.enum(['active', 'unbound']),
  created_at: z.string(),
  updated_at: z.string(),
  total_tool_calls: z.number(),
})

export const BindResponseDto = z.object({
  success: z.boolean(),
  instance_id: z.string(),
  bound_mcps: z.array(z.string()),
  failed_mcps: z.array(z.string()),
  failures: z.array(z.object({ name: z.string(), reason: z.string() })).describe('Why each failed MCP was not bound'),
  mcp_servers_config: ServersConfig,
  message: z.string(),
})
export const BindingsDto = z.object({ bindings: z.array(BindingDto), total: z.number(), active_count: z.number() })
export const BindingConfigDto = ServersConfig
export const BinderStatsDto = z.object({
  total_bindings: z.number(),
  active_bindings: z.number(),
  mcp_usage: z.record(z.string(), z.number()),
  health_check_running: z.boolean(),
})
export const PolicySavedDto = z.object({ success: z.literal(true), agent_id: z.string() })
export const MonitorStartedDto = z.object({ success: z.literal(true), interval_seconds: z.number() })
export const MonitorStoppedDto = z.object({ success: z.literal(true) })

export function toBindingDto(b: Binding): z.infer<typeof BindingDto> {
  return {
    instance_id: b.instanceId,
    agent_id: b.agentId,
    conversation_id: b.conversationId,
    screenplay_id: b.screenplayId,
    mcps: Object.fromEntries(
      Object.values(b.mcps).map((m) => [
        m.name,
        {
          name: m.name,
          url: m.url,
          transport: m.transport,
          status: m.status,
          bound_at: toIso(m.boundAt),
          last_health_check: toIso(m.lastHealthCheck),
          error_message: m.errorMessage,
        },
      ]),
    ),
    status: b.status,
    created_at: toIso(b.createdAt),
    updated_at: toIso(b.updatedAt),
    total_tool_calls: b.totalToolCalls,
  }
}

export function serversConfigOf(b: Binding): z.infer<typeof ServersConfig> {
  return {
    mcpServers: Object.fromEntries(
      Object.values(b.mcps)
        .filter((m) => m.status === 'active')
        .map((m) => [m.name, { url: m.url, transport: m.transport }]),
    ),
  }
}

export function toBindResponse(o: BindOutcome): z.infer<typeof BindResponseDto> {
  return {
    success: o.bound.length > 0 || o.failed.length === 0,
    instance_id: o.binding.instanceId,
    bound_mcps: o.bound,
    failed_mcps: o.failed.map((f) => f.name),
    failures: o.failed.map((f) => ({ name: f.name, reason: f.why })),
    mcp_servers_config: serversConfigOf(o.binding),
    message: o.message,
  }
}
