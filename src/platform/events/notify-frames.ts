// How many cluster messages share one NOTIFY payload: each message is framed as
// `<kind><channel> <length> <payload>` (the length in characters, so payloads need no escaping),
// frames are concatenated in order, and a payload holds as many whole frames as fit its limit.
// A message whose payload is parked in the database travels as its reference (kind `@`).

export interface ClusterMessage {
  channel: string
  payload: string
  /** The payload is the id of a parked message, to be read from the database. */
  parked?: boolean
}

/** The bytes a NOTIFY payload may have, below PostgreSQL's limit (8000) with room to spare. */
export const NOTIFY_PAYLOAD_LIMIT = 7900

export function frameOf(message: ClusterMessage): string {
  return `${message.parked ? '@' : '='}${message.channel} ${message.payload.length} ${message.payload}`
}

/**
 * Packs frames, in order, into as few payloads as possible, each at most `limit` bytes long
 * after `prefix`. A frame that alone exceeds the limit throws: its message should have been parked.
 */
export function packFrames(frames: readonly string[], prefix: string, limit = NOTIFY_PAYLOAD_LIMIT): string[] {
  const payloads: string[] = []
  const room = limit - Buffer.byteLength(prefix)
  let current = ''
  let size = 0
  for (const frame of frames) {
    const bytes = Buffer.byteLength(frame)
    if (bytes > room) throw new Error(`a cluster message of ${bytes} bytes does not fit a notification`)
    if (size + bytes > room) {
      payloads.push(prefix + current)
      current = ''
      size = 0
    }
    current += frame
    size += bytes
  }
  if (current !== '') payloads.push(prefix + current)
  return payloads
}

/** The messages of a payload's frames (after its prefix), in order; undefined when it is malformed. */
export function unpackFrames(text: string): ClusterMessage[] | undefined {
  const messages: ClusterMessage[] = []
  let at = 0
  while (at < text.length) {
    const kind = text[at]
    const space = text.indexOf(' ', at)
    const lengthEnd = space < 0 ? -1 : text.indexOf(' ', space + 1)
    const length = Number(text.slice(space + 1, lengthEnd))
    if ((kind !== '=' && kind !== '@') || lengthEnd < 0 || !Number.isInteger(length) || lengthEnd + 1 + length > text.length) return undefined
    const payload = text.slice(lengthEnd + 1, lengthEnd + 1 + length)
    messages.push({ channel: text.slice(at + 1, space), payload, ...(kind === '@' && { parked: true }) })
    at = lengthEnd + 1 + length
  }
  return messages
}
