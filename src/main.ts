#!/usr/bin/env node
// conductor-gateway CLI: `serve` (default) starts the gateway, `migrate` updates the schema,
// `import-agents DIR` loads a Conductor agents directory; data tools: `backup`, `restore`,
// `migrate-storage`, `import-mongo`, `doctor`.
import path from 'node:path'
import { parseArgs } from 'node:util'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, otelEnvironment, type Config } from './config.js'
import { createDeps } from './deps.js'
import { ImportDirectoryError, importAgentDirectory } from './modules/agents/agent-import.js'
import { backupCommand, migrateStorageCommand, restoreCommand } from './modules/backup/backup-commands.js'
import { openDatabase } from './platform/db/database.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { doctorCommand, doctorConfigFailure } from './modules/doctor/doctor-command.js'
import { importMongoCommand } from './modules/mongo-import/import-mongo-command.js'
import { checkWebRoot, WebRootError } from './platform/http/web-root.js'
import { createLogger } from './platform/logger.js'
import { SHUTDOWN_BOUND_MS as TRACING_SHUTDOWN_BOUND_MS, startTracing } from './platform/tracing.js'
import { GATEWAY_VERSION } from './modules/health/health.routes.js'
import { systemClock } from './platform/clock.js'
import { ApiKeys } from './modules/auth/api-keys.js'
import { KyselyApiKeysRepo } from './modules/auth/api-keys.repo.js'
import { authStartupProblem } from './modules/auth/auth.js'
import { type KeysCommandInput, keysCommand } from './modules/auth/keys-cli.js'

const USAGE = `usage: conductor-gateway [command] [options]

commands:
  serve              start the gateway (default)
  migrate            apply pending database migrations and exit
  import-agents DIR  upsert the agents of a Conductor agents directory
                     (<Agent>/definition.yaml + persona.md) and report each one
  backup FILE        write every table of the database to FILE (JSON Lines)
  restore FILE       load a backup into an empty database, all or nothing
  migrate-storage --from URL --to URL
                     copy every table from one database to another, empty one
                     (sqlite:FILE or postgres://…), all or nothing
  import-mongo DIR   import a mongoexport of the original gateway's database
                     (<collection>.json files); a second import changes nothing
  doctor             check configuration, database, providers, CLIs, web root and
                     MCP registry; say what is missing and how to fix it
  keys create --role ROLE [--name NAME] [--label TEXT]
                     make an API key (admin, user, watcher, mcp-sidecar; an
                     mcp-sidecar key needs --name, its MCP server); printed once
  keys list          list keys (id, prefix, role, last use; never the key)
  keys revoke ID     revoke a key at once

options:
  --config FILE      config file (default ./config.yaml when present; also CONFIG_FILE)
  --host HOST        listen address (default 127.0.0.1; also HOST)
  --port PORT        listen port (default 5006; also PORT)
  --web-root DIR     serve a built web client from DIR on the same origin (also WEB_ROOT)
  -h, --help         show this help`

const OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  'web-root': { type: 'string' },
  role: { type: 'string' },
  name: { type: 'string' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

function parseCommandLine(argv: string[]) {
  return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS })
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommandLine>
  try {
    parsed = parseCommandLine(argv)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    return 2
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const command = positionals[0] ?? 'serve'

  let config: Config
  try {
    config = loadConfig({
      configFile: values.config,
      overrides: {
        'server.host': values.host,
        'server.port': values.port === undefined ? undefined : /^\d+$/.test(values.port) ? Number(values.port) : values.port,
        'web.root': values['web-root'] === undefined ? undefined : path.resolve(values['web-root']),
      },
    })
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    if (command === 'doctor') return doctorConfigFailure(err)
    process.stderr.write(`conductor-gateway: ${err.message}\n`)
    return 2
  }

  switch (command) {
    case 'serve':
      return serve(config)
    case 'migrate':
      return migrate(config)
    case 'import-agents':
      return importAgents(config, positionals[1])
    case 'backup':
    case 'restore': {
      const file = positionals[1]
      if (!file) return usageError(`${command} needs a file`)
      return command === 'backup' ? backupCommand(config.database.url, file) : restoreCommand(config.database.url, file)
    }
    case 'doctor':
      return doctorCommand(config)
    case 'import-mongo':
      if (!positionals[1]) return usageError('import-mongo needs a directory')
      return importMongoCommand(config, positionals[1])
    case 'migrate-storage':
      if (!values.from || !values.to) return usageError('migrate-storage needs --from URL and --to URL')
      return migrateStorageCommand(values.from, values.to)
    case 'keys':
      return keys(config, { action: positionals[1], id: positionals[2], role: values.role, name: values.name, label: values.label })
    default:
      process.stderr.write(`conductor-gateway: unknown command '${command}'\n${USAGE}\n`)
      return 2
  }
}

