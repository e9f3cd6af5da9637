// Streams one run's events to an HTTP client as SSE, in a given wire format, resuming after a
// cursor. Frames are built once per event and format, then shared by every reader.
import type { FastifyReply } from 'fastify'
import type { RunStreams } from '../engine/run-stream.js'
import type { RunEvent } from '../engine/run-events.js'
import { SseStream, type SseHeartbeat, type SseOptions } from './sse.js'

/** Turns an event into its frame, or null to skip it in this format. */
export type FrameFormat = (event: RunEvent) => string | Buffer | null

export interface RunSseDeps {
  streams: RunStreams
  heartbeat: SseHeartbeat
  options: SseOptions
}

/** Builds each event's frame once, as bytes, however many readers it goes to. */
export function cachedFormat(format: (event: RunEvent) => string | null): FrameFormat {
  const cache = new WeakMap<RunEvent, Buffer | null>()
  return (event) => {
    let frame = cache.get(event)
    if (frame === undefined) {
      const text = format(event)
      frame = text === null ? null : Buffer.from(text)
      cache.set(event, frame)
    }
    return frame
  }
}

/**
 * The frames of one delivery as one buffer. Readers that are caught up all receive the same
 * events array, so the buffer is built once per publish, not once per reader.
 */
function framesOf(events: readonly RunEvent[], format: FrameFormat, cache: WeakMap<readonly RunEvent[], Buffer | null>): Buffer | string | null {
  if (events.length === 1) return format(events[0]!)
  let joined = cache.get(events)
  if (joined === undefined) {
    const frames = events.map(format).filter((frame): frame is string | Buffer => frame !== null)
    joined = frames.length === 0 ? null : Buffer.concat(frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : f)))
    cache.set(events, joined)
  }
  return joined
}

const joinedFrames = new WeakMap<FrameFormat, WeakMap<readonly RunEvent[], Buffer | null>>()

export function streamRun(
  reply: FastifyReply,
  deps: RunSseDeps,
  runId: string,
  afterSeq: number,
  format: FrameFormat,
  /** Written after the final event, before the stream closes (e.g. a named end event). */
  trailer?: string,
): void {
  const stream = SseStream.open(reply, deps.options, deps.heartbeat)
  let cache = joinedFrames.get(format)
  if (!cache) joinedFrames.set(format, (cache = new WeakMap()))
  const stop = deps.streams.open(runId, afterSeq, {
    onEvents: (events) => {
      const frame = framesOf(events, format, cache)
      if (frame !== null) stream.write(frame)
    },
    onEnd: () => {
      if (trailer) stream.write(trailer)
      stream.close()
    },
    waitForRoom: () => stream.waitForRoom(),
    onError: (err) => {
      reply.log.error({ err, runId }, 'run stream failed')
      stream.close()
    },
  })
  stream.onClose(stop)
}
