// Headline events the web client's news feed shows, derived from one Claude CLI stream-json
// object (original-gateway.md §4.2): agent_init, agent_tool_use, agent_result.
import type { Frame } from '../platform/events/frame.js'

type Json = Record<string, unknown>

export function claudeNews(event: unknown, context: Json): Frame[] {
  if (typeof event !== 'object' || event === null) return []
  const e = event as Json
  const base = { ...context, level: 'news' }
  if (e.type === 'system' && e.subtype === 'init') {
    const servers = Array.isArray(e.mcp_servers) ? (e.mcp_servers as Json[]) : []
    return [
      {
        type: 'agent_init',
        data: {
          ...base,
          tools_count: Array.isArray(e.tools) ? e.tools.length : 0,
          mcp_servers: servers.filter((s) => s.status === 'connected').map((s) => String(s.name)),
        },
      },
    ]
  }
  if (e.type === 'assistant') {
    const content = ((e.message as Json | undefined)?.content ?? []) as Json[]
    return (Array.isArray(content) ? content : [])
      .filter((block) => block?.type === 'tool_use')
      .map((block) => ({
        type: 'agent_tool_use',
        data: {
          ...base,
          tool: typeof block.name === 'string' ? block.name : '?',
          tool_id: String(block.id ?? '').slice(0, 12),
          input_keys: typeof block.input === 'object' && block.input !== null ? Object.keys(block.input) : [],
        },
      }))
  }
  if (e.type === 'result') {
    return [
      {
        type: 'agent_result',
        data: {
          ...base,
          subtype: e.subtype ?? '?',
          duration_ms: e.duration_ms ?? 0,
          num_turns: e.num_turns ?? 0,
          cost_usd: e.total_cost_usd ?? 0,
        },
      },
    ]
  }
  return []
}
