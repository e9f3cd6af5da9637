// What serving an MCP request takes from the MCP SDK: its transports, its message schema and the
// server built on it. Only `loadMcpRuntime` imports this module (see there).
export { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js'
export { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
export { JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js'
export { createConductorMcp } from './conductor-mcp.js'
