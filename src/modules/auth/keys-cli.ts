// `conductor-gateway keys create --role ROLE [--name NAME] [--label TEXT]`, `keys list`,
// `keys revoke ID`: API keys managed from the machine the gateway runs on.
import type { ApiKeys } from './api-keys.js'
import { isAppError } from '../../platform/http/errors.js'

export interface KeysCommandInput {
  action: string | undefined
  id: string | undefined
  role: string | undefined
  name: string | undefined
  label: string | undefined
}

export interface Output {
  out(line: string): void
  err(line: string): void
}

/** The exit code: 0 done, 1 nothing to revoke, 2 bad usage. */
export async function keysCommand(keys: ApiKeys, input: KeysCommandInput, io: Output): Promise<number> {
  switch (input.action) {
    case 'create': {
      if (!input.role) {
        io.err('keys create needs --role (admin, user, watcher or mcp-sidecar)')
        return 2
      }
      try {
        const { key, record } = await keys.create({
          role: input.role,
          ...(input.name && { name: input.name }),
          ...(input.label && { label: input.label }),
        })
        io.out(`created ${record.id} (role ${record.role}${record.boundName ? `, MCP server ${record.boundName}` : ''})`)
        io.out(`key: ${key}`)
        io.out('This is the only time the key is shown: store it now.')
        return 0
      } catch (err) {
        if (!isAppError(err)) throw err
        io.err(err.message)
        return 2
      }
    }
    case 'list': {
      const all = await keys.list()
      if (all.length === 0) io.out('no keys')
      for (const k of all) {
        const state = k.revokedAt ? `revoked ${new Date(k.revokedAt).toISOString()}` : 'active'
        const used = k.lastUsedAt ? new Date(k.lastUsedAt).toISOString() : 'never'
        const bound = k.boundName ? ` name=${k.boundName}` : ''
        const label = k.label ? ` label=${JSON.stringify(k.label)}` : ''
        io.out(`${k.id}  ${k.prefix}…  role=${k.role}${bound}${label}  created=${new Date(k.createdAt).toISOString()}  last_used=${used}  ${state}`)
      }
      return 0
    }
    case 'revoke': {
      if (!input.id) {
        io.err('keys revoke needs the key id (see keys list)')
        return 2
      }
      if (await keys.revoke(input.id)) {
        io.out(`revoked ${input.id}`)
        return 0
      }
      io.err(`no active key ${input.id}`)
      return 1
    }
    default:
      io.err(`keys needs an action: create, list or revoke${input.action ? ` (not '${input.action}')` : ''}`)
      return 2
  }
}
