// LISTEN/NOTIFY between gateway instances sharing one PostgreSQL. One dedicated connection
// listens; sends go through the same connection (NOTIFY is cheap and ordered per sender).
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import type { Logger } from 'pino'
import type { ClusterChannel } from './cluster-channel.js'

const RECONNECT_DELAY_MS = 1000

export class PgNotifyChannel implements ClusterChannel {
  private readonly origin = randomUUID().slice(0, 8)
  private readonly handlers = new Map<string, Array<(payload: string) => void>>()
  private client: pg.Client | null = null
  private connecting: Promise<void> | null = null
  private closed = false

  constructor(
    private readonly connectionString: string,
    private readonly options: { schema?: string; logger?: Logger } = {},
  ) {}

  /** Channels are namespaced by schema so isolated deployments (and tests) do not hear each other. */
  private qualified(channel: string): string {
    return `${this.options.schema ?? 'public'}_${channel}`.replace(/[^a-z0-9_]/gi, '_').slice(0, 63)
  }

  async start(): Promise<void> {
    await this.connect()
  }

  send(channel: string, payload: string): void {
    const client = this.client
    if (!client) return
    client.query('select pg_notify($1, $2)', [this.qualified(channel), `${this.origin}|${payload}`]).catch((err: Error) => {
      this.options.logger?.warn({ err, channel }, 'cluster notify failed')
    })
  }

  on(channel: string, handler: (payload: string) => void): void {
    const name = this.qualified(channel)
    const list = this.handlers.get(name) ?? []
    list.push(handler)
    this.handlers.set(name, list)
    if (this.client && list.length === 1) {
      this.client.query(`listen "${name}"`).catch((err: Error) => this.options.logger?.warn({ err, channel }, 'cluster listen failed'))
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await this.connecting
    const client = this.client
    this.client = null
    await client?.end().catch(() => {})
  }

  private connect(): Promise<void> {
    this.connecting ??= this.openClient().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private async openClient(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString })
    client.on('notification', (message) => {
      const body = message.payload ?? ''
      const bar = body.indexOf('|')
      if (body.slice(0, bar) === this.origin) return
      for (const handler of this.handlers.get(message.channel) ?? []) handler(body.slice(bar + 1))
    })
    client.on('error', (err) => {
      this.options.logger?.warn({ err }, 'cluster channel connection lost; reconnecting')
      this.client = null
      if (!this.closed) setTimeout(() => void this.connect().catch(() => {}), RECONNECT_DELAY_MS).unref()
    })
    await client.connect()
    for (const name of this.handlers.keys()) await client.query(`listen "${name}"`)
    this.client = client
  }
}
