// Server-sent events over a hijacked Fastify reply: `retry:` hint first, a comment heartbeat
// for every open stream from one shared timer, and slow readers dropped once too much is queued
// (they reconnect with Last-Event-ID and lose nothing).
import type { FastifyReply } from 'fastify'
import { StallGuard } from './stall-guard.js'

export interface SseOptions {
  retryMs: number
  /** Bytes allowed to wait in the socket; a reader stuck over this for `stallMs` is dropped. */
  maxBufferedBytes: number
  stallMs: number
}

export class SseHeartbeat {
  private readonly streams = new Set<SseStream>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly intervalMs: number) {}

  add(stream: SseStream): void {
    this.streams.add(stream)
    if (!this.timer) {
      this.timer = setInterval(() => {
        for (const s of this.streams) s.comment('heartbeat')
      }, this.intervalMs)
      this.timer.unref()
    }
  }

  remove(stream: SseStream): void {
    this.streams.delete(stream)
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = null
    }
  }

  /** Ends every open stream (graceful shutdown). */
  closeAll(): void {
    for (const s of [...this.streams]) s.close()
  }
}

export class SseStream {
  private closed = false
  private readonly closeHandlers: Array<() => void> = []
  private readonly guard: StallGuard

  private constructor(
    private readonly reply: FastifyReply,
    options: SseOptions,
    private readonly heartbeat: SseHeartbeat,
  ) {
    this.guard = new StallGuard(options.maxBufferedBytes, options.stallMs)
  }

  /** Takes over the reply and writes the stream headers. */
  static open(reply: FastifyReply, options: SseOptions, heartbeat: SseHeartbeat): SseStream {
    const stream = new SseStream(reply, options, heartbeat)
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    // Frames are small and latency matters; (injected test requests have no real socket).
    if (typeof raw.socket?.setNoDelay === 'function') raw.socket.setNoDelay(true)
    raw.on('close', () => stream.close())
    raw.write(`retry: ${options.retryMs}\n\n`)
    heartbeat.add(stream)
    return stream
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Writes a ready-made frame (see `sseFrame`); false once the stream is closed or dropped. */
  write(frame: string): boolean {
    if (this.closed) return false
    if (!this.guard.keeps(this.reply.raw.writableLength)) {
      // Too slow: drop it rather than queue without bound; it resumes from its last event id.
      this.reply.raw.destroy()
      this.close()
      return false
    }
    this.reply.raw.write(frame)
    return true
  }

  /** Resolves once the socket has room again (or the stream closed): for paced replays. */
  waitForRoom(): Promise<void> {
    const raw = this.reply.raw
    if (this.closed || !this.guard.isOverLimit(raw.writableLength)) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        raw.off('drain', done)
        resolve()
      }
      raw.once('drain', done)
      this.onClose(done)
    })
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`)
  }

  onClose(handler: () => void): void {
    if (this.closed) handler()
    else this.closeHandlers.push(handler)
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.heartbeat.remove(this)
    if (!this.reply.raw.writableEnded) this.reply.raw.end()
    for (const handler of this.closeHandlers.splice(0)) handler()
  }
}

/** One SSE frame; `data` must not contain newlines (JSON.stringify output never does). */
export function sseFrame(fields: { id?: number | string; event?: string; data: string }): string {
  return `${fields.id === undefined ? '' : `id: ${fields.id}\n`}${fields.event ? `event: ${fields.event}\n` : ''}data: ${fields.data}\n\n`
}

/** The cursor a reconnecting reader sends: Last-Event-ID header, else `?after=`. */
export function resumeCursor(lastEventId: string | undefined, after: number | undefined): number {
  const fromHeader = lastEventId !== undefined && /^\d+$/.test(lastEventId.trim()) ? Number(lastEventId.trim()) : undefined
  return fromHeader ?? after ?? 0
}
