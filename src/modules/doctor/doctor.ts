// `conductor-gateway doctor`: looks at what the gateway depends on and says what is missing and
// how to fix it. A failure is something the gateway cannot work without (an invalid setting, an
// unreachable database, a configured web root that is not there); a warning is a feature that
// will not work until it is set up (a provider without its key, a CLI not on PATH).
import { accessSync, constants, existsSync, statSync } from 'node:fs'
import path from 'node:path'
import type { Config } from '../../config.js'
import { systemClock } from '../../platform/clock.js'
import { openDatabase } from '../../platform/db/database.js'
import { migrationContext } from '../../platform/db/migrations/context.js'
import { allMigrations } from '../../platform/db/migrations/index.js'
import { outboundPolicyOf } from '../../platform/outbound.js'
import { redact } from '../backup/data-transfer.js'
import { describeTables } from '../backup/table-catalog.js'
import { registryOf } from '../mcp-registry/mcp-module.js'

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip'

export interface Check {
  status: CheckStatus
  name: string
  detail: string
  /** What to do about it (warnings and failures). */
  fix?: string
}

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv
  /** Finds an executable the way a shell would (default: PATH lookup). */
  which?: (command: string) => string | undefined
}

const KEY_ENV: Record<string, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  groq: 'GROQ_API_KEY',
  fireworks: 'FIREWORKS_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
}

export async function runDoctor(config: Config, options: DoctorOptions = {}): Promise<Check[]> {
  const which = options.which ?? ((command: string) => findOnPath(command, options.env ?? process.env))
  return [
    { status: 'ok', name: 'configuration', detail: `valid (listening on ${config.server.host}:${config.server.port})` },
    await databaseCheck(config.database.url),
    ...providerChecks(config),
    ...cliChecks(config, which),
    webRootCheck(config),
    await mcpRegistryCheck(config),
  ]
}

async function databaseCheck(url: string): Promise<Check> {
  const name = 'database'
  const shown = redact(url)
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length)
    if (file !== ':memory:' && !existsSync(file)) {
      const dir = path.dirname(path.resolve(file))
      return writable(nearestExisting(dir))
        ? { status: 'ok', name, detail: `${shown}: not created yet; the first start creates it` }
        : {
            status: 'fail',
            name,
            detail: `${shown}: cannot be created, ${nearestExisting(dir)} is not writable`,
            fix: 'point DATABASE_URL at a writable place',
          }
    }
  }
  const database = openDatabase(url, { poolSize: 1 })
  try {
    await database.ping()
    const known = Object.keys(allMigrations(migrationContext(database.dialect)))
    const tables = await describeTables(database.db, database.dialect)
    let applied: string[] = []
    try {
      applied = (await database.db.selectFrom('schema_migrations').select('name').execute()).map((row) => row.name)
    } catch {
      // no schema yet
    }
    const pending = known.filter((migration) => !applied.includes(migration))
    const unknown = applied.filter((migration) => !known.includes(migration))
    if (unknown.length > 0) {
      return {
        status: 'fail',
        name,
        detail: `${shown}: the schema is newer than this gateway (${unknown.join(', ')})`,
        fix: 'run the gateway version that migrated this database, or restore a backup made by this version',
      }
    }
    if (pending.length > 0) {
      return {
        status: 'warn',
        name,
        detail: `${shown}: reachable; ${pending.length} migration(s) pending${applied.length === 0 ? ' (empty database)' : ''}`,
        fix: '`conductor-gateway migrate` (or just start the gateway: it migrates on start)',
      }
    }
    return { status: 'ok', name, detail: `${shown}: reachable, schema up to date (${applied.length} migrations, ${tables.length} data tables)` }
  } catch (err) {
    return {
      status: 'fail',
      name,
      detail: `${shown}: ${(err as Error).message.split('\n')[0]}`,
      fix: url.startsWith('sqlite:') ? 'check the file and its permissions' : 'start PostgreSQL or correct DATABASE_URL (user, host, port, database)',
    }
  } finally {
    await database.close()
  }
}

function providerChecks(config: Config): Check[] {
  const checks: Check[] = []
  const fallback = config.runs.defaultProvider
  for (const [provider, keyEnv] of Object.entries(KEY_ENV)) {
    const settings = config.providers[provider as keyof typeof config.providers]
    const isDefault = provider === fallback
    if (settings.apiKey) {
      checks.push({ status: 'ok', name: `provider ${provider}`, detail: `API key set${isDefault ? ' (the default provider)' : ''}` })
    } else {
      checks.push({
        status: isDefault ? 'warn' : 'skip',
        name: `provider ${provider}`,
        detail: isDefault ? 'no API key, and it is the default provider: runs that name none will fail' : 'no API key: runs on it fail',
        fix: `set ${keyEnv} (or providers.${provider}.api_key)${isDefault ? ', or DEFAULT_AI_PROVIDER to a provider you have' : ' to use it'}`,
      })
    }
  }
  const ollama = config.providers.ollama
  checks.push({ status: 'ok', name: 'provider ollama', detail: `no key needed; server at ${ollama.baseUrl ?? 'its default URL'} (not probed)` })
  return checks
}

