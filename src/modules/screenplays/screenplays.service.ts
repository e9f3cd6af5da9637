// Screenplay rules: validation of content, paths and working directories, duplicate files,
// versioning and soft delete with its cascade.
import type { UnitOfWork, Transactor } from '../../platform/db/unit-of-work.js'
import path from 'node:path'
import type { Clock } from '../../platform/clock.js'
import { isUniqueViolation } from '../../platform/db/errors.js'
import { BadRequestError, ConflictError, NotFoundError } from '../../platform/http/errors.js'
import { newObjectId } from '../../platform/ids.js'
import type { WorkspacePolicy } from '../../platform/workspace.js'
import { validateMarkdown, type MarkdownReport } from './markdown-validator.js'
import { checkFilePaths, contentHashOf, fileKeyOf, fileKeyOfPath, sanitizeFilePath, type FileField } from './screenplay-files.js'
import type {
  ListScreenplaysFilter,
  Screenplay,
  ScreenplayChanges,
  ScreenplaysRepo,
  ScreenplaySortKey,
  ScreenplaySummary,
} from './screenplays.repo.js'

export const DEFAULT_SCREENPLAY_CONTENT = '# Novo Roteiro\n\nComece a escrever seu roteiro aqui...'

export interface ScreenplayInput {
  name?: string
  description?: string | null
  tags?: string[]
  content?: string
  workingDirectory?: string | null
  filePath?: string | null
  importPath?: string | null
  exportPath?: string | null
  fileKey?: string | null
  isDeleted?: boolean
}

export interface ListScreenplaysInput {
  search?: string
  page: number
  limit: number
  includeDeleted: boolean
  sort: `${'-' | ''}${ScreenplaySortKey}`
}

/** Runs inside the deleting transaction so dependants are hidden together with the screenplay. */
export type ScreenplayDeletionHook = (screenplayId: string, now: number, tx: UnitOfWork) => Promise<void>

export class ScreenplaysService {
  private readonly deletionHooks: ScreenplayDeletionHook[] = []

  constructor(private readonly deps: { repo: ScreenplaysRepo; clock: Clock; workspace: WorkspacePolicy; transact: Transactor }) {}

  /** Registers work that must happen when a screenplay is soft-deleted (instances, conversations…). */
  onDelete(hook: ScreenplayDeletionHook): void {
    this.deletionHooks.push(hook)
  }

  async create(input: ScreenplayInput & { name: string }): Promise<Screenplay> {
    const paths = this.checkPaths(input)
    const content = input.content === undefined || input.content.trim() === '' ? DEFAULT_SCREENPLAY_CONTENT : input.content
    this.assertValidMarkdown(content)
    const workingDirectory = this.normalizeWorkingDirectory(input.workingDirectory)
    for (const field of ['import_path', 'file_path'] as const) {
      const p = paths[field]
      if (p) await this.assertNoLiveDuplicate(p)
    }
    const now = this.deps.clock.now()
    const filePath = paths.file_path ?? null
    const importPath = paths.import_path ?? null
    const screenplay: Screenplay = {
      id: newObjectId(now),
      name: input.name,
      description: input.description ?? null,
      tags: input.tags ?? [],
      content,
      workingDirectory,
      filePath,
      importPath,
      exportPath: paths.export_path ?? null,
      fileKey: filePath ? fileKeyOfPath(filePath) : importPath ? fileKeyOfPath(importPath) : (input.fileKey ?? null),
      contentHash: contentHashOf(content),
      isDeleted: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: now,
      deletedAt: null,
    }
    await this.writeUnique(() => this.deps.repo.insert(screenplay))
    return screenplay
  }

  async list(input: ListScreenplaysInput): Promise<{ items: ScreenplaySummary[]; total: number; page: number; pages: number }> {
    const descending = input.sort.startsWith('-')
    const filter: ListScreenplaysFilter = {
      words: (input.search ?? '').split(/\s+/).filter(Boolean).slice(0, 10),
      includeDeleted: input.includeDeleted,
      sortBy: input.sort.replace(/^-/, '') as ScreenplaySortKey,
      descending,
      offset: (input.page - 1) * input.limit,
      limit: input.limit,
    }
    const { items, total } = await this.deps.repo.list(filter)
    return { items, total, page: input.page, pages: Math.max(1, Math.ceil(total / input.limit)) }
  }

  async get(id: string, options: { includeDeleted?: boolean } = {}): Promise<Screenplay> {
    return (await this.deps.repo.findById(id, options)) ?? notFound(id)
  }

  /** A live screenplay, or undefined (for other modules: runs inherit its directory and content). */
  find(id: string): Promise<Screenplay | undefined> {
    return this.deps.repo.findById(id)
  }

  /** Where the screenplay's runs and instances work by default; null when it has none or is gone. */
  async workingDirectoryOf(id: string): Promise<string | null> {
    return (await this.find(id))?.workingDirectory ?? null
  }

