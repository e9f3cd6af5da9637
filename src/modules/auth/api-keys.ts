// API keys: 32 random bytes shown once, stored as a SHA-256 (a key is random enough that a slow
// hash adds nothing), looked up by that hash on every request.
import { createHash, randomBytes } from 'node:crypto'
import type { Clock } from '../../platform/clock.js'
import { BadRequestError } from '../../platform/http/errors.js'
import { type Role, ROLES } from '../../platform/http/access.js'
import type { ApiKeyRecord, KyselyApiKeysRepo } from './api-keys.repo.js'

const KEY_PREFIX = 'cgk_'
/** last_used_at is written at most this often per key, not on every request. */
const TOUCH_EVERY_MS = 60_000

export interface NewApiKey {
  role: string
  label?: string
  /** mcp-sidecar keys: the MCP server name the key may register and heartbeat. */
  name?: string
}

export class ApiKeys {
  constructor(
    private readonly repo: KyselyApiKeysRepo,
    private readonly clock: Clock,
  ) {}

  /** Stores a new key and returns it with its plain text, which is never stored. */
  async create(input: NewApiKey): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!(ROLES as readonly string[]).includes(input.role)) throw new BadRequestError(`role must be one of: ${ROLES.join(', ')}`)
    const role = input.role as Role
    if (role === 'mcp-sidecar' && !input.name) throw new BadRequestError('an mcp-sidecar key needs --name: the MCP server name it may register')
    if (role !== 'mcp-sidecar' && input.name) throw new BadRequestError('--name is only for mcp-sidecar keys')
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`
    const record: ApiKeyRecord = {
      id: `key_${randomBytes(6).toString('hex')}`,
      prefix: key.slice(0, KEY_PREFIX.length + 6),
      role,
      label: input.label ?? null,
      boundName: input.name ?? null,
      createdAt: this.clock.now(),
      lastUsedAt: null,
      revokedAt: null,
    }
    await this.repo.insert({ ...record, hash: hashKey(key) })
    return { key, record }
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.repo.list()
  }

  revoke(id: string): Promise<boolean> {
    return this.repo.revoke(id, this.clock.now())
  }

  /** The live key `key` is, or undefined. */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 128) return undefined
    const record = await this.repo.findActiveByHash(hashKey(key))
    if (record && (record.lastUsedAt === null || this.clock.now() - record.lastUsedAt > TOUCH_EVERY_MS)) {
      await this.repo.touch(record.id, this.clock.now())
    }
    return record
  }

  /** A session made from a key lives only as long as the key does. */
  active(id: string): Promise<ApiKeyRecord | undefined> {
    return this.repo.findActiveById(id)
  }
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}
