// Streams one run's events to an HTTP client as SSE, in a given wire format, resuming after a
// cursor. Frames are built once per event and format, then shared by every reader.
import type { FastifyReply } from 'fastify'
import type { RunEvent } from '../../engine/run-events.js'
import type { Runs } from '../../engine/runs.js'
import { SseStream, type SseHeartbeat, type SseOptions } from '../../platform/http/sse.js'

/** How a stream format writes a run's events: the bytes for a batch of them, or null to skip it. */
export interface FrameFormat {
  framesOf(events: readonly RunEvent[]): Buffer | null
}

export interface RunSseDeps {
  runs: Pick<Runs, 'follow' | 'find'>
  heartbeat: SseHeartbeat
  options: SseOptions
}

/**
 * A format from a per-event frame function (null skips the event). Each event's frame is built
 * once, however many readers it goes to; readers that are caught up all receive the same events
 * array, so the bytes of a batch are joined once per publish, not once per reader.
 */
export function cachedFormat(format: (event: RunEvent) => string | null): FrameFormat {
  const byEvent = new WeakMap<RunEvent, Buffer | null>()
  const byBatch = new WeakMap<readonly RunEvent[], Buffer | null>()
  const frameOf = (event: RunEvent): Buffer | null => {
    let frame = byEvent.get(event)
    if (frame === undefined) {
      const text = format(event)
      frame = text === null ? null : Buffer.from(text)
      byEvent.set(event, frame)
    }
    return frame
  }
  return {
    framesOf(events) {
      if (events.length === 1) return frameOf(events[0]!)
      let joined = byBatch.get(events)
      if (joined === undefined) {
        const frames = events.map(frameOf).filter((frame): frame is Buffer => frame !== null)
        joined = frames.length === 0 ? null : Buffer.concat(frames)
        byBatch.set(events, joined)
      }
      return joined
    },
  }
}

export function streamRun(reply: FastifyReply, deps: RunSseDeps, runId: string, afterSeq: number, format: FrameFormat): void {
  const stream = SseStream.open(reply, deps.options, deps.heartbeat)
  const stop = deps.runs.follow(runId, afterSeq, {
    onEvents: (events) => {
      const frame = format.framesOf(events)
      if (frame !== null) stream.write(frame)
    },
    onEnd: () => stream.close(),
    waitForRoom: () => stream.waitForRoom(),
    onError: (err) => {
      reply.log.error({ err, runId }, 'run stream failed')
      stream.close()
    },
  })
  stream.onClose(stop)
}
