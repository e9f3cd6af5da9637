// HTTP shapes of /api/councilors (original-gateway.md §2.5; web-client-contract.md §2.8).
import { z } from 'zod'
import { CouncilorConfigIn, CustomizationIn } from './councilor-input.js'

export const InstanceParams = z.object({ instance_id: z.string().min(1) })
export const AgentParams = z.object({ agent_id: z.string().min(1) })

export const PromoteBody = z.object({
  agent_id: z.string().trim().min(1),
  councilor_config: CouncilorConfigIn,
  customization: CustomizationIn.nullish(),
  cwd: z.string().nullish(),
})

export const LegacyPromoteBody = z.object({
  councilor_config: CouncilorConfigIn,
  customization: CustomizationIn.nullish(),
})

export const EnabledBody = z.object({ enabled: z.boolean() })

/** A partial configuration; the merged whole is validated by the service (422 naming the field). */
export const ConfigPatchBody = z.looseObject({
  title: z.unknown().optional(),
  task: z.record(z.string(), z.unknown()).optional(),
  schedule: z.record(z.string(), z.unknown()).optional(),
  notifications: z.record(z.string(), z.unknown()).optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  display_name: z.string().nullish(),
  cwd: z.string().nullish(),
})

export const ListQuery = z.object({
  is_councilor: z
    .enum(['true', 'false', '1', '0'])
    .transform((v) => v === 'true' || v === '1')
    .optional(),
})

export const ReportQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) })

export const ExecutionCreateBody = z.object({
  execution_id: z.string().min(1),
  councilor_id: z.string().min(1),
  started_at: z.iso.datetime({ offset: true }),
  completed_at: z.iso.datetime({ offset: true }).nullish(),
  status: z.enum(['running', 'completed', 'error']),
  severity: z.enum(['success', 'warning', 'error']),
  output: z.string().nullish(),
  error: z.string().nullish(),
  duration_ms: z.number().int().nullish(),
})

/** Responses: the fields the client reads, typed; everything else passes through. */
export const InstanceResponse = z.looseObject({
  success: z.boolean(),
  message: z.string(),
  instance_id: z.string().nullable(),
  screenplay_id: z.string().nullable(),
  conversation_id: z.string().nullable(),
})
export const SuccessResponse = z.looseObject({
  success: z.boolean(),
  message: z.string(),
  agent: z.looseObject({ agent_id: z.string() }).nullable(),
  execution: z.looseObject({}).nullable(),
})
export const ScheduleResponse = z.looseObject({
  success: z.boolean(),
  message: z.string(),
  schedule: z.object({ type: z.string(), value: z.string(), enabled: z.boolean() }),
})
export const InstancesList = z.looseObject({ instances: z.array(z.looseObject({ instance_id: z.string() })), count: z.number() })
export const AgentsList = z.looseObject({ agents: z.array(z.looseObject({ agent_id: z.string() })), count: z.number() })
export const JobsList = z.looseObject({ jobs: z.array(z.looseObject({ id: z.string(), next_run_time: z.string().nullable() })), count: z.number() })
export const Report = z.looseObject({
  councilor_id: z.string(),
  councilor_name: z.string(),
  recent_executions: z.array(z.looseObject({ execution_id: z.string() })),
  total_executions: z.number(),
  success_rate: z.number(),
  next_execution: z.string().nullable(),
})
export const Execution = z.looseObject({ execution_id: z.string(), status: z.string() })
