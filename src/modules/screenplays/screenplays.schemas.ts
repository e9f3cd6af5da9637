// Wire shapes of /api/screenplays (original-gateway.md §2.2, web-client-contract.md §2.2).
// Responses are camelCase as the client reads them; requests accept camel or snake for paths.
import { z } from 'zod'
import { toIso } from '../../platform/clock.js'
import { PathId, QueryBool, queryInt } from '../../platform/http/query.js'
import type { Screenplay, ScreenplaySummary } from './screenplays.repo.js'
import type { ScreenplayInput } from './screenplays.service.js'

const NAME_FORBIDDEN = ['<', '>', ':', '"', '|', '?', '*', '\0']

const ScreenplayName = z
  .string()
  .trim()
  .min(1, { message: 'cannot be empty' })
  .max(200, { message: 'cannot exceed 200 characters' })
  .superRefine((name, ctx) => {
    const bad = NAME_FORBIDDEN.find((c) => name.includes(c))
    if (bad !== undefined) {
      ctx.addIssue({ code: 'custom', message: `contains invalid character: ${bad === '\0' ? 'NUL' : bad}` })
    }
  })
  .describe('Display name; 1–200 characters, none of < > : " | ? *')

const Description = z
  .string()
  .max(500, { message: 'cannot exceed 500 characters' })
  .nullable()
  .transform((d) => (d === null || d.trim() === '' ? null : d.trim()))

const Tags = z
  .array(z.string().trim().max(50, { message: 'cannot exceed 50 characters' }))
  .max(100, { message: 'cannot have more than 100 tags' })
  .transform((tags) => tags.filter((tag) => tag !== ''))

const OptionalPath = z.string().max(500, { message: 'cannot exceed 500 characters' }).nullable().optional()
const WorkingDirectory = z
  .string()
  .max(1000, { message: 'cannot exceed 1000 characters' })
  .nullable()
  .optional()
  .describe('Absolute directory agents of this screenplay run in')

/** Fields both create and update accept; each path under its snake_case or camelCase key. */
const ScreenplayFields = {
  description: Description.optional(),
  tags: Tags.optional(),
  content: z.string().optional().describe('Markdown content'),
  working_directory: WorkingDirectory,
  workingDirectory: WorkingDirectory,
  file_path: OptionalPath,
  filePath: OptionalPath,
  import_path: OptionalPath,
  importPath: OptionalPath,
  export_path: OptionalPath,
  exportPath: OptionalPath,
}

export const CreateScreenplayBody = z.object({
  name: ScreenplayName,
  ...ScreenplayFields,
  fileKey: z.string().max(200).nullable().optional().describe('Used only when no file path is given'),
})

export const UpdateScreenplayBody = z.object({
  name: ScreenplayName.optional(),
  ...ScreenplayFields,
  isDeleted: z.boolean().optional().describe('false restores a deleted screenplay'),
  is_deleted: z.boolean().optional(),
})

export type CreateScreenplayBody = z.output<typeof CreateScreenplayBody>
export type UpdateScreenplayBody = z.output<typeof UpdateScreenplayBody>

export const ScreenplayParams = z.object({ screenplay_id: PathId })

export const SCREENPLAY_SORTS = ['-lastUsedAt', 'lastUsedAt', '-updatedAt', 'updatedAt', '-createdAt', 'createdAt', 'name', '-name'] as const
export type ScreenplaySort = (typeof SCREENPLAY_SORTS)[number]

export const ListScreenplaysQuery = z.object({
  search: z.string().max(200).optional().describe('Words that must each appear in the name, description or tags'),
  page: queryInt({ min: 1, default: 1 }),
  limit: queryInt({ min: 1, max: 100, default: 20 }),
  include_deleted: QueryBool.default(false),
  sort: z.enum(SCREENPLAY_SORTS).default('-lastUsedAt').describe('A leading - sorts descending'),
})

export const GetScreenplayQuery = z.object({ include_deleted: QueryBool.default(false) })

