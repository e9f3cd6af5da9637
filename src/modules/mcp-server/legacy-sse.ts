// The legacy HTTP+SSE transport's sessions (GET /sse + POST /messages?sessionId=). A session's
// stream lives on the instance that opened it; a POST landing on another instance is relayed to it
// over the cluster channel, and the holder acknowledges. No acknowledgement in time means no
// instance holds the session (404).
import { randomUUID } from 'node:crypto'
import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js'
import type { ClusterChannel } from '../../platform/events/cluster-channel.js'

const RELAY = 'mcp_sse_relay'
const ACK = 'mcp_sse_ack'

interface Relayed {
  relayId: string
  sessionId: string
  message: JSONRPCMessage
}

export class LegacySseSessions {
  private readonly sessions = new Map<string, SSEServerTransport>()
  private readonly waiting = new Map<string, () => void>()

  constructor(
    private readonly cluster: ClusterChannel,
    /** Whether other instances may hold sessions (false on the embedded profile: nothing to ask). */
    private readonly clustered: boolean,
    private readonly ackTimeoutMs = 3_000,
  ) {
    cluster.on(RELAY, (payload) => void this.receive(payload))
    cluster.on(ACK, (relayId) => this.waiting.get(relayId)?.())
  }

  add(transport: SSEServerTransport): void {
    this.sessions.set(transport.sessionId, transport)
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId)
  }

  /** Every session's stream, for shutdown. */
  all(): SSEServerTransport[] {
    return [...this.sessions.values()]
  }

  /** Hands the message to the session wherever its stream is; false when no instance holds it. */
  async deliver(sessionId: string, message: JSONRPCMessage, headers: Record<string, string | string[] | undefined>): Promise<boolean> {
    const local = this.sessions.get(sessionId)
    if (local) {
      await local.handleMessage(message, { requestInfo: { headers } })
      return true
    }
    if (!this.clustered) return false
    const relayId = randomUUID()
    const acknowledged = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(relayId)
        resolve(false)
      }, this.ackTimeoutMs)
      this.waiting.set(relayId, () => {
        clearTimeout(timer)
        this.waiting.delete(relayId)
        resolve(true)
      })
    })
    this.cluster.send(RELAY, JSON.stringify({ relayId, sessionId, message } satisfies Relayed))
    return acknowledged
  }

  private async receive(payload: string): Promise<void> {
    let relayed: Relayed
    try {
      const raw = JSON.parse(payload) as Relayed
      relayed = { relayId: String(raw.relayId), sessionId: String(raw.sessionId), message: JSONRPCMessageSchema.parse(raw.message) }
    } catch {
      return
    }
    const transport = this.sessions.get(relayed.sessionId)
    if (!transport) return
    this.cluster.send(ACK, relayed.relayId)
    await transport.handleMessage(relayed.message).catch(() => {})
  }
}
