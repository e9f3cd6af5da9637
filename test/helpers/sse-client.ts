// A small SSE reader over real HTTP for tests: parses frames as they arrive.
export interface SseFrame {
  id?: string
  event?: string
  data: string
  /** Comment lines (heartbeats) are reported as frames with `comment`. */
  comment?: string
  retry?: number
}

export interface SseSession {
  frames: SseFrame[]
  status: number
  headers: Headers
  /** Resolves when the server ends the stream (or the session is aborted). */
  done: Promise<void>
  /** Resolves once `predicate` holds for the frames so far. */
  until(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<SseFrame[]>
  abort(): void
}

export async function openSse(url: string, init: RequestInit = {}): Promise<SseSession> {
  const controller = new AbortController()
  const res = await fetch(url, { ...init, signal: controller.signal })
  const frames: SseFrame[] = []
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of waiters) waiter()
  }
  // Set before the last notify, so a waiter whose frames never came hears that the stream ended.
  let ended = false
  const done = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    // The text of the frame under way, in pieces: a large frame is joined once, when it is complete.
    let parts: string[] = []
    let endsWithNewline = false
    const complete = (body: string) => {
      frames.push(parseFrame(body))
      parts = []
      notify()
    }
    try {
      for await (const chunk of res.body) {
        const text = decoder.decode(chunk as Uint8Array, { stream: true })
        let start = 0
        if (endsWithNewline && text.startsWith('\n')) {
          complete(parts.join('').slice(0, -1))
          start = 1
        }
        let end: number
        while ((end = text.indexOf('\n\n', start)) !== -1) {
          parts.push(text.slice(start, end))
          complete(parts.join(''))
          start = end + 2
        }
        if (start < text.length) parts.push(text.slice(start))
        endsWithNewline = parts.length > 0 && parts.at(-1)!.endsWith('\n')
      }
    } catch {
      // aborted
    } finally {
      ended = true
      notify()
    }
  })()
  return {
    frames,
    status: res.status,
    headers: res.headers,
    done,
    abort: () => controller.abort(),
    until(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(frames)) {
            cleanup()
            resolve(frames)
          } else if (ended) {
            cleanup()
            reject(new Error(`stream ended first; frames: ${JSON.stringify(frames)}`))
          }
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`timed out; frames: ${JSON.stringify(frames)}`))
        }, timeoutMs)
        const cleanup = () => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    },
  }
}

function parseFrame(text: string): SseFrame {
  const frame: SseFrame = { data: '' }
  const data: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim()
    else if (line.startsWith('id: ')) frame.id = line.slice(4)
    else if (line.startsWith('event: ')) frame.event = line.slice(7)
    else if (line.startsWith('data: ')) data.push(line.slice(6))
    else if (line.startsWith('retry: ')) frame.retry = Number(line.slice(7))
  }
  frame.data = data.join('\n')
  return frame
}

/** Frames that carry events (not comments or the retry hint). */
export function eventFrames(frames: SseFrame[]): SseFrame[] {
  return frames.filter((f) => f.event !== undefined || (f.data !== '' && f.comment === undefined))
}
