// Screenplay storage: the only place with screenplay queries.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import { sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely'
import { fromBool, fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { ScreenplaysTable, Tables } from '../../platform/db/tables.js'

export interface ScreenplaySummary {
  id: string
  name: string
  description: string | null
  tags: string[]
  workingDirectory: string | null
  filePath: string | null
  importPath: string | null
  exportPath: string | null
  fileKey: string | null
  contentHash: string | null
  isDeleted: boolean
  version: number
  createdAt: number
  updatedAt: number
  lastUsedAt: number
  deletedAt: number | null
}

export interface Screenplay extends ScreenplaySummary {
  content: string
}

/** Stored fields a change may set; `bumpVersion` adds one to the version in the same write. */
export type ScreenplayChanges = Partial<Omit<Screenplay, 'id' | 'version' | 'createdAt'>> & { bumpVersion?: boolean }

export type ScreenplaySortKey = 'lastUsedAt' | 'updatedAt' | 'createdAt' | 'name'

export interface ListScreenplaysFilter {
  words: string[]
  includeDeleted: boolean
  sortBy: ScreenplaySortKey
  descending: boolean
  offset: number
  limit: number
}

export interface ScreenplaysRepo {
  insert(screenplay: Screenplay, uow?: UnitOfWork): Promise<void>
  /** Includes soft-deleted rows only when asked. */
  findById(id: string, options?: { includeDeleted?: boolean }, uow?: UnitOfWork): Promise<Screenplay | undefined>
  list(filter: ListScreenplaysFilter): Promise<{ items: ScreenplaySummary[]; total: number }>
  /** The live (not deleted) screenplay holding `fileKey`, other than `excludeId`. */
  findLiveByFileKey(fileKey: string, excludeId?: string): Promise<ScreenplaySummary | undefined>
  /** Applies the changes and returns the row as stored, or undefined when no row has that id. */
  update(id: string, changes: ScreenplayChanges, uow?: UnitOfWork): Promise<Screenplay | undefined>
}

const SORT_COLUMNS: Record<ScreenplaySortKey, 'last_used_at' | 'updated_at' | 'created_at' | 'name'> = {
  lastUsedAt: 'last_used_at',
  updatedAt: 'updated_at',
  createdAt: 'created_at',
  name: 'name',
}

const SUMMARY_COLUMNS = [
  'id',
  'name',
  'description',
  'tags',
  'working_directory',
  'file_path',
  'import_path',
  'export_path',
  'file_key',
  'content_hash',
  'is_deleted',
  'version',
  'created_at',
  'updated_at',
  'last_used_at',
  'deleted_at',
] as const

type Row = Omit<ScreenplaysTable, 'tags' | 'is_deleted' | 'content'> & { tags: unknown; is_deleted: unknown; content?: string }

export class KyselyScreenplaysRepo implements ScreenplaysRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(s: Screenplay, uow?: UnitOfWork): Promise<void> {
    const tx = queriesOf(uow, this.db)
    await tx
      .insertInto('screenplays')
      .values({
        id: s.id,
        name: s.name,
        description: s.description,
        tags: toJson(s.tags),
        content: s.content,
        working_directory: s.workingDirectory,
        file_path: s.filePath,
        import_path: s.importPath,
        export_path: s.exportPath,
        file_key: s.fileKey,
        content_hash: s.contentHash,
        is_deleted: s.isDeleted,
        version: s.version,
        created_at: s.createdAt,
        updated_at: s.updatedAt,
        last_used_at: s.lastUsedAt,
        deleted_at: s.deletedAt,
      })
      .execute()
  }

  async findById(id: string, options: { includeDeleted?: boolean } = {}, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    let query = tx.selectFrom('screenplays').selectAll().where('id', '=', id)
    if (!options.includeDeleted) query = query.where('is_deleted', '=', false)
    const row = await query.executeTakeFirst()
    return row ? toScreenplay(row) : undefined
  }

  async list(filter: ListScreenplaysFilter) {
    const filtered = this.applyFilter(this.db.selectFrom('screenplays'), filter)
    const column = SORT_COLUMNS[filter.sortBy]
    const direction = filter.descending ? 'desc' : 'asc'
    const [rows, count] = await Promise.all([
      filtered.select(SUMMARY_COLUMNS).orderBy(column, direction).orderBy('id', direction).offset(filter.offset).limit(filter.limit).execute(),
      filtered.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(toSummary), total: Number(count.total) }
  }

  async findLiveByFileKey(fileKey: string, excludeId?: string) {
    let query = this.db.selectFrom('screenplays').select(SUMMARY_COLUMNS).where('file_key', '=', fileKey).where('is_deleted', '=', false)
    if (excludeId !== undefined) query = query.where('id', '!=', excludeId)
    const row = await query.executeTakeFirst()
    return row ? toSummary(row) : undefined
  }

  async update(id: string, changes: ScreenplayChanges, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .updateTable('screenplays')
      .set((eb) => ({
        ...toColumns(changes),
        ...(changes.bumpVersion ? { version: eb('version', '+', 1) } : {}),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst()
    return row ? toScreenplay(row) : undefined
  }

  private applyFilter<O>(query: SelectQueryBuilder<Tables, 'screenplays', O>, filter: ListScreenplaysFilter) {
    let q = query
    if (!filter.includeDeleted) q = q.where('is_deleted', '=', false)
    for (const word of filter.words) {
      const pattern = `%${word.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
      q = q.where(({ or }) =>
        or([likeLower(sql.ref('name'), pattern), likeLower(sql.ref('description'), pattern), likeLower(sql`cast(tags as text)`, pattern)]),
      )
    }
    return q
  }
}

function likeLower(column: Expression<unknown>, pattern: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${column}) like ${pattern} escape '\\'`
}

function toColumns(c: ScreenplayChanges) {
  return {
    ...(c.name !== undefined && { name: c.name }),
    ...(c.description !== undefined && { description: c.description }),
    ...(c.tags !== undefined && { tags: toJson(c.tags) }),
    ...(c.content !== undefined && { content: c.content }),
    ...(c.workingDirectory !== undefined && { working_directory: c.workingDirectory }),
    ...(c.filePath !== undefined && { file_path: c.filePath }),
    ...(c.importPath !== undefined && { import_path: c.importPath }),
    ...(c.exportPath !== undefined && { export_path: c.exportPath }),
    ...(c.fileKey !== undefined && { file_key: c.fileKey }),
    ...(c.contentHash !== undefined && { content_hash: c.contentHash }),
    ...(c.isDeleted !== undefined && { is_deleted: c.isDeleted }),
    ...(c.updatedAt !== undefined && { updated_at: c.updatedAt }),
    ...(c.lastUsedAt !== undefined && { last_used_at: c.lastUsedAt }),
    ...(c.deletedAt !== undefined && { deleted_at: c.deletedAt }),
  }
}

function toSummary(row: Row): ScreenplaySummary {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    tags: fromJson<string[]>(row.tags, []),
    workingDirectory: row.working_directory,
    filePath: row.file_path,
    importPath: row.import_path,
    exportPath: row.export_path,
    fileKey: row.file_key,
    contentHash: row.content_hash,
    isDeleted: fromBool(row.is_deleted),
    version: row.version,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastUsedAt: Number(row.last_used_at),
    deletedAt: numberOrNull(row.deleted_at),
  }
}

function toScreenplay(row: Row & { content: string }): Screenplay {
  return { ...toSummary(row), content: row.content }
}
