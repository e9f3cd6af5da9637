// The legacy HTTP+SSE transport's sessions (GET /sse + POST /messages?sessionId=). A session's
// stream lives on the instance that opened it; a POST landing on another instance is relayed to it
// over the cluster channel, and the holder acknowledges. No acknowledgement in time means no
// instance holds the session (404). A session belongs to the caller who opened it: its tools were
// chosen for that caller's roles, so messages from anyone else are treated as for no session.
import { randomUUID } from 'node:crypto'
import type { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { loadMcpRuntime } from './load-mcp-runtime.js'
import type { ClusterChannel } from '../../platform/events/cluster-channel.js'

const RELAY = 'mcp_sse_relay'
const ACK = 'mcp_sse_ack'

interface Relayed {
  relayId: string
  sessionId: string
  owner: string
  message: JSONRPCMessage
}

interface Session {
  transport: SSEServerTransport
  /** The opener's principal subject. */
  owner: string
}

export class LegacySseSessions {
  private readonly sessions = new Map<string, Session>()
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

  add(transport: SSEServerTransport, owner: string): void {
    this.sessions.set(transport.sessionId, { transport, owner })
  }

  remove(sessionId: string): void {
    this.sessions.delete(sessionId)
  }

  /** Every session's stream, for shutdown. */
  all(): SSEServerTransport[] {
    return [...this.sessions.values()].map((session) => session.transport)
  }

  /** Hands the message to the session wherever its stream is; false when no instance holds it for `owner`. */
  async deliver(sessionId: string, message: JSONRPCMessage, owner: string, headers: Record<string, string | string[] | undefined>): Promise<boolean> {
    const local = this.sessions.get(sessionId)
    if (local) {
      if (local.owner !== owner) return false
      await local.transport.handleMessage(message, { requestInfo: { headers } })
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
    this.cluster.send(RELAY, JSON.stringify({ relayId, sessionId, owner, message } satisfies Relayed))
    return acknowledged
  }

  private async receive(payload: string): Promise<void> {
    let relayed: Relayed
    try {
      const { JSONRPCMessageSchema } = await loadMcpRuntime()
      const raw = JSON.parse(payload) as Relayed
      relayed = {
        relayId: String(raw.relayId),
        sessionId: String(raw.sessionId),
        owner: String(raw.owner),
        message: JSONRPCMessageSchema.parse(raw.message),
      }
    } catch {
      return
    }
    const session = this.sessions.get(relayed.sessionId)
    if (!session || session.owner !== relayed.owner) return
    this.cluster.send(ACK, relayed.relayId)
    await session.transport.handleMessage(relayed.message).catch(() => {})
  }
}
