// Wire shapes of the agent catalog (original-gateway.md §2.10, web-client-contract.md #10–#12, #16).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { PathId, QueryBool } from '../../platform/http/query.js'
import { PersonaContent } from '../personas/persona-content.js'
import type { RankedAgent } from './agent-suggest.js'
import { AI_PROVIDERS } from './ai-providers.js'
import type { Agent } from './agents.repo.js'
import type { AgentField, AgentInput } from './agents.service.js'

/** Path segments under /api/agents that are routes of their own, so they cannot be agent ids. */
export const RESERVED_AGENT_IDS = ['instances', 'personas', 'suggest', 'context']

export const AgentName = z
  .string()
  .trim()
  .min(1, { message: 'cannot be empty' })
  .max(100, { message: 'cannot exceed 100 characters' })
  .refine((name) => !/[/\\?#%\x00-\x1f]/.test(name), { message: 'cannot contain / \\ ? # % or control characters' })
  .refine((name) => !RESERVED_AGENT_IDS.includes(name.toLowerCase()), { message: `cannot be one of: ${RESERVED_AGENT_IDS.join(', ')}` })
  .describe('Also the agent id (e.g. ReadmeResume_Agent)')

const StringList = (what: string) =>
  z
    .array(z.string().trim().min(1, { message: 'cannot be empty' }).max(100, { message: 'cannot exceed 100 characters' }))
    .max(100, { message: `cannot have more than 100 ${what}` })
    .transform((items) => [...new Set(items)])

const ObjectOrNull = z.record(z.string(), z.unknown()).nullable()

const agentFields = {
  emoji: z.string().trim().min(1, { message: 'cannot be empty' }).max(32, { message: 'cannot exceed 32 characters' }),
  group: z.string().trim().min(1, { message: 'cannot be empty' }).max(50, { message: 'cannot exceed 50 characters' }),
  tags: StringList('tags'),
  mcp_configs: StringList('MCP servers').describe('Names of MCP servers the agent may use'),
  ai_provider: z.enum(AI_PROVIDERS).nullable().describe('Default executor; null uses the gateway default'),
  model: z.string().trim().min(1, { message: 'cannot be empty' }).max(200, { message: 'cannot exceed 200 characters' }).nullable(),
  prompt: z.string().max(20_000, { message: 'cannot exceed 20000 characters' }).nullable(),
  is_councilor: z.boolean(),
  councilor_config: ObjectOrNull,
  customization: ObjectOrNull,
}

/** Every catalog field, each optional (both create and update take them). */
const optionalAgentFields = z.object(agentFields).partial().shape

export const CreateAgentBody = z.object({
  name: AgentName,
  description: z.string().trim().min(10, { message: 'must be at least 10 characters' }).max(200, { message: 'cannot exceed 200 characters' }),
  // compat: the Conductor's agent creation (conductor-backend.md §2.1, POST /agents/) required a
  // persona of at least 50 characters that opens with a markdown heading.
  persona_content: PersonaContent.refine((content) => content.trim().length >= 50, { message: 'must be at least 50 characters' })
    .refine((content) => content.trim().startsWith('#'), { message: 'must start with a markdown heading, e.g. "# Persona: Name"' })
    .optional(),
  ...optionalAgentFields,
})

export const UpdateAgentBody = z.object({
  name: z.string().trim().min(1, { message: 'cannot be empty' }).max(100, { message: 'cannot exceed 100 characters' }).optional(),
  description: z.string().trim().max(1000, { message: 'cannot exceed 1000 characters' }).optional(),
  persona_content: PersonaContent.optional(),
  ...optionalAgentFields,
})

export type CreateAgentBody = z.output<typeof CreateAgentBody>
export type UpdateAgentBody = z.output<typeof UpdateAgentBody>

export const AgentParams = z.object({ agent_id: PathId })

export const AgentDto = z.object({
  id: z.string().describe('Same as agent_id'),
  agent_id: z.string(),
  name: z.string(),
  emoji: z.string(),
  description: z.string(),
  prompt: z.string(),
  model: z.string().describe('"" when the agent names no model'),
  ai_provider: z.enum(AI_PROVIDERS).nullable(),
  mcp_configs: z.array(z.string()),
  group: z.string(),
  tags: z.array(z.string()),
  is_councilor: z.boolean(),
  councilor_config: z.record(z.string(), z.unknown()).nullable(),
  customization: z.record(z.string(), z.unknown()).nullable(),
  definition: z.record(z.string(), z.unknown()).describe('Other definition fields (version, author, capabilities, …)'),
  created_at: z.string(),
  updated_at: z.string(),
})

export const CreatedAgentDto = z.object({
  status: z.literal('success'),
  agent_id: z.string(),
  message: z.string(),
  persona_version: z.number().int().nullable(),
})
export const PutAgentDto = z.object({ status: z.literal('success'), agent_id: z.string(), updated_fields: z.array(z.string()), message: z.string() })
export const PatchAgentDto = z.object({
  success: z.literal(true),
  agent: AgentDto.pick({
    id: true,
    agent_id: true,
    name: true,
    emoji: true,
    description: true,
    mcp_configs: true,
    tags: true,
    ai_provider: true,
    model: true,
  }),
  message: z.string(),
})
export const DeletedAgentDto = z.object({ success: z.literal(true), agent_id: z.string(), message: z.string() })

export const SuggestBody = z.object({
  message: z.string().min(1, { message: 'cannot be empty' }).max(20_000, { message: 'cannot exceed 20000 characters' }),
  current_agent_id: z.string().nullable().optional(),
})
export const SuggestQuery = z.object({
  compare: QueryBool.default(false).describe('Also answer the comparison slots the client reads'),
})

const SuggestionDto = z.object({
  agent_id: z.string(),
  name: z.string(),
  emoji: z.string(),
  description: z.string(),
  score: z.number(),
  reason: z.string(),
})
const ComparisonSlotDto = z.object({ suggested: SuggestionDto.nullable(), source: z.literal('local'), engine: z.string() })

export const SuggestDto = z.object({
  suggested: SuggestionDto.nullable(),
  alternatives: z.array(SuggestionDto),
  current_is_best: z.boolean(),
  message: z.string(),
  source: z.literal('local'),
  knowledge_hub: ComparisonSlotDto.optional().describe('compare=true only; filled by the local ranker'),
  qdrant_local: ComparisonSlotDto.optional().describe('compare=true only; filled by the local ranker'),
  winner: z.enum(['tie', 'none']).optional().describe('compare=true only: both slots come from one ranker, so they tie'),
})

export function toSuggestionDto(r: RankedAgent): z.output<typeof SuggestionDto> {
  return { agent_id: r.agent.agentId, name: r.agent.name, emoji: r.agent.emoji, description: r.agent.description, score: r.score, reason: r.reason }
}

const WIRE_FIELDS: Record<AgentField, string> = {
  name: 'name',
  description: 'description',
  group: 'group',
  emoji: 'emoji',
  tags: 'tags',
  mcpConfigs: 'mcp_configs',
  personaContent: 'persona_content',
  aiProvider: 'ai_provider',
  model: 'model',
  prompt: 'prompt',
  isCouncilor: 'is_councilor',
  councilorConfig: 'councilor_config',
  customization: 'customization',
}

export function toWireFields(fields: AgentField[]): string[] {
  return fields.map((field) => WIRE_FIELDS[field])
}

export function toAgentDto(a: Agent): z.output<typeof AgentDto> {
  return {
    id: a.agentId,
    agent_id: a.agentId,
    name: a.name,
    emoji: a.emoji,
    description: a.description,
    prompt: a.prompt ?? '',
    // compat: original-gateway.md §2.10 answers "" for an agent without a model.
    model: a.model ?? '',
    ai_provider: a.aiProvider,
    mcp_configs: a.mcpConfigs,
    group: a.group,
    tags: a.tags,
    is_councilor: a.isCouncilor,
    councilor_config: a.councilorConfig,
    customization: a.customization,
    definition: a.extra,
    created_at: toIso(a.createdAt),
    updated_at: toIso(a.updatedAt),
  }
}

/** Request body → service input (only the fields that were sent). */
export function toAgentInput(body: UpdateAgentBody): AgentInput {
  return {
    name: body.name,
    description: body.description,
    personaContent: body.persona_content,
    emoji: body.emoji,
    group: body.group,
    tags: body.tags,
    mcpConfigs: body.mcp_configs,
    aiProvider: body.ai_provider,
    model: body.model,
    prompt: body.prompt,
    isCouncilor: body.is_councilor,
    councilorConfig: body.councilor_config,
    customization: body.customization,
  }
}
