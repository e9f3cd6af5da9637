// Serialized answers of read routes, kept until what they were read from changes: a repeated
// GET then costs no query and no serialization. Only for a database no other gateway writes to
// (SQLite); another process's commits to the same file are noticed within OUTSIDE_CHECK_MS.
import type { FastifyReply } from 'fastify'
import type { TableChanges } from '../db/table-changes.js'

/** How often another process's commits are looked for (each look costs about 7 µs on SQLite). */
export const OUTSIDE_CHECK_MS = 100

export interface AnswerCacheOptions {
  /** This process's writes to the tables the answers come from. */
  changes: TableChanges
  /** Changes when another process commits (Database.outsideCommits). */
  outsideCommits: () => number
  maxEntries?: number
  maxBytes?: number
  /** Milliseconds of a monotonic clock (default performance.now). */
  now?: () => number
}

const JSON_TYPE = 'application/json; charset=utf-8'

export class AnswerCache {
  private readonly entries = new Map<string, string>()
  private bytes = 0
  private localVersion = -1
  private outsideVersion = -1
  private outsideCheckedAt = Number.NEGATIVE_INFINITY
  private readonly maxEntries: number
  private readonly maxBytes: number
  private readonly now: () => number

  constructor(private readonly options: AnswerCacheOptions) {
    this.maxEntries = options.maxEntries ?? 1000
    this.maxBytes = options.maxBytes ?? 16 * 1024 * 1024
    this.now = options.now ?? (() => performance.now())
  }

  /**
   * Sends the kept answer for `key`, or reads one, serializes it with the route's response
   * schema, keeps it (unless something changed meanwhile) and sends it. Errors are never kept.
   */
  async send(reply: FastifyReply, key: string, read: () => Promise<unknown>): Promise<void> {
    this.dropIfChanged()
    let body = this.entries.get(key)
    if (body === undefined) {
      const local = this.localVersion
      const outside = this.outsideVersion
      body = reply.serialize(await read()) as string
      this.dropIfChanged()
      if (this.localVersion === local && this.outsideVersion === outside) this.keep(key, body)
    }
    reply.type(JSON_TYPE).send(body)
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes }
  }

  private dropIfChanged(): void {
    const local = this.options.changes.version
    let outside = this.outsideVersion
    const now = this.now()
    if (now - this.outsideCheckedAt >= OUTSIDE_CHECK_MS) {
      outside = this.options.outsideCommits()
      this.outsideCheckedAt = now
    }
    if (local === this.localVersion && outside === this.outsideVersion) return
    this.entries.clear()
    this.bytes = 0
    this.localVersion = local
    this.outsideVersion = outside
  }

  private keep(key: string, body: string): void {
    // Characters, not bytes: a bound on memory, not an exact count.
    if (body.length > this.maxBytes / 4) return
    while (this.entries.size >= this.maxEntries || this.bytes + body.length > this.maxBytes) {
      const [oldest, dropped] = this.entries.entries().next().value as [string, string]
      this.entries.delete(oldest)
      this.bytes -= dropped.length
    }
    this.entries.set(key, body)
    this.bytes += body.length
  }
}

/** Reads the route's answer as usual, or through `cache` (which sends it; nothing is returned then). */
export async function answerFrom<T>(
  cache: AnswerCache | undefined,
  reply: FastifyReply,
  key: string,
  read: () => Promise<T>,
): Promise<T | undefined> {
  if (!cache) return read()
  await cache.send(reply, key, read)
  return undefined
}