export const ValidateMarkdownBody = z.object({ content: z.string(), file_path: z.string().nullable().optional() })
export const MarkdownReportDto = z.object({ is_valid: z.boolean(), errors: z.array(z.string()), warnings: z.array(z.string()) })

export const CheckDuplicateBody = z.object({
  file_path: z.string().max(500),
  file_name: z.string().max(500).describe('File name without extension'),
  exclude_id: z.string().nullable().optional(),
})

export const RenameScreenplayBody = z.object({ new_name: ScreenplayName, update_file_paths: z.boolean().default(true) })

export const WorkingDirectoryBody = z.object({ working_directory: z.string().max(1000) })
export const WorkingDirectoryDto = z.object({ message: z.string(), working_directory: z.string() })

const listItemShape = {
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  tags: z.array(z.string()),
  workingDirectory: z.string().nullable(),
  working_directory: z.string().nullable().describe('Same as workingDirectory'),
  filePath: z.string().nullable(),
  importPath: z.string().nullable(),
  exportPath: z.string().nullable(),
  fileKey: z.string().nullable(),
  isDeleted: z.boolean(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastUsedAt: z.string(),
}

export const ScreenplayListItemDto = z.object(listItemShape)
export const ScreenplayDto = z.object({ ...listItemShape, content: z.string() })
/**
 * compat: web-client-contract.md §7.9 — the client's ticker navigation reads the screenplay from
 * a `screenplay` wrapper while every other caller reads the fields at the top level, so
 * GET /api/screenplays/{id} answers both.
 */
export const ScreenplayReadDto = ScreenplayDto.extend({
  screenplay: ScreenplayDto.describe('The same screenplay again, for clients that read it from a wrapper'),
})
export const ScreenplayListDto = z.object({
  items: z.array(ScreenplayListItemDto),
  total: z.number().int(),
  page: z.number().int(),
  pages: z.number().int(),
})
export const CheckDuplicateDto = z.object({
  is_duplicate: z.boolean(),
  duplicate_screenplay: ScreenplayListItemDto.nullable(),
  file_key: z.string(),
})

export function toScreenplayListItemDto(s: ScreenplaySummary): z.output<typeof ScreenplayListItemDto> {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    tags: s.tags,
    workingDirectory: s.workingDirectory,
    working_directory: s.workingDirectory,
    filePath: s.filePath,
    importPath: s.importPath,
    exportPath: s.exportPath,
    fileKey: s.fileKey,
    isDeleted: s.isDeleted,
    version: s.version,
    createdAt: toIso(s.createdAt),
    updatedAt: toIso(s.updatedAt),
    lastUsedAt: toIso(s.lastUsedAt),
  }
}

export function toScreenplayDto(s: Screenplay): z.output<typeof ScreenplayDto> {
  // Object.assign rather than a spread that adds a key: much faster on Node 20's V8 (see toRunEventData).
  return Object.assign(toScreenplayListItemDto(s), { content: s.content })
}

export function toScreenplayReadDto(s: Screenplay): z.output<typeof ScreenplayReadDto> {
  const dto = toScreenplayDto(s)
  return Object.assign({}, dto, { screenplay: dto })
}

/** Request body → service input, taking each path from whichever key spelling was sent. */
export function toScreenplayInput(body: Partial<CreateScreenplayBody> & Partial<UpdateScreenplayBody>): ScreenplayInput {
  return {
    name: body.name,
    description: body.description,
    tags: body.tags,
    content: body.content,
    workingDirectory: either(body.working_directory, body.workingDirectory),
    filePath: either(body.file_path, body.filePath),
    importPath: either(body.import_path, body.importPath),
    exportPath: either(body.export_path, body.exportPath),
    fileKey: body.fileKey,
    isDeleted: either(body.isDeleted, body.is_deleted),
  }
}

/** The value sent under the first spelling, else the second; an explicit null counts as sent. */
function either<T>(first: T | undefined, second: T | undefined): T | undefined {
  return first !== undefined ? first : second
}
