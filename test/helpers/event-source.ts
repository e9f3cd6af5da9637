// A browser's EventSource, as far as reconnecting goes (HTML Living Standard, "Server-sent
// events"), over real HTTP for tests: whenever a response ends it connects again after the
// server's `retry:` delay, sending the last event id it saw; a 204 (or any answer other than
// 200) fails the connection for good. It also stops after `maxConnections`, so a server that
// keeps inviting reconnects shows up as a limit reached instead of a hung test.
import { openSse } from './sse-client.js'

export interface EventSourceMessage {
  /** `message` for unnamed events, else the `event:` name. */
  type: string
  data: string
  lastEventId: string
}

export interface EventSourceRun {
  messages: EventSourceMessage[]
  /** The status of every connection made, in order. */
  statuses: number[]
  /** `closed`: the server stopped it (a non-200 answer); `limit`: it was still reconnecting. */
  stoppedBy: 'closed' | 'limit'
}

export async function followEventSource(url: string, options: { maxConnections?: number } = {}): Promise<EventSourceRun> {
  const maxConnections = options.maxConnections ?? 5
  const messages: EventSourceMessage[] = []
  const statuses: number[] = []
  let lastEventId = ''
  let retryMs = 3000
  while (statuses.length < maxConnections) {
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' }
    if (lastEventId !== '') headers['last-event-id'] = lastEventId
    const session = await openSse(url, { headers })
    statuses.push(session.status)
    if (session.status !== 200) {
      session.abort()
      return { messages, statuses, stoppedBy: 'closed' }
    }
    await session.done
    for (const frame of session.frames) {
      if (frame.retry !== undefined) retryMs = frame.retry
      if (frame.id !== undefined) lastEventId = frame.id
      if (frame.comment === undefined && frame.data !== '') messages.push({ type: frame.event ?? 'message', data: frame.data, lastEventId })
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs))
  }
  return { messages, statuses, stoppedBy: 'limit' }
}
