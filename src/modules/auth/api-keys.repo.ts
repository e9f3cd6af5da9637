// API key storage: the only place with queries on `api_keys`.
import { numberOrNull } from '../../platform/db/json.js'
import type { Kysely, Selectable } from 'kysely'
import type { ApiKeysTable, Tables } from '../../platform/db/tables.js'
import type { Role } from '../../platform/http/access.js'

export interface ApiKeyRecord {
  id: string
  prefix: string
  role: Role
  label: string | null
  boundName: string | null
  createdAt: number
  lastUsedAt: number | null
  revokedAt: number | null
}

export class KyselyApiKeysRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(record: ApiKeyRecord & { hash: string }): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: record.id,
        hash: record.hash,
        prefix: record.prefix,
        role: record.role,
        label: record.label,
        bound_name: record.boundName,
        created_at: record.createdAt,
        last_used_at: null,
        revoked_at: null,
      })
      .execute()
  }

  async findActiveByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).where('revoked_at', 'is', null).executeTakeFirst()
    return row && toRecord(row)
  }

  async findActiveById(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst()
    return row && toRecord(row)
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute()
    return rows.map(toRecord)
  }

  /** True when a live key was revoked. */
  async revoke(id: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute()
  }
}

function toRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    prefix: row.prefix,
    role: row.role as Role,
    label: row.label,
    boundName: row.bound_name,
    createdAt: Number(row.created_at),
    lastUsedAt: numberOrNull(row.last_used_at),
    revokedAt: numberOrNull(row.revoked_at),
  }
}