  /** Partial update (PUT semantics of the original): always bumps the version. */
  async update(id: string, input: ScreenplayInput): Promise<Screenplay> {
    const current = await this.get(id, { includeDeleted: true })
    const now = this.deps.clock.now()
    const changes: ScreenplayChanges = { updatedAt: now, bumpVersion: true }
    if (input.name !== undefined) changes.name = input.name
    if (input.description !== undefined) changes.description = input.description
    if (input.tags !== undefined) changes.tags = input.tags
    if (input.content !== undefined) {
      if (input.content.trim() === '') throw new BadRequestError('Content cannot be empty')
      this.assertValidMarkdown(input.content)
      changes.content = input.content
      changes.contentHash = contentHashOf(input.content)
    }
    if (input.workingDirectory !== undefined) changes.workingDirectory = this.normalizeWorkingDirectory(input.workingDirectory)
    await this.applyPathChanges(current, input, changes)

    const deleting = input.isDeleted === true && !current.isDeleted
    if (input.isDeleted === false && current.isDeleted) Object.assign(changes, { isDeleted: false, deletedAt: null })
    if (deleting) Object.assign(changes, { isDeleted: true, deletedAt: now })

    return this.writeUnique(() =>
      this.deps.transact(async (tx) => {
        const updated = (await this.deps.repo.update(id, changes, tx)) ?? notFound(id)
        if (deleting) await this.runDeletionHooks(id, now, tx)
        return updated
      }),
    )
  }

  /** Soft delete: the row stays (restorable) but disappears from lists and lookups. */
  async delete(id: string): Promise<void> {
    await this.get(id)
    const now = this.deps.clock.now()
    await this.deps.transact(async (tx) => {
      await this.deps.repo.update(id, { isDeleted: true, deletedAt: now, updatedAt: now }, tx)
      await this.runDeletionHooks(id, now, tx)
    })
  }

  async restore(id: string): Promise<Screenplay> {
    return this.update(id, { isDeleted: false })
  }

  async rename(id: string, newName: string, updateFilePaths: boolean): Promise<Screenplay> {
    const current = await this.get(id)
    const changes: ScreenplayChanges = { name: newName, updatedAt: this.deps.clock.now(), bumpVersion: true }
    if (updateFilePaths && current.filePath) {
      const dir = path.posix.dirname(current.filePath)
      const renamed = checkFilePaths({ file_path: `${dir}/${newName}${path.posix.extname(current.filePath)}` })
      // compat: a renamed path that does not validate leaves the stored path as it was.
      if (renamed.ok && renamed.paths.file_path) {
        await this.assertNoLiveDuplicate(renamed.paths.file_path, id)
        changes.filePath = renamed.paths.file_path
        changes.fileKey = fileKeyOfPath(renamed.paths.file_path)
      }
    }
    return this.writeUnique(async () => (await this.deps.repo.update(id, changes)) ?? notFound(id))
  }

  async setWorkingDirectory(id: string, workingDirectory: string): Promise<string> {
    await this.get(id)
    const normalized = this.deps.workspace.normalize(workingDirectory, 'working_directory')
    await this.deps.repo.update(id, { workingDirectory: normalized, updatedAt: this.deps.clock.now() })
    return normalized
  }

  async markUsed(id: string): Promise<void> {
    await this.get(id)
    await this.deps.repo.update(id, { lastUsedAt: this.deps.clock.now() })
  }

  async checkDuplicate(filePath: string, fileName: string, excludeId?: string | null) {
    const fileKey = fileKeyOf(filePath, fileName)
    const duplicate = await this.deps.repo.findLiveByFileKey(fileKey, excludeId ?? undefined)
    return { fileKey, duplicate }
  }

  validateMarkdown(content: string): MarkdownReport {
    return validateMarkdown(content)
  }

  private async applyPathChanges(current: Screenplay, input: ScreenplayInput, changes: ScreenplayChanges): Promise<void> {
    const paths = this.checkPaths(input)
    if (paths.file_path !== undefined) {
      if (paths.file_path) await this.assertNoLiveDuplicate(paths.file_path, current.id)
      changes.filePath = paths.file_path
      changes.fileKey = paths.file_path ? fileKeyOfPath(paths.file_path) : current.importPath ? fileKeyOfPath(current.importPath) : null
    }
    if (paths.import_path !== undefined) {
      if (paths.import_path) await this.assertNoLiveDuplicate(paths.import_path, current.id)
      changes.importPath = paths.import_path
      if (paths.file_path === undefined && !current.filePath) {
        changes.fileKey = paths.import_path ? fileKeyOfPath(paths.import_path) : null
      }
    }
    if (paths.export_path !== undefined) changes.exportPath = paths.export_path
  }

  private checkPaths(input: ScreenplayInput): Partial<Record<FileField, string | null>> {
    const result = checkFilePaths({ file_path: input.filePath, import_path: input.importPath, export_path: input.exportPath })
    if (!result.ok) throw new BadRequestError(`File path validation failed: ${result.problems.join('; ')}`)
    return result.paths
  }

  private normalizeWorkingDirectory(dir: string | null | undefined): string | null {
    if (dir === undefined || dir === null || dir.trim() === '') return null
    return this.deps.workspace.normalize(dir, 'working_directory')
  }

  private assertValidMarkdown(content: string): void {
    const report = validateMarkdown(content)
    if (!report.isValid) throw new BadRequestError(`Markdown validation failed: ${report.errors.join('; ')}`)
  }

  private async assertNoLiveDuplicate(cleanPath: string, excludeId?: string): Promise<void> {
    if (await this.deps.repo.findLiveByFileKey(fileKeyOfPath(cleanPath), excludeId)) {
      throw new ConflictError(`Screenplay for path '${sanitizeFilePath(cleanPath)}' already exists`)
    }
  }

  /** The unique index settles races the pre-check cannot: a collision becomes a 409. */
  private async writeUnique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError('A screenplay for this file already exists')
      throw err
    }
  }

  private async runDeletionHooks(id: string, now: number, tx: UnitOfWork): Promise<void> {
    for (const hook of this.deletionHooks) await hook(id, now, tx)
  }
}

function notFound(id: string): never {
  throw new NotFoundError(`Screenplay with id '${id}' not found`)
}
