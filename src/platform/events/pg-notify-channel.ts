// LISTEN/NOTIFY between gateway instances sharing one PostgreSQL. One dedicated connection
// listens and sends (NOTIFY is cheap and ordered per sender). Payloads over NOTIFY's 8000-byte
// limit are parked in `cluster_messages` and sent by reference.
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import { loadPg } from '../db/database.js'
import type { Logger } from 'pino'
import type { ClusterChannel } from './cluster-channel.js'

const RECONNECT_DELAY_MS = 1000
const INLINE_LIMIT = 7000
const PARKED_TTL_MS = 5 * 60_000

export class PgNotifyChannel implements ClusterChannel {
  private readonly origin = randomUUID().slice(0, 8)
  private readonly handlers = new Map<string, Array<(payload: string) => void>>()
  private readonly reconnectHandlers: Array<() => void> = []
  private client: pg.Client | null = null
  private connecting: Promise<void> | null = null
  private reconnectTimer: NodeJS.Timeout | null = null
  private closed = false
  /** One query at a time on the shared connection (pg deprecates overlapping ones). */
  private queue: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly connectionString: string,
    private readonly options: { schema?: string; logger?: Logger } = {},
  ) {}

  async start(): Promise<void> {
    await this.connect()
  }

  send(channel: string, payload: string): void {
    const client = this.client
    if (!client) return
    const name = this.qualified(channel)
    const sent =
      Buffer.byteLength(payload) <= INLINE_LIMIT
        ? this.query(client, 'select pg_notify($1, $2)', [name, `${this.origin}|${payload}`])
        : this.sendParked(client, name, payload)
    sent.catch((err: Error) => this.options.logger?.warn({ err, channel }, 'cluster notify failed'))
  }

  on(channel: string, handler: (payload: string) => void): void {
    const name = this.qualified(channel)
    const list = this.handlers.get(name) ?? []
    list.push(handler)
    this.handlers.set(name, list)
    if (this.client && list.length === 1) {
      this.query(this.client, `listen "${name}"`).catch((err: Error) => this.options.logger?.warn({ err, channel }, 'cluster listen failed'))
    }
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    await this.connecting?.catch(() => {})
    const client = this.client
    this.client = null
    await client?.end().catch(() => {})
  }

  /** Channels are namespaced by schema so isolated deployments (and tests) do not hear each other. */
  private qualified(channel: string): string {
    return `${this.options.schema ?? 'public'}_${channel}`.replace(/[^a-z0-9_]/gi, '_').slice(0, 63)
  }

  private async sendParked(client: pg.Client, name: string, payload: string): Promise<void> {
    const id = randomUUID()
    const now = Date.now()
    await this.query(client, 'insert into cluster_messages (id, payload, created_at) values ($1, $2, $3)', [id, payload, now])
    await this.query(client, 'select pg_notify($1, $2)', [name, `${this.origin}|@${id}`])
    await this.query(client, 'delete from cluster_messages where created_at < $1', [now - PARKED_TTL_MS])
  }

  private async receive(client: pg.Client, channel: string, body: string): Promise<void> {
    const bar = body.indexOf('|')
    if (body.slice(0, bar) === this.origin) return
    let payload = body.slice(bar + 1)
    if (payload.startsWith('@')) {
      const { rows } = await this.query<{ payload: string }>(client, 'select payload from cluster_messages where id = $1', [payload.slice(1)])
      if (!rows[0]) return
      payload = rows[0].payload
    }
    for (const handler of this.handlers.get(channel) ?? []) handler(payload)
  }

  private connect(): Promise<void> {
    this.connecting ??= this.openClient().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private async openClient(): Promise<void> {
    const client = new (loadPg().Client)({
      connectionString: this.connectionString,
      ...(this.options.schema && { options: `-c search_path=${this.options.schema}` }),
    })
    client.on('notification', (message) => {
      this.receive(client, message.channel, message.payload ?? '').catch((err: Error) =>
        this.options.logger?.warn({ err }, 'cluster message could not be read'),
      )
    })
    client.on('error', (err) => this.lost(client, err))
    client.on('end', () => this.lost(client))
    try {
      await client.connect()
      for (const name of this.handlers.keys()) await this.query(client, `listen "${name}"`)
    } catch (err) {
      client.end().catch(() => {})
      throw err
    }
    if (this.closed) await client.end().catch(() => {})
    else this.client = client
  }

  /** The listening connection died (database restarted, network cut): reconnect until it is back. */
  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return
    this.client = null
    if (this.closed) return
    // Not under `err`: the logger files unreachable-database errors at debug level.
    this.options.logger?.warn({ reason: err?.message ?? 'connection ended' }, 'cluster channel lost; reconnecting')
    this.reconnectLater()
  }

  private reconnectLater(): void {
    if (this.closed || this.reconnectTimer) return
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      this.connect().then(
        () => {
          this.options.logger?.info('cluster channel back')
          for (const handler of this.reconnectHandlers) handler()
        },
        () => this.reconnectLater(),
      )
    }, RECONNECT_DELAY_MS)
    this.reconnectTimer.unref()
  }

  private query<R extends pg.QueryResultRow = pg.QueryResultRow>(client: pg.Client, text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const result = this.queue.then(() => client.query<R>(text, values))
    this.queue = result.catch(() => undefined)
    return result
  }
}