function usageError(message: string): number {
  process.stderr.write(`conductor-gateway: ${message}\n${USAGE}\n`)
  return 2
}

async function migrate(config: Config): Promise<number> {
  const database = openDatabase(config.database.url)
  try {
    const applied = await migrateToLatest(database)
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n')
    return 0
  } finally {
    await database.close()
  }
}

/** Exit code 0 when every entry was imported, updated or unchanged; 1 when some were skipped. */
async function importAgents(config: Config, dir: string | undefined): Promise<number> {
  if (!dir) {
    process.stderr.write(`conductor-gateway: import-agents needs a directory\n${USAGE}\n`)
    return 2
  }
  const deps = await createDeps(config)
  try {
    const summary = await importAgentDirectory(dir, deps.agents, (line) => process.stdout.write(`${line}\n`))
    return summary.skipped.length > 0 ? 1 : 0
  } catch (err) {
    if (!(err instanceof ImportDirectoryError)) throw err
    process.stderr.write(`conductor-gateway: ${err.message}\n`)
    return 2
  } finally {
    await deps.close()
  }
}

async function keys(config: Config, input: KeysCommandInput): Promise<number> {
  const database = openDatabase(config.database.url)
  try {
    await migrateToLatest(database)
    const apiKeys = new ApiKeys(new KyselyApiKeysRepo(database.db), systemClock)
    return await keysCommand(apiKeys, input, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`conductor-gateway: ${line}\n`),
    })
  } finally {
    await database.close()
  }
}

async function serve(config: Config): Promise<number> {
  const problem = authStartupProblem(config)
  if (problem) {
    process.stderr.write(`conductor-gateway: ${problem}\n`)
    return 2
  }
  const logger = createLogger(config.log.level)
  if (config.web.root) {
    try {
      checkWebRoot(config.web.root)
    } catch (err) {
      if (!(err instanceof WebRootError)) throw err
      process.stderr.write(`conductor-gateway: ${err.message}\n`)
      return 2
    }
  }
  // Before the app is built: its request hooks are installed only when tracing is on.
  const tracing = await startTracing(otelEnvironment(), GATEWAY_VERSION)
  if (tracing) logger.info('tracing: spans are exported over OTLP/HTTP (OTEL_* environment)')
  const deps = await createDeps(config, { logger })
  const app = await buildApp(deps, { logger })
  deps.start()
  await app.listen({ host: config.server.host, port: config.server.port })
  logger.info({ database: deps.database.dialect }, 'conductor gateway ready')

  return new Promise<number>((resolve) => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'shutting down: no new connections or runs, finishing requests in flight')
      // Runs get half the bound to finish, so that every request waiting for one is answered
      // before the connections still open are cut.
      const draining = deps.drain(Math.floor(config.server.shutdownTimeoutMs / 2))
      const force = setTimeout(() => {
        logger.warn({ timeout_ms: config.server.shutdownTimeoutMs }, 'requests still in flight after the timeout; closing their connections')
        app.server.closeAllConnections()
      }, config.server.shutdownTimeoutMs)
      let spansSent = true
      try {
        await app.close()
        await draining
        await deps.close()
        spansSent = (await tracing?.shutdown()) ?? true
      } catch (err) {
        logger.error({ err }, 'error during shutdown')
      } finally {
        clearTimeout(force)
      }
      logger.info('stopped')
      if (!spansSent) {
        logger.warn(
          { bound_ms: TRACING_SHUTDOWN_BOUND_MS },
          'tracing: spans not exported within the bound were dropped (is the OTLP collector reachable?)',
        )
        // Everything of the gateway is closed; only the exporter's retry timers are left, and they would hold the exit.
        process.exit(0)
      }
      resolve(0)
    }
    process.once('SIGTERM', () => void stop('SIGTERM'))
    process.once('SIGINT', () => void stop('SIGINT'))
  })
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`conductor-gateway: ${(err as Error)?.stack ?? String(err)}\n`)
    process.exitCode = 1
  },
)
