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

  /** Streams open now (for the metrics). */
  get size(): number {
    return this.streams.size
  }

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

/** Where frames go: the TCP socket itself when there is one, else the response (injected requests). */
type Sink = NodeJS.WritableStream & { writableLength: number }

export class SseStream {
  private closed = false
  private readonly closeHandlers: Array<() => void> = []
  private readonly guard: StallGuard
  private sink: Sink

  private constructor(
    private readonly reply: FastifyReply,
    options: SseOptions,
    private readonly heartbeat: SseHeartbeat,
  ) {
    this.guard = new StallGuard(options.maxBufferedBytes, options.stallMs)
    this.sink = reply.raw
  }

  /** Takes over the reply and writes the stream headers. */
  static open(reply: FastifyReply, options: SseOptions, heartbeat: SseHeartbeat): SseStream {
    const stream = new SseStream(reply, options, heartbeat)
    reply.hijack()
    const raw = reply.raw
    const socket = raw.socket
    const direct = typeof socket?.setNoDelay === 'function'
    // The stream ends by closing the connection, so frames need no chunked framing and can go
    // straight to the socket: one write each, no per-write HTTP bookkeeping (this is what lets
    // one process feed thousands of readers).
    if (direct) raw.useChunkedEncodingByDefault = false
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: direct ? 'close' : 'keep-alive',
      'x-accel-buffering': 'no',
    })
    raw.on('close', () => stream.close())
    raw.write(`retry: ${options.retryMs}\n\n`)
    if (direct) {
      socket!.setNoDelay(true)
      stream.sink = socket!
    }
    heartbeat.add(stream)
    return stream
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Writes a ready-made frame (see `sseFrame`); false once the stream is closed or dropped. */
  write(frame: string | Buffer): boolean {
    if (this.closed) return false
    if (!this.guard.keeps(this.sink.writableLength)) {
      // Too slow: drop it rather than queue without bound; it resumes from its last event id.
      this.reply.raw.destroy()
      this.close()
      return false
    }
    this.sink.write(frame)
    return true
  }

  /** Resolves once the socket has room again (or the stream closed): for paced replays. */
  waitForRoom(): Promise<void> {
    const sink = this.sink
    if (this.closed || !this.guard.isOverLimit(sink.writableLength)) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        sink.removeListener('drain', done)
        resolve()
      }
      sink.once('drain', done)
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
