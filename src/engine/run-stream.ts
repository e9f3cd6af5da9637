// Reads one run's events for a streaming client: what is stored after its cursor, then the
// live tail, in seq order with no gaps and no duplicates, ending after the final event.
import type { RunEventHub } from './run-event-hub.js'
import type { RunEventLog } from './run-event-log.js'
import { isFinalEvent, isTerminal, type RunEvent } from './run-events.js'
import type { RunsRepo } from './runs.repo.js'

export interface RunStreamHandlers {
  /** The next events, in order; several at once when they were stored together. */
  onEvents(events: readonly RunEvent[]): void
  /** The final event was delivered (or the run had already ended with nothing left to send). */
  onEnd(): void
  onError(err: unknown): void
  /** Lets a replay wait while the reader's socket is backed up, instead of flooding it. */
  waitForRoom?(): Promise<void>
}

const PAGE = 500

export class RunStreams {
  constructor(private readonly deps: { log: RunEventLog; hub: RunEventHub; repo: RunsRepo }) {}

  /** Starts delivering events with seq > `afterSeq`; returns a function that stops it. */
  open(runId: string, afterSeq: number, handlers: RunStreamHandlers): () => void {
    return new RunStreamReader(runId, afterSeq, handlers, this.deps).start()
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
    private readonly handlers: RunStreamHandlers,
    private readonly deps: { log: RunEventLog; hub: RunEventHub; repo: RunsRepo },
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
      this.handlers.onEnd()
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
        await this.handlers.waitForRoom?.()
      }
      if (first && !this.done) await this.endIfLogIsGone()
    } catch (err) {
      if (!this.done) {
        this.stop()
        this.handlers.onError(err)
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
      this.handlers.onEnd()
      return
    }
    const stored = await this.deps.log.readAfter(this.runId, this.cursor, 1)
    if (stored.length > 0) return
    // The events before the final one are gone for good: the rebuilt final event comes next.
    this.cursor = run.lastSeq - 1
    this.deliver([finalEventOf(run.id, run.lastSeq, run.endedAt ?? run.updatedAt, run)])
  }

  /**
   * Hands over the events (in ascending seq) that continue the sequence, skipping those already
   * delivered; stops after the final one. Events past a gap are held back until the log fills the gap in.
   */
  private deliver(events: readonly RunEvent[]): void {
    if (this.done) return
    let start = 0
    while (start < events.length && events[start]!.seq <= this.cursor) start++
    let end = start
    while (end < events.length && events[end]!.seq === this.cursor + 1 + (end - start)) {
      if (isFinalEvent(events[end++]!)) break
    }
    if (end > start) {
      // Usually the whole publish is next: keep the very array, so every reader shares one frame.
      const next = start === 0 && end === events.length ? events : events.slice(start, end)
      this.cursor = next.at(-1)!.seq
      this.handlers.onEvents(next)
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

function finalEventOf(
  runId: string,
  seq: number,
  at: number,
  run: {
    status: string
    output: string
    error: string | null
    exitCode: number | null
    severity: string | null
    startedAt: number | null
    createdAt: number
    timeoutMs: number
  },
): RunEvent {
  const durationMs = at - (run.startedAt ?? run.createdAt)
  const base = { runId, seq, at }
  switch (run.status) {
    case 'completed':
      return {
        ...base,
        type: 'run.completed',
        data: { output: run.output, exitCode: 0, durationMs, severity: (run.severity ?? 'success') as 'success' },
      }
    case 'cancelled':
      return { ...base, type: 'run.cancelled', data: { output: run.output, durationMs } }
    case 'timed_out':
      return { ...base, type: 'run.timed_out', data: { output: run.output, durationMs, timeoutMs: run.timeoutMs } }
    default:
      return { ...base, type: 'run.failed', data: { error: run.error ?? 'failed', output: run.output, exitCode: run.exitCode ?? 1, durationMs } }
  }
}
