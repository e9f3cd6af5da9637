// Persona storage: `personas` (one row per agent: which version is current, the version counter)
// and `persona_versions` (immutable content of every version). The only place with their queries.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import { sql, type Kysely } from 'kysely'
import { fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { PersonaVersionsTable, PersonasTable, Tables } from '../../platform/db/tables.js'

export interface Persona {
  id: string
  agentId: string
  /** Null once the persona was deleted; its versions stay. */
  currentVersion: number | null
  metadata: Record<string, unknown>
  createdAt: number
  updatedAt: number
}

export interface PersonaVersion {
  id: string
  agentId: string
  version: number
  content: string
  contentHash: string
  createdBy: string | null
  changeDescription: string | null
  metadata: Record<string, unknown>
  createdAt: number
  updatedAt: number
}

export interface CurrentPersona {
  persona: Persona
  version: PersonaVersion
}

/** The sort keys the original's validator accepted (persona_version_validator.py). */
export const VERSION_SORT_KEYS = ['version', 'timestamp', 'created_at', 'updated_at'] as const
export type VersionSortKey = (typeof VERSION_SORT_KEYS)[number]

export interface VersionStats {
  total: number
  latestVersion: number | null
  firstAt: number | null
  lastAt: number | null
  storageBytes: number
}

export interface PersonasRepo {
  /**
   * Takes the agent's next version number and makes it current, in one atomic upsert on the
   * persona row (concurrent writers queue on that row). Sets the persona metadata when given.
   */
  allocateVersion(agentId: string, newId: string, now: number, metadata: Record<string, unknown> | undefined, uow: UnitOfWork): Promise<number>
  insertVersion(version: PersonaVersion, uow: UnitOfWork): Promise<void>
  findPersona(agentId: string, uow?: UnitOfWork): Promise<Persona | undefined>
  current(agentId: string, uow?: UnitOfWork): Promise<CurrentPersona | undefined>
  listCurrent(filter: { agentId?: string; offset: number; limit: number }): Promise<{ items: CurrentPersona[]; total: number }>
  /** Marks the persona deleted; false when there was no current persona. */
  clearCurrent(agentId: string, now: number): Promise<boolean>
  currentContents(): Promise<Map<string, string>>
  /** Changes whenever any persona changes (every write allocates a version or clears one). */
  fingerprint(): Promise<string>
  listVersions(
    agentId: string,
    page: { sortBy: VersionSortKey; descending: boolean; offset: number; limit: number },
  ): Promise<{ items: PersonaVersion[]; total: number }>
  findVersion(agentId: string, version: number, uow?: UnitOfWork): Promise<PersonaVersion | undefined>
  edgeVersion(agentId: string, edge: 'first' | 'latest', uow?: UnitOfWork): Promise<PersonaVersion | undefined>
  versionsBetween(agentId: string, from: number, to: number): Promise<PersonaVersion[]>
  versionStats(agentId: string): Promise<VersionStats>
  annotateVersion(
    agentId: string,
    version: number,
    changes: { metadata?: Record<string, unknown>; changeDescription?: string | null },
    now: number,
  ): Promise<PersonaVersion | undefined>
  deleteVersion(agentId: string, version: number, uow: UnitOfWork): Promise<boolean>
  /** Deletes all but the newest `keep` versions; returns how many went. */
  deleteAllButNewest(agentId: string, keep: number, uow: UnitOfWork): Promise<number>
}

type PersonaRow = Omit<PersonasTable, 'metadata'> & { metadata: unknown }
type VersionRow = Omit<PersonaVersionsTable, 'metadata'> & { metadata: unknown }

const VERSION_SORT: Record<VersionSortKey, 'version' | 'created_at' | 'updated_at'> = {
  version: 'version',
  timestamp: 'created_at',
  created_at: 'created_at',
  updated_at: 'updated_at',
}

export class KyselyPersonasRepo implements PersonasRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async allocateVersion(agentId: string, newId: string, now: number, metadata: Record<string, unknown> | undefined, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .insertInto('personas')
      .values({
        agent_id: agentId,
        id: newId,
        current_version: 1,
        last_version: 1,
        metadata: toJson(metadata ?? {}),
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column('agent_id').doUpdateSet((eb) => ({
          last_version: eb('personas.last_version', '+', 1),
          current_version: eb('personas.last_version', '+', 1),
          updated_at: now,
          ...(metadata !== undefined && { metadata: toJson(metadata) }),
        })),
      )
      .returning('last_version')
      .executeTakeFirstOrThrow()
    return Number(row.last_version)
  }

  async insertVersion(v: PersonaVersion, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    await tx
      .insertInto('persona_versions')
      .values({
        id: v.id,
        agent_id: v.agentId,
        version: v.version,
        content: v.content,
        content_hash: v.contentHash,
        created_by: v.createdBy,
        change_description: v.changeDescription,
        metadata: toJson(v.metadata),
        created_at: v.createdAt,
        updated_at: v.updatedAt,
      })
      .execute()
  }

  async findPersona(agentId: string, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx.selectFrom('personas').selectAll().where('agent_id', '=', agentId).executeTakeFirst()
    return row ? toPersona(row) : undefined
  }

  async current(agentId: string, uow?: UnitOfWork) {
    const persona = await this.findPersona(agentId, uow)
    if (!persona || persona.currentVersion === null) return undefined
    const version = await this.findVersion(agentId, persona.currentVersion, uow)
    return version ? { persona, version } : undefined
  }

  async listCurrent(filter: { agentId?: string; offset: number; limit: number }) {
    let base = this.db
      .selectFrom('personas as p')
      .innerJoin('persona_versions as v', (join) => join.onRef('v.agent_id', '=', 'p.agent_id').onRef('v.version', '=', 'p.current_version'))
    if (filter.agentId !== undefined) base = base.where('p.agent_id', '=', filter.agentId)
    const [rows, count] = await Promise.all([
      base
        .selectAll('v')
        .select([
          'p.id as persona_id',
          'p.current_version',
          'p.metadata as persona_metadata',
          'p.created_at as persona_created_at',
          'p.updated_at as persona_updated_at',
        ])
        .orderBy('p.updated_at', 'desc')
        .orderBy('p.agent_id')
        .offset(filter.offset)
        .limit(filter.limit)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    const items = rows.map((row) => ({
      persona: toPersona({
        id: row.persona_id,
        agent_id: row.agent_id,
        current_version: row.current_version,
        last_version: row.version,
        metadata: row.persona_metadata,
        created_at: row.persona_created_at,
        updated_at: row.persona_updated_at,
      }),
      version: toVersion(row),
    }))
    return { items, total: Number(count.total) }
  }

  async clearCurrent(agentId: string, now: number) {
    const result = await this.db
      .updateTable('personas')
      .set({ current_version: null, updated_at: now })
      .where('agent_id', '=', agentId)
      .where('current_version', 'is not', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async currentContents() {
    const rows = await this.db
      .selectFrom('personas as p')
      .innerJoin('persona_versions as v', (join) => join.onRef('v.agent_id', '=', 'p.agent_id').onRef('v.version', '=', 'p.current_version'))
      .select(['p.agent_id', 'v.content'])
      .execute()
    return new Map(rows.map((row) => [row.agent_id, row.content]))
  }

  async fingerprint() {
    const row = await this.db
      .selectFrom('personas')
      .select((eb) => [
        eb.fn.countAll<number>().as('total'),
        eb.fn.count('current_version').as('live'),
        eb.fn.sum<number>('last_version').as('versions'),
      ])
      .executeTakeFirstOrThrow()
    return `${Number(row.total)}:${Number(row.live)}:${Number(row.versions ?? 0)}`
  }

  async listVersions(agentId: string, page: { sortBy: VersionSortKey; descending: boolean; offset: number; limit: number }) {
    const base = this.db.selectFrom('persona_versions').where('agent_id', '=', agentId)
    const direction = page.descending ? 'desc' : 'asc'
    const [rows, count] = await Promise.all([
      base.selectAll().orderBy(VERSION_SORT[page.sortBy], direction).orderBy('version', direction).offset(page.offset).limit(page.limit).execute(),
      base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
    ])
    return { items: rows.map(toVersion), total: Number(count.total) }
  }

  async findVersion(agentId: string, version: number, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx.selectFrom('persona_versions').selectAll().where('agent_id', '=', agentId).where('version', '=', version).executeTakeFirst()
    return row ? toVersion(row) : undefined
  }

  async edgeVersion(agentId: string, edge: 'first' | 'latest', uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .selectFrom('persona_versions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .orderBy('version', edge === 'first' ? 'asc' : 'desc')
      .limit(1)
      .executeTakeFirst()
    return row ? toVersion(row) : undefined
  }

  async versionsBetween(agentId: string, from: number, to: number) {
    const rows = await this.db
      .selectFrom('persona_versions')
      .selectAll()
      .where('agent_id', '=', agentId)
      .where('version', '>=', from)
      .where('version', '<=', to)
      .orderBy('version')
      .execute()
    return rows.map(toVersion)
  }

  async versionStats(agentId: string): Promise<VersionStats> {
    const row = await this.db
      .selectFrom('persona_versions')
      .where('agent_id', '=', agentId)
      .select((eb) => [
        eb.fn.countAll<number>().as('total'),
        eb.fn.max('version').as('latest'),
        eb.fn.min('created_at').as('first_at'),
        eb.fn.max('created_at').as('last_at'),
        sql<number | null>`sum(octet_length(content))`.as('bytes'),
      ])
      .executeTakeFirstOrThrow()
    const orNull = (value: unknown) => (value === null || value === undefined ? null : Number(value))
    return {
      total: Number(row.total),
      latestVersion: orNull(row.latest),
      firstAt: orNull(row.first_at),
      lastAt: orNull(row.last_at),
      storageBytes: Number(row.bytes ?? 0),
    }
  }

  async annotateVersion(
    agentId: string,
    version: number,
    changes: { metadata?: Record<string, unknown>; changeDescription?: string | null },
    now: number,
  ) {
    const row = await this.db
      .updateTable('persona_versions')
      .set({
        updated_at: now,
        ...(changes.metadata !== undefined && { metadata: toJson(changes.metadata) }),
        ...(changes.changeDescription !== undefined && { change_description: changes.changeDescription }),
      })
      .where('agent_id', '=', agentId)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst()
    return row ? toVersion(row) : undefined
  }

  async deleteVersion(agentId: string, version: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const result = await tx.deleteFrom('persona_versions').where('agent_id', '=', agentId).where('version', '=', version).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async deleteAllButNewest(agentId: string, keep: number, uow: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const cutoff = await tx
      .selectFrom('persona_versions')
      .select('version')
      .where('agent_id', '=', agentId)
      .orderBy('version', 'desc')
      .offset(keep - 1)
      .limit(1)
      .executeTakeFirst()
    if (!cutoff) return 0
    const result = await tx.deleteFrom('persona_versions').where('agent_id', '=', agentId).where('version', '<', cutoff.version).executeTakeFirst()
    return Number(result.numDeletedRows)
  }
}

function toPersona(row: PersonaRow): Persona {
  return {
    id: row.id,
    agentId: row.agent_id,
    currentVersion: numberOrNull(row.current_version),
    metadata: fromJson<Record<string, unknown>>(row.metadata, {}),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}

function toVersion(row: VersionRow): PersonaVersion {
  return {
    id: row.id,
    agentId: row.agent_id,
    version: Number(row.version),
    content: row.content,
    contentHash: row.content_hash,
    createdBy: row.created_by,
    changeDescription: row.change_description,
    metadata: fromJson<Record<string, unknown>>(row.metadata, {}),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}
