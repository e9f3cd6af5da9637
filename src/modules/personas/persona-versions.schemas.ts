// Wire shapes of the persona-version endpoints (original-gateway.md §2.4, as it was meant to work).
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { INT32_MAX, int32 } from '../../platform/http/int32.js'
import { PathId, queryInt } from '../../platform/http/query.js'
import { PersonaContent, PersonaMetadata } from './persona-content.js'
import type { LineDiff } from './persona-diff.js'
import { VERSION_SORT_KEYS, type PersonaVersion } from './personas.repo.js'

/** A positive whole number given as text (path or query). */
const VersionNumber = z
  .string()
  .regex(/^\d+$/, { message: 'must be a whole number' })
  .transform(Number)
  .refine((n) => n >= 1, { message: 'must be at least 1' })
  .refine((n) => n <= INT32_MAX, { message: `must be at most ${INT32_MAX}` })

const BodyVersion = int32().min(1, { message: 'must be at least 1' })

export const VersionParams = z.object({ agent_id: PathId, version: VersionNumber })

export const CreateVersionBody = z
  .object({
    content: PersonaContent.optional(),
    data: z.looseObject({ content: PersonaContent }).optional().describe('Legacy shape: {content}'),
    version: BodyVersion.optional().describe('Expected new version number; 409 when another write got there first'),
    metadata: PersonaMetadata.optional(),
    created_by: z.string().trim().max(200).nullable().optional(),
    change_description: z.string().trim().max(1000).nullable().optional(),
    timestamp: z.unknown().optional().describe('Ignored: the server stamps versions'),
    agent_id: z.unknown().optional().describe('Ignored: the path names the agent'),
  })
  .superRefine((body, ctx) => {
    if (body.content === undefined && body.data === undefined) {
      ctx.addIssue({ code: 'custom', message: 'content (or data.content) is required', path: ['content'] })
    }
  })

export const ListVersionsQuery = z.object({
  page: queryInt({ min: 1, default: 1 }),
  per_page: queryInt({ min: 1, max: 100, default: 10 }),
  sort_by: z.enum(VERSION_SORT_KEYS).default('version').describe('timestamp and created_at both sort by creation time'),
  sort_order: z.enum(['desc', 'asc']).default('desc'),
})

export const AnnotateVersionBody = z.object({
  metadata: PersonaMetadata.optional(),
  change_description: z.string().trim().max(1000).nullable().optional(),
})

export const CompareBody = z.object({ version1: BodyVersion, version2: BodyVersion })
export const RestoreBody = z.object({
  version: BodyVersion,
  create_backup: z.boolean().default(true).describe('The content being replaced always stays in history as its own version'),
})
export const CleanupQuery = z.object({ keep_versions: queryInt({ min: 1, max: 1000, default: 50 }) })
export const RangeQuery = z.object({ from_version: VersionNumber, to_version: VersionNumber })

export const VersionDto = z.object({
  id: z.string(),
  agent_id: z.string(),
  version: z.number().int(),
  timestamp: z.string(),
  data: z.object({ content: z.string() }),
  content_hash: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  created_by: z.string().nullable(),
  change_description: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
})

export const VersionListDto = z.object({
  versions: z.array(VersionDto),
  total: z.number().int(),
  page: z.number().int(),
  per_page: z.number().int(),
  total_pages: z.number().int(),
})

export const CompareDto = z.object({
  version1: z.number().int(),
  version2: z.number().int(),
  differences: z.array(z.object({ type: z.enum(['added', 'removed', 'unchanged']), content: z.string() })),
  summary: z.object({
    total_lines_v1: z.number().int(),
    total_lines_v2: z.number().int(),
    added_lines: z.number().int(),
    removed_lines: z.number().int(),
    unchanged_lines: z.number().int(),
    change_percentage: z.number(),
  }),
})

export const RestoreDto = z.object({
  success: z.literal(true),
  message: z.string(),
  restored_version: z.number().int(),
  new_version: z.number().int(),
  backup_created: z.boolean().describe('True when there was current content, which stays in history as its version'),
  previous_version: z.number().int().nullable(),
})

export const VersionStatsDto = z.object({
  agent_id: z.string(),
  total_versions: z.number().int(),
  latest_version: z.number().int().nullable(),
  first_version_date: z.string().nullable(),
  last_version_date: z.string().nullable(),
  average_versions_per_day: z.number(),
  storage_size_bytes: z.number().int(),
})

export const CleanupDto = z.object({ message: z.string(), deleted_count: z.number().int(), keep_versions: z.number().int() })
export const RangeDto = z.object({
  agent_id: z.string(),
  from_version: z.number().int(),
  to_version: z.number().int(),
  versions: z.array(VersionDto),
  count: z.number().int(),
})
export const MessageDto = z.object({ message: z.string() })

export function toVersionDto(v: PersonaVersion): z.output<typeof VersionDto> {
  return {
    id: v.id,
    agent_id: v.agentId,
    version: v.version,
    timestamp: toIso(v.createdAt),
    data: { content: v.content },
    content_hash: v.contentHash,
    metadata: v.metadata,
    created_by: v.createdBy,
    change_description: v.changeDescription,
    created_at: toIso(v.createdAt),
    updated_at: toIso(v.updatedAt),
  }
}

export function toCompareDto(version1: number, version2: number, diff: LineDiff): z.output<typeof CompareDto> {
  const s = diff.summary
  return {
    version1,
    version2,
    differences: diff.differences,
    summary: {
      total_lines_v1: s.totalLinesV1,
      total_lines_v2: s.totalLinesV2,
      added_lines: s.addedLines,
      removed_lines: s.removedLines,
      unchanged_lines: s.unchangedLines,
      change_percentage: s.changePercentage,
    },
  }
}
