// An mcp-sidecar credential is bound to one MCP server name: it may register and heartbeat that
// name only. Routes under /mcp/register and /mcp/heartbeat call this with the name in the body.
import { ForbiddenError } from '../../platform/http/errors.js'
import type { Principal } from './principal.js'

export function assertMayActFor(principal: Principal | undefined, name: string): void {
  if (!principal) throw new ForbiddenError('No credentials: an MCP server may be registered only with a key')
  if (principal.roles.includes('admin')) return
  if (!principal.roles.includes('mcp-sidecar')) throw new ForbiddenError('Only admin or mcp-sidecar credentials may register MCP servers')
  if (principal.boundName !== name) {
    throw new ForbiddenError(`This mcp-sidecar credential may act only for the MCP server '${principal.boundName ?? '(none)'}', not '${name}'`)
  }
}
