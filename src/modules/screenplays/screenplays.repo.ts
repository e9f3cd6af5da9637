// Screenplay storage: the only place with screenplay queries.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import { sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely'
import { PreparedQuery, preparedVariants } from '../../platform/db/prepared-query.js'
import { fromBool, fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { ScreenplaysTable, Tables } from '../../platform/db/tables.js'
import { TableChanges } from '../../platform/db/table-changes.js'

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

/** A page of the list: its search words are bound as `word0`, `word1`, … */
type PageParams = { offset: number; limit: number } & Record<`word${number}`, string>

export class KyselyScreenplaysRepo implements ScreenplaysRepo {
  // The reads behind GET /api/screenplays and /{id}, built and compiled once per shape (see PreparedQuery).
  private readonly byId = preparedVariants(
    (includeDeleted: boolean) =>
      new PreparedQuery(this.db, (p: { id: string }) => {
        const query = this.db.selectFrom('screenplays').selectAll().where('id', '=', p.id)
        return includeDeleted ? query : query.where('is_deleted', '=', false)
      }),
  )
  private readonly pages = preparedVariants((shape: string) => {
    const filter = JSON.parse(shape) as ListShape
    return new PreparedQuery(this.db, (p: PageParams) => {
      const column = SORT_COLUMNS[filter.sortBy]
      const direction = filter.descending ? 'desc' : 'asc'
      return this.filtered(filter, p).select(SUMMARY_COLUMNS).orderBy(column, direction).orderBy('id', direction).offset(p.offset).limit(p.limit)
    })
  })
  private readonly counts = preparedVariants((shape: string) => {
    const filter = JSON.parse(shape) as ListShape
    return new PreparedQuery(this.db, (p: PageParams) => this.filtered(filter, p).select((eb) => eb.fn.countAll<number>().as('total')))
  })

  /** `changes` counts every write, for the answers kept of screenplay reads (AnswerCache). */
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly changes = new TableChanges(),
  ) {}

  async insert(s: Screenplay, uow?: UnitOfWork): Promise<void> {
    const tx = queriesOf(uow, this.db)
    const query = tx.insertInto('screenplays').values({
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
    await this.changes.write(uow, () => query.execute())
  }

  async findById(id: string, options: { includeDeleted?: boolean } = {}, uow?: UnitOfWork) {
    const row = await this.byId(options.includeDeleted === true).takeFirst({ id }, queriesOf(uow, this.db))
    return row ? toScreenplay(row) : undefined
  }

  async list(filter: ListScreenplaysFilter) {
    const shape: ListShape = {
      includeDeleted: filter.includeDeleted,
      sortBy: filter.sortBy,
      descending: filter.descending,
      words: filter.words.length,
    }
    const key = JSON.stringify(shape)
    const params = { offset: filter.offset, limit: filter.limit } as PageParams
    filter.words.forEach((word, i) => {
      params[`word${i}`] = `%${word.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
    })
    const [rows, count] = await Promise.all([this.pages(key).takeAll(params), this.counts(key).takeFirst(params)])
    return { items: rows.map(toSummary), total: Number((count as { total: number | string }).total) }
  }

  async findLiveByFileKey(fileKey: string, excludeId?: string) {
    let query = this.db.selectFrom('screenplays').select(SUMMARY_COLUMNS).where('file_key', '=', fileKey).where('is_deleted', '=', false)
    if (excludeId !== undefined) query = query.where('id', '!=', excludeId)
    const row = await query.executeTakeFirst()
    return row ? toSummary(row) : undefined
  }

  async update(id: string, changes: ScreenplayChanges, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const query = tx
      .updateTable('screenplays')
      .set((eb) => ({
        ...toColumns(changes),
        ...(changes.bumpVersion ? { version: eb('version', '+', 1) } : {}),
      }))
      .where('id', '=', id)
      .returningAll()
    const row = await this.changes.write(uow, () => query.executeTakeFirst())
    return row ? toScreenplay(row) : undefined
  }

  /** The rows a list shape selects; each search word's LIKE pattern is the parameter `word<i>`. */
  private filtered(filter: ListShape, p: PageParams): SelectQueryBuilder<Tables, 'screenplays', object> {
    let q = this.db.selectFrom('screenplays')
    if (!filter.includeDeleted) q = q.where('is_deleted', '=', false)
    for (let i = 0; i < filter.words; i++) {
      const pattern = p[`word${i}`] as string
      q = q.where(({ or }) =>
        or([likeLower(sql.ref('name'), pattern), likeLower(sql.ref('description'), pattern), likeLower(sql`cast(tags as text)`, pattern)]),
      )
    }
    return q
  }
}

/** What the SQL of a list depends on (the words themselves are parameters). */
interface ListShape {
  includeDeleted: boolean
  sortBy: ScreenplaySortKey
  descending: boolean
  words: number
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
  return Object.assign(toSummary(row), { content: row.content })
}
