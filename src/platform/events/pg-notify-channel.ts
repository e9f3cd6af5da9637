// LISTEN/NOTIFY between gateway instances sharing one PostgreSQL. One dedicated connection
// listens and sends. Messages sent in one event-loop turn (and while the previous batch was on
// its way) go out together, in order, in one statement: as few notifications as their size allows
// (see notify-frames). A payload too large for a notification is parked in `cluster_messages`
// and sent as its reference. An instance alone on the channel sends nothing (see cluster-members).
import { randomUUID } from 'node:crypto'
import type pg from 'pg'
import type { Logger } from 'pino'
import { loadPg, PREPARE_MARK, preparingClient } from '../db/database.js'
import { jsonRows } from '../db/json.js'
import type { ClusterChannel } from './cluster-channel.js'
import { Greeting, JOIN_MEMBERSHIP, MembershipBelief, membershipKey, OTHER_MEMBERS } from './cluster-members.js'
import { frameOf, packFrames, unpackFrames, type ClusterMessage } from './notify-frames.js'

const RECONNECT_DELAY_MS = 1000
/** A payload longer than this (in bytes, framed) is parked rather than sent in a notification. */
const INLINE_LIMIT = 7000
const PARKED_TTL_MS = 5 * 60_000
/** Payloads one notifying statement takes as parameters (PostgreSQL takes at most 65,535). */
const PAYLOADS_PER_STATEMENT = 1000
const CHANNEL_NAME = /^[a-z0-9_]+$/i
/**
 * Statements of up to this many payloads are prepared once per connection: a prepared one cost
 * PostgreSQL about 25 µs less CPU each (40 against 65), and batches are mostly of one or two.
 */
const PREPARED_UP_TO = 8
/** How often an instance looks at who else listens (which finds instances gone). */
const MEMBERS_LOOK_MS = 2000
/** How long a joining instance waits for the others to answer its hello, and how often it looks whether they are still there. */
const HELLO_WAIT_MS = 10_000
const HELLO_LOOK_MS = 250
/** The channels of the joining handshake (application channels are other names). */
const HELLO = 'cluster_hello'
const WELCOME = 'cluster_welcome'
const PREPARED_NOTIFY = Array.from({ length: PREPARED_UP_TO }, (_, i) => PREPARE_MARK + notifyText(i + 1))

/**
 * The statement that sends `count` payloads (parameters 2 to count + 1) on the channel (parameter
 * 1); one of a few payloads is marked to be prepared, and built once.
 */
export function notifyStatement(count: number): string {
  return PREPARED_NOTIFY[count - 1] ?? notifyText(count)
}

function notifyText(count: number): string {
  const parameters = Array.from({ length: count }, (_, i) => `$${i + 2}`).join(', ')
  return `select pg_notify($1, payload) from unnest(array[${parameters}]::text[]) as payload`
}

/** Runs marked statements (the notify statements of a few payloads) as prepared ones. */
let ChannelClient: typeof pg.Client | undefined

/**
 * The channel's connection. Its transactions only notify (or park a payload for a notification),
 * so they commit without waiting for the WAL to reach the disk: notifications do not outlive a
 * PostgreSQL restart anyway (listeners reconnect and read the runs' events from the database), and
 * each flush was a wait and a wake-up of the backend for every batch sent. It prepares the marked
 * statements.
 */
export function channelClient(connectionString: string, schema?: string): pg.Client {
  const settings = ['-c synchronous_commit=off', ...(schema ? [`-c search_path=${schema}`] : [])]
  ChannelClient ??= preparingClient(loadPg())
  return new ChannelClient({ connectionString, options: settings.join(' ') })
}

export interface PgNotifyChannelOptions {
  schema?: string
  logger?: Logger
  payloadsPerStatement?: number
  /** How often to look at who else listens (MEMBERS_LOOK_MS). */
  membersLookMs?: number
}

export class PgNotifyChannel implements ClusterChannel {
  private readonly origin = randomUUID().slice(0, 8)
  private readonly belief = new MembershipBelief()
  private readonly membershipKey: number
  /** The backend of this instance's channel connection: how it answers a hello. */
  private memberPid = 0
  /** While joining: the instances yet to answer this instance's hello. */
  private greeting: Greeting | null = null
  private lookTimer: NodeJS.Timeout | null = null
  private readonly handlers = new Map<string, Array<(payload: string) => void>>()
  private readonly reconnectHandlers: Array<() => void> = []
  private client: pg.Client | null = null
  private connecting: Promise<void> | null = null
  private reconnectTimer: NodeJS.Timeout | null = null
  private closing = false
  /** One query at a time on the shared connection (pg deprecates overlapping ones). */
  private queue: Promise<unknown> = Promise.resolve()
  /** Messages waiting for the next batch, in the order they were sent. */
  private outbox: ClusterMessage[] = []
  private flushing: Promise<void> | null = null
  /** Received messages are handed over one after another (a parked one is read first). */
  private receiving: Promise<void> = Promise.resolve()
  private lastPurge = 0

