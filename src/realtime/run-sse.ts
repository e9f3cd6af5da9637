// Streams one run's events to an HTTP client as SSE, in a given wire format, resuming after a
// cursor. Frames are built once per event and format, then shared by every reader.
import type { FastifyReply } from 'fastify'
import type { RunStreams } from '../engine/run-stream.js'
import type { RunEvent } from '../engine/run-events.js'
import { SseStream, type SseHeartbeat, type SseOptions } from './sse.js'

/** Turns an event into its frame, or null to skip it in this format. */
export type FrameFormat = (event: RunEvent) => string | null

export interface RunSseDeps {
  streams: RunStreams
  heartbeat: SseHeartbeat
  options: SseOptions
}

export function cachedFormat(format: FrameFormat): FrameFormat {
  const cache = new WeakMap<RunEvent, string | null>()
  return (event) => {
    let frame = cache.get(event)
    if (frame === undefined) {
      frame = format(event)
      cache.set(event, frame)
    }
    return frame
  }
}

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
  const stop = deps.streams.open(runId, afterSeq, {
    onEvent: (event) => {
      const frame = format(event)
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
