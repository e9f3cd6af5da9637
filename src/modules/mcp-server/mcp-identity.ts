// Who the gateway's MCP server is, and whom it serves (which tools a caller gets). Kept apart from
// the server itself so that routes can name both without loading the MCP SDK (load-mcp-runtime.ts).
import type { Principal } from '../auth/principal.js'

/** The name the server announces, and the key clients' configs file it under. */
export const MCP_SERVER_NAME = 'conductor'

/** Who the server is built for: it decides which tools exist for them. */
export interface McpCaller {
  /** Admins also get the data-transfer tools (files on the gateway's host, database URLs). */
  isAdmin: boolean
}

/** The caller a request's principal makes (mode `none`: the anonymous principal, an admin like on the REST routes). */
export function mcpCallerOf(principal: Principal | undefined): McpCaller {
  return { isAdmin: principal?.roles.includes('admin') ?? false }
}
