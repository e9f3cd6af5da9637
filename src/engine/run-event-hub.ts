// Live fan-out of run events inside this process. Events appended by this instance are
// published directly; events appended by other instances arrive through the cluster channel,
// small ones inside the message, larger ones as a (run, seq range) signal read back from the log.
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import type { RunEvent } from './run-events.js'

/**
 * Receives the events of one publish, in order (several when a write stored several, e.g. the
 * last output with the final event): a reader can send them on in one write.
 */
export type RunEventListener = (events: readonly RunEvent[]) => void

const CHANNEL = 'run_events'
/** Events whose JSON is longer than this (bytes) are signalled as a range rather than sent. */
const INLINE_EVENTS_LIMIT = 4000
/** A failed read of another instance's events is tried again: 100 ms, doubling up to 2 s, for about a minute. */
const REMOTE_READ_RETRY_MS = 100
const REMOTE_READ_RETRY_MAX_MS = 2000
const REMOTE_READ_RETRIES = 35

export interface RemoteEventReader {
  /** `toSeq` null: to the newest event. */
  readRange(runId: string, fromSeq: number, toSeq: number | null): Promise<RunEvent[]>
}

export class RunEventHub {
  private readonly byRun = new Map<string, Set<RunEventListener>>()
  private readonly everyRun = new Set<RunEventListener>()
  /** Remote reads of one run are chained so its events are delivered in order. */
  private readonly remoteReads = new Map<string, Promise<void>>()
  /** The last seq delivered of each followed run: what a lost cluster channel missed comes after it. */
  private readonly delivered = new Map<string, number>()

  constructor(private readonly cluster: ClusterChannel) {}

  /** Starts delivering other instances' events; `reader` fetches them from the shared log. */
  listenToCluster(reader: RemoteEventReader, onError: (err: unknown) => void): void {
    this.cluster.on(CHANNEL, (payload) => {
      if (payload.startsWith('[')) {
        this.receiveRemote(JSON.parse(payload) as RunEvent[])
        return
      }
      const [runId, from, to] = payload.split(' ')
      if (!runId || !from || !to) return
      this.readRemote(reader, runId, Number(from), Number(to), onError)
    })
    // Back after an outage: the followed runs' events written meanwhile were never signalled.
    this.cluster.onReconnect?.(() => {
      for (const runId of this.byRun.keys()) this.readRemote(reader, runId, (this.delivered.get(runId) ?? 0) + 1, null, onError)
    })
  }

  /** Events another instance sent along: delivered after any read of the same run still under way, without those delivered already. */
  private receiveRemote(events: readonly RunEvent[]): void {
    const runId = events[0]?.runId
    if (runId === undefined) return
    const fresh = () => events.filter((event) => event.seq > (this.delivered.get(runId) ?? 0))
    const previous = this.remoteReads.get(runId)
    if (!previous) {
      this.deliver(fresh())
      return
    }
    const next = previous
      .then(() => this.deliver(fresh()))
      .finally(() => {
        if (this.remoteReads.get(runId) === next) this.remoteReads.delete(runId)
      })
    this.remoteReads.set(runId, next)
  }

  private readRemote(reader: RemoteEventReader, runId: string, from: number, to: number | null, onError: (err: unknown) => void, attempt = 0): void {
    const previous = this.remoteReads.get(runId) ?? Promise.resolve()
    const next = previous
      .then(() => reader.readRange(runId, Math.max(from, (this.delivered.get(runId) ?? 0) + 1), to))
      .then(
        (events) => this.deliver(events),
        (err: unknown) => {
          onError(err)
          // Nothing of the range was delivered and no later signal may come (the run can end meanwhile):
          // read it again while someone follows the run, so a reader never stalls on one failed read.
          if (this.byRun.has(runId) && attempt < REMOTE_READ_RETRIES) {
            const pause = Math.min(REMOTE_READ_RETRY_MS * 2 ** attempt, REMOTE_READ_RETRY_MAX_MS)
            setTimeout(() => this.readRemote(reader, runId, from, to, onError, attempt + 1), pause).unref()
          }
        },
      )
      .finally(() => {
        if (this.remoteReads.get(runId) === next) this.remoteReads.delete(runId)
      })
    this.remoteReads.set(runId, next)
  }

  /** Delivers committed events here and sends them to the other instances (or, when large, where to read them). */
  publish(events: readonly RunEvent[]): void {
    if (events.length === 0) return
    this.deliver(events)
    if (!this.cluster.isClustered) return
    const inline = JSON.stringify(events)
    const first = events[0]!
    this.cluster.send(CHANNEL, Buffer.byteLength(inline) <= INLINE_EVENTS_LIMIT ? inline : `${first.runId} ${first.seq} ${events.at(-1)!.seq}`)
  }

  subscribe(runId: string, listener: RunEventListener): () => void {
    let listeners = this.byRun.get(runId)
    if (!listeners) this.byRun.set(runId, (listeners = new Set()))
    listeners.add(listener)
    return () => {
      listeners.delete(listener)
      if (listeners.size === 0 && this.byRun.get(runId) === listeners) {
        this.byRun.delete(runId)
        this.delivered.delete(runId)
      }
    }
  }

  subscribeAll(listener: RunEventListener): () => void {
    this.everyRun.add(listener)
    return () => this.everyRun.delete(listener)
  }

  /** Events of one publish belong to one run (one write stores one run's events). */
  private deliver(events: readonly RunEvent[]): void {
    if (events.length === 0) return
    const runId = events[0]!.runId
    if (this.byRun.has(runId)) this.delivered.set(runId, Math.max(this.delivered.get(runId) ?? 0, events.at(-1)!.seq))
    for (const listener of this.byRun.get(runId) ?? []) listener(events)
    for (const listener of this.everyRun) listener(events)
  }
}
