// The councilor configuration as clients send it (original-gateway.md §7.1, plus the scheduler's
// timezone, start/end times and policies), validated field by field: a bad interval, cron
// expression, timezone or policy is a 422 naming the field.
import { z } from 'zod'
import { ValidationError } from '../../platform/http/errors.js'
import { DEFAULT_POLICY, MISSED_POLICIES, OVERLAP_POLICIES, type CouncilorConfigDoc, type CouncilorPolicy } from './councilor.model.js'
import { isTimezone, scheduleValueProblem, type ScheduleSpec } from './schedule.js'

const nonBlank = (what: string) =>
  z
    .string()
    .trim()
    .min(1, { message: `${what} cannot be empty` })
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-01-01T09:00:00Z' })

export const ScheduleIn = z
  .object({
    type: z.enum(['interval', 'cron'], { message: "must be 'interval' or 'cron'" }),
    value: z.string().trim(),
    enabled: z.boolean().default(true),
    timezone: z.string().default('UTC').refine(isTimezone, { message: "must be an IANA timezone, e.g. 'UTC' or 'America/Sao_Paulo'" }),
    start_at: isoTime.nullish(),
    end_at: isoTime.nullish(),
  })
  .superRefine((schedule, ctx) => {
    const problem = scheduleValueProblem(schedule.type, schedule.value)
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem })
    if (schedule.start_at && schedule.end_at && Date.parse(schedule.end_at) <= Date.parse(schedule.start_at)) {
      ctx.addIssue({ code: 'custom', path: ['end_at'], message: 'must be after start_at' })
    }
  })

export const PolicyIn = z.object({
  overlap: z.enum(OVERLAP_POLICIES, { message: `must be one of: ${OVERLAP_POLICIES.join(', ')}` }).default(DEFAULT_POLICY.overlap),
  missed: z.enum(MISSED_POLICIES, { message: `must be one of: ${MISSED_POLICIES.join(', ')}` }).default(DEFAULT_POLICY.missed),
  missed_cap: z.number().int().min(1).max(1000).default(DEFAULT_POLICY.missedCap),
  max_runs_per_day: z.number().int().min(1).max(1_000_000).nullable().default(null),
  jitter_seconds: z.number().min(0).max(86_400).default(0),
  pause_after_failures: z.number().int().min(1).max(1000).default(DEFAULT_POLICY.failureLimit),
})

export const TaskIn = z.object({
  name: nonBlank('Task name'),
  prompt: nonBlank('Task prompt').max(10_000, { message: 'Task prompt too long (max 10000 characters)' }),
  context_files: z.array(z.string()).optional(),
  output_format: z.enum(['summary', 'detailed', 'checklist']).default('checklist'),
})

export const NotificationsIn = z.object({
  on_success: z.boolean().default(false),
  on_warning: z.boolean().default(true),
  on_error: z.boolean().default(true),
  channels: z
    .array(z.enum(['panel', 'toast', 'email']))
    .min(1)
    .default(['panel'])
    .transform((channels) => [...new Set(channels)]),
})

export const CouncilorConfigIn = z.object({
  title: nonBlank('Councilor title'),
  schedule: ScheduleIn,
  task: TaskIn,
  notifications: NotificationsIn.default({ on_success: false, on_warning: true, on_error: true, channels: ['panel'] }),
  policy: PolicyIn.default({
    overlap: DEFAULT_POLICY.overlap,
    missed: DEFAULT_POLICY.missed,
    missed_cap: DEFAULT_POLICY.missedCap,
    max_runs_per_day: null,
    jitter_seconds: 0,
    pause_after_failures: DEFAULT_POLICY.failureLimit,
  }),
})
export type CouncilorConfigInput = z.output<typeof CouncilorConfigIn>

export const CustomizationIn = z.looseObject({
  enabled: z.boolean().default(true),
  display_name: z.string().nullish(),
  avatar_url: z.string().nullish(),
  color: z
    .string()
    .refine((c) => c.startsWith('#'), { message: "must start with '#'" })
    .nullish(),
})

/** What the councilor's row takes from a validated configuration. */
export function settingsOf(config: CouncilorConfigInput): {
  doc: CouncilorConfigDoc
  schedule: ScheduleSpec
  enabled: boolean
  policy: CouncilorPolicy
} {
  const { schedule, policy } = config
  return {
    doc: { title: config.title, task: config.task, notifications: config.notifications },
    schedule: {
      type: schedule.type,
      value: schedule.value,
      timezone: schedule.timezone,
      startsAt: schedule.start_at ? Date.parse(schedule.start_at) : null,
      endsAt: schedule.end_at ? Date.parse(schedule.end_at) : null,
    },
    enabled: schedule.enabled,
    policy: {
      overlap: policy.overlap,
      missed: policy.missed,
      missedCap: policy.missed_cap,
      maxRunsPerDay: policy.max_runs_per_day,
      jitterMs: Math.round(policy.jitter_seconds * 1000),
      failureLimit: policy.pause_after_failures,
    },
  }
}

/** Validates a merged configuration (the PATCH routes merge before they check); 422 naming the field. */
export function parseConfig(value: unknown, where: string): CouncilorConfigInput {
  const result = CouncilorConfigIn.safeParse(value)
  if (result.success) return result.data
  const detail = result.error.issues.map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`).join('; ')
  throw new ValidationError(detail)
}
