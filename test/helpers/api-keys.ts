// One API key per role on a test app (AUTH_MODE=api_key), as `keys create` would make them.
import type { Deps } from '../../src/deps.js'

export interface RoleKeys {
  admin: string
  user: string
  watcher: string
  sidecar: string
}

export async function createRoleKeys(deps: Deps): Promise<RoleKeys> {
  const make = async (role: string, name?: string) => (await deps.auth.keys.create({ role, ...(name && { name }) })).key
  return { admin: await make('admin'), user: await make('user'), watcher: await make('watcher'), sidecar: await make('mcp-sidecar', 'crm') }
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` })
