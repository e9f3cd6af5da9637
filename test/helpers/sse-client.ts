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
  const done = (async () => {
    if (!res.body) return
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          frames.push(parseFrame(buffer.slice(0, end)))
          buffer = buffer.slice(end + 2)
          notify()
        }
      }
    } catch {
      // aborted
    } finally {
      notify()
    }
  })()
  let ended = false
  void done.then(() => (ended = true))
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