  /** Every message travels on one channel, namespaced by schema so isolated deployments (and tests) do not hear each other. */
  private readonly channel: string

  constructor(
    private readonly connectionString: string,
    private readonly options: PgNotifyChannelOptions = {},
  ) {
    this.channel = `${options.schema ?? 'public'}_cluster`.replace(/[^a-z0-9_]/gi, '_').slice(0, 63)
    this.membershipKey = membershipKey(this.channel)
    this.on(HELLO, (origin) => this.welcome(origin))
    this.on(WELCOME, (answer) => this.answered(answer))
  }

  /** False while no other instance listens: messages would tell nobody, and are not sent. */
  get isClustered(): boolean {
    return !this.belief.isAlone
  }

  async start(): Promise<void> {
    await this.connect()
    this.lookTimer = setInterval(() => this.lookAtMembers(), this.options.membersLookMs ?? MEMBERS_LOOK_MS)
    this.lookTimer.unref()
  }

  /** Sent with the next batch; dropped while the connection is down (receivers catch up on reconnect) or no other instance listens. */
  send(channel: string, payload: string): void {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`cluster channel names are identifiers, not '${channel}'`)
    if (!this.client || this.closing || this.belief.isAlone) return
    this.outbox.push({ channel, payload })
    this.flushSoon()
  }

  on(channel: string, handler: (payload: string) => void): void {
    const list = this.handlers.get(channel) ?? []
    list.push(handler)
    this.handlers.set(channel, list)
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler)
  }

  /** Sends what is waiting, then closes the connection; later messages are dropped. */
  async close(): Promise<void> {
    this.closing = true
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.lookTimer) clearInterval(this.lookTimer)
    this.greeting?.giveUp()
    while (this.flushing) await this.flushing
    await this.connecting?.catch(() => {})
    const client = this.client
    this.client = null
    await client?.end().catch(() => {})
  }

  /** At the end of this event-loop turn, unless a flush is under way (it takes the new messages too). */
  private flushSoon(): void {
    if (this.flushing) return
    this.flushing = new Promise((resolve) => setImmediate(resolve))
      .then(() => this.flush())
      .finally(() => {
        this.flushing = null
        if (this.outbox.length > 0) this.flushSoon()
      })
  }

  /** Sends batches until the outbox is empty; messages sent meanwhile join the next batch. */
  private async flush(): Promise<void> {
    while (this.outbox.length > 0) {
      const messages = this.outbox
      this.outbox = []
      const client = this.client
      if (!client) return
      try {
        await this.sendBatch(client, messages)
      } catch (err) {
        // One warning per lost batch; a connection lost while closing is expected.
        if (!this.closing) this.options.logger?.warn({ err, messages: messages.length }, 'cluster notify failed')
      }
    }
  }

  private async sendBatch(client: pg.Client, messages: ClusterMessage[]): Promise<void> {
    const parked: Array<{ id: string; payload: string }> = []
    const frames = messages.map((message) => {
      const frame = frameOf(message)
      if (Buffer.byteLength(frame) <= INLINE_LIMIT) return frame
      const id = randomUUID()
      parked.push({ id, payload: message.payload })
      return frameOf({ channel: message.channel, payload: id, parked: true })
    })
    if (parked.length > 0) await this.park(client, parked)
    const payloads = packFrames(frames, `${this.origin}|`)
    // Each payload its own text parameter: sent as it is, where an array or JSON parameter would
    // escape every quote of the JSON inside it once more.
    const perStatement = this.options.payloadsPerStatement ?? PAYLOADS_PER_STATEMENT
    for (let start = 0; start < payloads.length; start += perStatement) {
      const chunk = payloads.slice(start, start + perStatement)
      await this.query(client, notifyStatement(chunk.length), [this.channel, ...chunk])
    }
  }

  private async park(client: pg.Client, parked: Array<{ id: string; payload: string }>): Promise<void> {
    const now = Date.now()
    await this.query(
      client,
      'insert into cluster_messages (id, payload, created_at) select id, payload, $2::bigint from json_to_recordset($1::json) as m(id text, payload text)',
      [jsonRows(parked), now],
    )
    if (now - this.lastPurge < PARKED_TTL_MS / 5) return
    this.lastPurge = now
    await this.query(client, 'delete from cluster_messages where created_at < $1', [now - PARKED_TTL_MS])
  }

  private receive(client: pg.Client, body: string): void {
    const bar = body.indexOf('|')
    if (body.slice(0, bar) === this.origin) return
    const messages = unpackFrames(body.slice(bar + 1))
    if (!messages) {
      this.options.logger?.warn('a cluster notification could not be read')
      return
    }
    this.receiving = this.receiving.then(async () => {
      for (const message of messages) {
        try {
          const payload = message.parked ? await this.readParked(client, message.payload) : message.payload
          if (payload === undefined) continue
          for (const handler of this.handlers.get(message.channel) ?? []) handler(payload)
        } catch (err) {
          this.options.logger?.warn({ err, channel: message.channel }, 'cluster message could not be read')
        }
      }
    })
  }

  private async readParked(client: pg.Client, id: string): Promise<string | undefined> {
    const { rows } = await this.query<{ payload: string }>(client, 'select payload from cluster_messages where id = $1', [id])
    return rows[0]?.payload
  }

  private connect(): Promise<void> {
    this.connecting ??= this.openClient().finally(() => {
      this.connecting = null
    })
    return this.connecting
  }

  private async openClient(): Promise<void> {
    const client = channelClient(this.connectionString, this.options.schema)
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.receive(client, message.payload ?? '')
    })
    client.on('error', (err) => this.lost(client, err))
    client.on('end', () => this.lost(client))
    try {
      await client.connect()
      if (this.closing) {
        await client.end().catch(() => {})
        return
      }
      // In use from here: a hello may come as soon as the lock is held, and is answered through it.
      this.client = client
      this.memberPid = (await this.query<{ pid: number }>(client, 'select pg_backend_pid() as pid')).rows[0]!.pid
      await this.query(client, `listen "${this.channel}"`)
      await this.query(client, JOIN_MEMBERSHIP, [this.membershipKey])
      await this.join(client)
    } catch (err) {
      if (this.client === client) this.client = null
      client.end().catch(() => {})
      throw err
    }
  }

  /**
   * Listening and holding the membership lock: looks at who else does, and says hello to them.
   * Resolves once each has answered (from then on none of them believes itself alone) or gone,
   * or after HELLO_WAIT_MS for one that does neither (its process is stuck).
   */
  private async join(client: pg.Client): Promise<void> {
    const others = await this.look(client)
    if (others.length === 0) return
    const greeting = new Greeting(others)
    this.greeting = greeting
    let timedOut = false
    const giveUp = setTimeout(() => {
      timedOut = true
      greeting.giveUp()
    }, HELLO_WAIT_MS)
    const lookAgain = setInterval(() => {
      this.look(client).then(
        (present) => greeting.stillThere(present),
        () => greeting.giveUp(),
      )
    }, HELLO_LOOK_MS)
    try {
      await this.sendBatch(client, [{ channel: HELLO, payload: this.origin }])
      await greeting.done
    } finally {
      clearTimeout(giveUp)
      clearInterval(lookAgain)
      this.greeting = null
    }
    if (timedOut) this.options.logger?.warn({ unanswered: greeting.waitingFor }, 'cluster instances did not answer hello in time')
  }

  /** Another instance joined: this one is not alone from now on, and tells it so. */
  private welcome(origin: string): void {
    this.belief.notAlone()
    this.send(WELCOME, `${origin} ${this.memberPid}`)
  }

  private answered(answer: string): void {
    const [origin, member] = answer.split(' ')
    if (origin === this.origin) this.greeting?.answered(Number(member))
  }

  /** Every MEMBERS_LOOK_MS: finds instances gone (and, as a backstop, instances come). */
  private lookAtMembers(): void {
    const client = this.client
    // A failing connection is for `lost` to deal with.
    if (client && !this.greeting) this.look(client).catch(() => {})
  }

  /** The backends of the other instances holding the membership lock (see `MembershipBelief.look`). */
  private look(client: pg.Client): Promise<number[]> {
    return this.belief.look(async () => {
      const { rows } = await this.query<{ pid: number }>(client, OTHER_MEMBERS, [this.membershipKey])
      return rows.map((row) => row.pid)
    })
  }

  /** The listening connection died (database restarted, network cut): reconnect until it is back. */
  private lost(client: pg.Client, err?: Error): void {
    if (this.client !== client) return
    this.client = null
    this.belief.notAlone()
    this.greeting?.giveUp()
    if (this.closing) return
    // Not under `err`: the logger files unreachable-database errors at debug level.
    this.options.logger?.warn({ reason: err?.message ?? 'connection ended' }, 'cluster channel lost; reconnecting')
    this.reconnectLater()
  }

  private reconnectLater(): void {
    if (this.closing || this.reconnectTimer) return
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
