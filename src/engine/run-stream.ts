// The read side of runs for live readers: one run's events (what is stored after a cursor, then
// the live tail, in seq order with no gaps and no duplicates, ending after the final event),
// every run's events as they come, and waiting for a run to end.
import { NotFoundError } from '../platform/http/errors.js'
import type { Run } from './run.js'
import { finalEventOf } from './run-ending.js'
import type { RunEventHub } from './run-event-hub.js'
import type { RunEventLog } from './run-event-log.js'
import { isFinalEvent, isTerminal, type RunEvent } from './run-events.js'
import type { RunRecorder } from './run-recorder.js'
import type { RunsRepo } from './runs.repo.js'
import type { RunReader } from './runs.js'

const PAGE = 500

interface StreamDeps {
  log: RunEventLog
  hub: RunEventHub
  repo: RunsRepo
  recorder: Pick<RunRecorder, 'recentlyEnded'>
}

export class RunStreams {
  /** Requests waiting for a run's end: shutdown answers them, and waits until they have read the run. */
  private readonly waiters = new Set<{ runId: string; release(): void; done: Promise<unknown> }>()
  private releasing = false

  constructor(private readonly deps: StreamDeps) {}

  /** Starts delivering events with seq > `afterSeq`; returns a function that stops it. */
  follow(runId: string, afterSeq: number, reader: RunReader): () => void {
    return new RunStreamReader(runId, afterSeq, reader, this.deps).start()
  }

  followAll(listener: (events: readonly RunEvent[]) => void): () => void {
    return this.deps.hub.subscribeAll(listener)
  }

  /**
   * Resolves with the run once it has ended, or as it is after `timeoutMs` or when the gateway
   * stops (see `release`); 404 for an unknown run. A run object given (as stored, at some point)
   * saves reading whether it exists.
   */
  waitForEnd(run: Run | string, timeoutMs: number): Promise<Run> {
    const id = typeof run === 'string' ? run : run.id
    // One promise for the three ways a wait ends: the run's final event, the timeout, shutdown.
    let wake = () => {}
    const woken = new Promise<void>((resolve) => (wake = resolve))
    if (this.releasing) wake()
    const waiter = { runId: id, release: wake, done: this.waitUntil(id, typeof run === 'string' ? undefined : run, timeoutMs, woken, wake) }
    this.waiters.add(waiter)
    void waiter.done.then(
      () => this.waiters.delete(waiter),
      () => this.waiters.delete(waiter),
    )
    return waiter.done as Promise<Run>
  }

  /**
   * Shutdown: waiters answer now with the run as it is, except those `keep` holds back (runs this
   * process may still end); from now on a new waiter does not wait.
   */
  release(keep: (runId: string) => boolean = () => false): void {
    this.releasing = true
    for (const waiter of this.waiters) if (!keep(waiter.runId)) waiter.release()
  }

  /** Resolves once every released waiter has read its run (before the database closes). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.waiters].map((waiter) => waiter.done))
  }

  private async waitUntil(id: string, known: Run | undefined, timeoutMs: number, woken: Promise<void>, wake: () => void): Promise<Run> {
    const unsubscribe = this.deps.hub.subscribe(id, (events) => {
      if (events.some(isFinalEvent)) wake()
    })
    let timer: NodeJS.Timeout | undefined
    try {
      // Ended here while the caller was on its way (its end event went out before we subscribed)?
      const status = this.deps.recorder.recentlyEnded(id)?.status ?? known?.status ?? (await this.deps.repo.statusOf(id))
      if (status === undefined) throw new NotFoundError(`Run '${id}' not found`)
      if (!isTerminal(status)) {
        timer = setTimeout(wake, timeoutMs)
        await woken
      }
      const run = this.deps.recorder.recentlyEnded(id) ?? (await this.deps.repo.get(id))
      if (!run) throw new NotFoundError(`Run '${id}' not found`)
      return run
    } finally {
      clearTimeout(timer)
      unsubscribe()
    }
  }
}

class RunStreamReader {
  private cursor: number
  private catchingUp = false
  private held: RunEvent[] = []
  private done = false
  private unsubscribe: () => void = () => {}

  constructor(
    private readonly runId: string,
    afterSeq: number,
    private readonly reader: RunReader,
    private readonly deps: StreamDeps,
  ) {
    this.cursor = afterSeq
  }

  start(): () => void {
    this.unsubscribe = this.deps.hub.subscribe(this.runId, (events) => this.receive(events))
    void this.catchUp(true)
    return () => this.stop()
  }

  /**
   * After the final event: the reader takes nothing more at once, and the bookkeeping waits for
   * the end of this turn, so a final event reaches every reader before any is closed.
   */
  private finish(): void {
    this.done = true
    setImmediate(() => {
      this.stop()
      this.reader.onEnd()
    })
  }

