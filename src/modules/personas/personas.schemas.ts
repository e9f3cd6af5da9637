// Wire shapes of the persona endpoints (original-gateway.md §2.3, web-client-contract.md #13–#14).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { PathId, queryInt } from '../../platform/http/query.js'
import { PersonaContent, PersonaMetadata, type ContentStats } from './persona-content.js'
import type { CurrentPersona } from './personas.repo.js'

export const AgentParams = z.object({ agent_id: PathId })

const Reason = z.string().trim().max(500, { message: 'cannot exceed 500 characters' })

export const CreatePersonaBody = z.object({ content: PersonaContent, metadata: PersonaMetadata.default({}) })

export const UpdatePersonaBody = z.object({
  content: PersonaContent,
  metadata: PersonaMetadata.optional().describe('Replaces the stored metadata when given; kept when omitted'),
  reason: Reason.optional().describe('Why the persona changed (stored on the new version)'),
})

export const PermanentPersonaBody = z.object({
  content: PersonaContent,
  reason: Reason.optional(),
  metadata: PersonaMetadata.optional().describe('Legacy: metadata.reason is used when reason is absent'),
})

export const PersonaDto = z.object({
  id: z.string(),
  agent_id: z.string(),
  content: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  version: z.number().int(),
  content_hash: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
})

export const PersonaStateDto = z.object({
  agent_id: z.string(),
  persona_content: z.string(),
  has_persona: z.boolean(),
  id: z.string().optional(),
  version: z.number().int().optional(),
  content_hash: z.string().optional(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
})

export const PermanentPersonaDto = z.object({ success: z.literal(true), message: z.string(), agent_id: z.string(), version: z.number().int() })

export const ListPersonasQuery = z.object({
  page: queryInt({ min: 1, default: 1 }),
  per_page: queryInt({ min: 1, max: 100, default: 10 }),
  agent_id: z.string().optional(),
})

export const PersonaListDto = z.object({
  personas: z.array(PersonaDto),
  total: z.number().int(),
  page: z.number().int(),
  per_page: z.number().int(),
  has_next: z.boolean(),
  has_prev: z.boolean(),
})

export const ValidatePersonaQuery = z.object({ content: z.string() })

const ContentStatsDto = z.object({
  lines: z.number().int(),
  words: z.number().int(),
  characters: z.number().int(),
  markdown_elements: z.object({
    headers: z.number().int(),
    bold: z.number().int(),
    italic: z.number().int(),
    code_blocks: z.number().int(),
    links: z.number().int(),
    images: z.number().int(),
    lists: z.number().int(),
  }),
})

export const ValidatePersonaDto = z.object({
  is_valid: z.boolean(),
  message: z.string(),
  validation: z.object({ is_valid: z.literal(true), content_length: z.number().int(), stats: ContentStatsDto }).nullable(),
})

export const PersonaStatsDto = z.object({
  persona_id: z.string(),
  agent_id: z.string(),
  version: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
  content_stats: ContentStatsDto,
  metadata: z.record(z.string(), z.unknown()),
})

export function toPersonaDto({ persona, version }: CurrentPersona): z.output<typeof PersonaDto> {
  return {
    id: persona.id,
    agent_id: persona.agentId,
    content: version.content,
    metadata: persona.metadata,
    version: version.version,
    content_hash: version.contentHash,
    created_at: toIso(persona.createdAt),
    updated_at: toIso(version.createdAt),
  }
}

export function toContentStatsDto(s: ContentStats): z.output<typeof ContentStatsDto> {
  const m = s.markdownElements
  return {
    lines: s.lines,
    words: s.words,
    characters: s.characters,
    markdown_elements: {
      headers: m.headers,
      bold: m.bold,
      italic: m.italic,
      code_blocks: m.codeBlocks,
      links: m.links,
      images: m.images,
      lists: m.lists,
    },
  }
}
