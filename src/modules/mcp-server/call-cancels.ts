// Cancelling a tool call whose request is held elsewhere. A stateless Streamable HTTP server
// sees a client's `notifications/cancelled` in a request of its own, possibly on another
// instance; the call is found by the client's correlation id (the Mcp-Session-Id the gateway
// handed out, which no instance stores) and its request id, here or through the cluster channel.
import type { ClusterChannel } from '../../platform/events/cluster-channel.js'

const CHANNEL = 'mcp_cancel'

export class CallCancels {
  private readonly calls = new Map<string, AbortController>()

  constructor(private readonly cluster: ClusterChannel) {
    cluster.on(CHANNEL, (key) => this.abortHere(key))
  }

  /** A signal aborted when the client cancels this call; `release` once the call has been answered. */
  track(correlationId: string, requestId: string | number): { signal: AbortSignal; release(): void } {
    const key = keyOf(correlationId, requestId)
    const controller = new AbortController()
    this.calls.set(key, controller)
    return { signal: controller.signal, release: () => this.calls.get(key) === controller && this.calls.delete(key) }
  }

  cancel(correlationId: string, requestId: string | number): void {
    const key = keyOf(correlationId, requestId)
    if (!this.abortHere(key)) this.cluster.send(CHANNEL, key)
  }

  private abortHere(key: string): boolean {
    const controller = this.calls.get(key)
    if (!controller) return false
    this.calls.delete(key)
    controller.abort(new Error('cancelled by the client'))
    return true
  }
}

function keyOf(correlationId: string, requestId: string | number): string {
  return JSON.stringify([correlationId, requestId])
}