  private stop(): void {
    this.done = true
    this.unsubscribe()
    this.held = []
  }

  private receive(events: readonly RunEvent[]): void {
    if (this.done) return
    // While the log is being read, live events wait; the catch-up hands them over after it.
    if (this.catchingUp) this.held.push(...events)
    else this.deliver(events)
  }

  private async catchUp(first: boolean): Promise<void> {
    this.catchingUp = true
    try {
      for (;;) {
        const page = await this.deps.log.readAfter(this.runId, this.cursor, PAGE)
        if (this.done) return
        this.deliver(page)
        if (page.length < PAGE) break
        await this.reader.waitForRoom?.()
      }
      if (first && !this.done) await this.endIfLogIsGone()
    } catch (err) {
      if (!this.done) {
        this.stop()
        this.reader.onError(err)
      }
      return
    } finally {
      this.catchingUp = false
    }
    // The same event may have been held twice (live, and past a gap); hand each over once.
    const held = this.held.sort((a, b) => a.seq - b.seq).filter((event, i, all) => i === 0 || event.seq !== all[i - 1]!.seq)
    this.held = []
    if (held.length > 0) this.receive(held)
  }

  /**
   * A finished run ends the stream even when there is nothing left to send: the reader already
   * had everything, or the log was purged after retention (then the final event is rebuilt).
   */
  private async endIfLogIsGone(): Promise<void> {
    const run = await this.deps.repo.get(this.runId)
    if (!run || this.done || !isTerminal(run.status)) return
    if (this.cursor >= run.lastSeq) {
      this.stop()
      this.reader.onEnd()
      return
    }
    const stored = await this.deps.log.readAfter(this.runId, this.cursor, 1)
    if (stored.length > 0) return
    // The events before the final one are gone for good: the rebuilt final event comes next.
    this.cursor = run.lastSeq - 1
    this.deliver([{ ...finalEventOf(run), runId: run.id, seq: run.lastSeq, at: run.endedAt ?? run.updatedAt } as RunEvent])
  }

  /**
   * Hands over the events (in ascending seq) that continue the sequence, skipping those already
   * delivered; stops after the final one. Events past a gap are held back until the log fills the gap in.
   */
  private deliver(events: readonly RunEvent[]): void {
    if (this.done) return
    let start = 0
    while (start < events.length && events[start]!.seq <= this.cursor) {
      // A reader whose cursor claims to be past the end still learns that the run has ended.
      if (isFinalEvent(events[start++]!)) {
        this.finish()
        return
      }
    }
    let end = start
    while (end < events.length && events[end]!.seq === this.cursor + 1 + (end - start)) {
      if (isFinalEvent(events[end++]!)) break
    }
    if (end > start) {
      // Usually the whole publish is next: keep the very array, so every reader shares one frame.
      const next = start === 0 && end === events.length ? events : events.slice(start, end)
      this.cursor = next.at(-1)!.seq
      this.reader.onEvents(next)
      if (isFinalEvent(next.at(-1)!)) {
        this.finish()
        return
      }
    }
    if (end < events.length && events[end]!.seq > this.cursor + 1) {
      this.held.push(...events.slice(end))
      if (!this.catchingUp) void this.catchUp(false)
    }
  }
}
