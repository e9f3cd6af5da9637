// The one message shape of every WebSocket and of the Conductor watcher's callbacks:
// `{type, data}` (the web client's frames add a `timestamp` when sent).

export interface Frame {
  type: string
  data: Record<string, unknown>
}

/** A `{type, data}` object from JSON text (`data` defaults to `{}`); undefined for anything else. */
export function parseFrame(text: string): Frame | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { type, data = {} } = value as { type?: unknown; data?: unknown }
  if (typeof type !== 'string' || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined
  return { type, data: data as Record<string, unknown> }
}
