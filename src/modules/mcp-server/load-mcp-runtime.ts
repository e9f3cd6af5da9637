// The MCP SDK's server side weighs several megabytes of memory (its zod message schemas, the
// HTTP framework of its transport): it is loaded on the first MCP request, so an instance nobody
// uses as an MCP server never holds it.
type McpRuntime = typeof import('./mcp-runtime.js')

let loading: Promise<McpRuntime> | undefined

export function loadMcpRuntime(): Promise<McpRuntime> {
  loading ??= import('./mcp-runtime.js')
  return loading
}