function cliChecks(config: Config, which: (command: string) => string | undefined): Check[] {
  const commands: Array<[string, string, string]> = [
    ['claude', config.cli.claudeCommand, 'CLAUDE_COMMAND'],
    ['gemini', config.cli.geminiCommand, 'GEMINI_COMMAND'],
    ['cursor-agent', config.cli.cursorAgentCommand, 'CURSOR_AGENT_COMMAND'],
  ]
  return commands.map(([provider, command, env]) => {
    const found = which(command)
    if (found) return { status: 'ok', name: `cli ${provider}`, detail: `${command} → ${found}` }
    const isDefault = config.runs.defaultProvider === provider
    return {
      status: isDefault ? 'warn' : 'skip',
      name: `cli ${provider}`,
      detail: `${command} is not on PATH: runs on provider ${provider} fail${isDefault ? ' (the default provider)' : ''}`,
      fix: `install the ${provider} CLI, or set ${env} to its path`,
    }
  })
}

/** The web root setting belongs to another part of the gateway; this build may not have it. */
function webRootCheck(config: Config): Check {
  const server = config.server as Record<string, unknown>
  const web = (config as Record<string, unknown>).web as Record<string, unknown> | undefined
  const root = server.webRoot ?? web?.root
  if (root === undefined) return { status: 'skip', name: 'web root', detail: 'this build has no web root setting' }
  if (root === null || root === '') return { status: 'skip', name: 'web root', detail: 'not set: the web client is served elsewhere' }
  const dir = String(root)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    return { status: 'fail', name: 'web root', detail: `${dir} is not a directory`, fix: 'build the web client into it, or unset the web root' }
  }
  if (!existsSync(path.join(dir, 'index.html'))) {
    return {
      status: 'fail',
      name: 'web root',
      detail: `${dir} has no index.html`,
      fix: 'point the web root at the built client (the folder with index.html)',
    }
  }
  return { status: 'ok', name: 'web root', detail: `${dir} (index.html present)` }
}

async function mcpRegistryCheck(config: Config): Promise<Check> {
  const configured = Object.keys(config.mcp.servers)
  const servers = configured.length
    ? `${configured.length} MCP server(s) configured: ${configured.join(', ')}`
    : 'no MCP servers configured (MCP_SERVERS)'
  const database = config.database.url.startsWith('sqlite:') && !existsSync(config.database.url.slice(7)) ? undefined : config.database.url
  if (!database) return { status: 'skip', name: 'mcp registry', detail: `no database yet; ${servers}` }
  const db = openDatabase(database, { poolSize: 1 })
  try {
    const { total, unhealthy } = await registryOf({ config, db: db.db, clock: systemClock, outbound: outboundPolicyOf(config) }).health()
    const detail = `${total} registered or configured, ${unhealthy.length} without a recent heartbeat${unhealthy.length ? ` (${unhealthy.join(', ')})` : ''}; ${servers}`
    if (unhealthy.length === 0) return { status: 'ok', name: 'mcp registry', detail }
    return {
      status: 'warn',
      name: 'mcp registry',
      detail,
      fix: 'start those sidecars, or remove them: POST /mcp/cleanup or DELETE /mcp/unregister/{name}',
    }
  } catch {
    return { status: 'skip', name: 'mcp registry', detail: `the registry could not be read (see the database check); ${servers}` }
  } finally {
    await db.close()
  }
}

export function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes('/')) return executable(path.resolve(command)) ? path.resolve(command) : undefined
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, command)
    if (executable(candidate)) return candidate
  }
  return undefined
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile()
  } catch {
    return false
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK)
    return true
  } catch {
    return false
  }
}

function nearestExisting(dir: string): string {
  let current = dir
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current)
  return current
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: '--  ' }

/** The report as printed; `failed` is true when something required is broken. */
export function formatChecks(checks: Check[]): { text: string; failed: boolean } {
  const width = Math.max(...checks.map((c) => c.name.length))
  const lines = checks.flatMap((c) => [
    `${LABEL[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`,
    ...(c.fix ? [`      ${''.padEnd(width)}  fix: ${c.fix}`] : []),
  ])
  const count = (status: CheckStatus) => checks.filter((c) => c.status === status).length
  const failed = count('fail') > 0
  lines.push(
    `${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failure(s)${failed ? ': the gateway cannot work until the failures are fixed' : ''}`,
  )
  return { text: `${lines.join('\n')}\n`, failed }
}
