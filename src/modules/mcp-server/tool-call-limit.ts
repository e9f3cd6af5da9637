// MCP tool calls spend the caller's work budget (limits.expensive_per_minute), the same one as the
// execute routes. Over budget, the call is answered with a JSON-RPC error on the transport it came
// by, instead of reaching its tool: the client's SDK rejects that one request with the reason and
// `data.retry_after_seconds`, while the connection, a batch's other messages and the legacy SSE
// stream go on. (An HTTP 429 would refuse a whole batch, and on the legacy transport the POST
// answer is not where the client reads responses.) Every other message passes untouched.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { Refusal } from '../../platform/http/limits.js'

/** JSON-RPC "server error" range (-32000…-32099); MCP names no code for rate limits. */
export const RATE_LIMITED = -32029

/** Puts `spend` in front of the tool calls reaching `transport`; call after the server connected to it. */
export function limitToolCalls(transport: Transport, spend: () => Refusal | undefined): void {
  const dispatch = transport.onmessage
  if (!dispatch) throw new Error('limitToolCalls needs a transport a server is connected to')
  transport.onmessage = (message, extra) => {
    const id = toolCallIdOf(message)
    const refusal = id === undefined ? undefined : spend()
    if (id === undefined || !refusal) return dispatch(message, extra)
    const answer: JSONRPCMessage = {
      jsonrpc: '2.0',
      id,
      error: { code: RATE_LIMITED, message: refusal.message, data: { retry_after_seconds: refusal.retryAfterSeconds } },
    }
    transport.send(answer, { relatedRequestId: id }).catch((err: unknown) => transport.onerror?.(err as Error))
  }
}

/** The request id of a `tools/call` request; undefined for every other message. */
function toolCallIdOf(message: JSONRPCMessage): string | number | undefined {
  return 'method' in message && message.method === 'tools/call' && 'id' in message ? message.id : undefined
}
