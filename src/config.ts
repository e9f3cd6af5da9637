// Configuration: defaults → config.yaml → environment → command line, validated once at start.
// This is the only module that reads process.env; everything else receives a Config. The keys
// themselves are declared once, in config/schema.ts.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { parseEnvValue } from './config/env.js'
import { type Config, ConfigSchema } from './config/schema.js'
import { listSettings } from './config/settings.js'

export type { Config } from './config/schema.js'

const SETTINGS = listSettings(ConfigSchema)
const ENV_BINDINGS = SETTINGS.flatMap(({ env, key, kind }) => (env === undefined ? [] : [{ env, key, kind }]))

/** The defaults in the config file's format (snake_case sections), as config.yaml.example lists them. */
export function defaultFileConfig(): Record<string, unknown> {
  const file: Record<string, unknown> = {}
  for (const { key, default: value } of SETTINGS) setPath(file, key, value)
  return file
}

/** Every environment variable the configuration reads (besides CONFIG_FILE). */
export function configEnvironmentVariables(): string[] {
  return ENV_BINDINGS.map((binding) => binding.env)
}

/** The standard OpenTelemetry variables (OTEL_*), which the tracing SDK reads by their own names. */
export function otelEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('OTEL_') && entry[1] !== undefined))
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv
  /** Path from `--config`; wins over CONFIG_FILE. */
  configFile?: string
  /** Overrides from command-line flags, as dotted keys (`server.port`). */
  overrides?: Record<string, unknown>
  cwd?: string
}

/** Builds the Config or throws a ConfigError whose message is one readable line. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const sources = new Map<string, string>()
  const raw = readConfigFile(options.configFile ?? env.CONFIG_FILE, cwd, sources)

  for (const { env: name, key, kind } of ENV_BINDINGS) {
    const value = env[name]
    if (value === undefined || value === '') continue
    setPath(raw, key, parseEnvValue(value, kind))
    sources.set(key, `environment variable ${name}`)
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value === undefined) continue
    setPath(raw, key, value)
    sources.set(key, 'command line')
  }

  const parsed = ConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const key = [...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]] : [])].join('.')
    const keyPrefixes = issue.path.map((_, i) => issue.path.slice(0, issue.path.length - i).join('.'))
    const source = keyPrefixes.map((prefix) => sources.get(prefix)).find(Boolean) ?? sources.get('file') ?? 'defaults'
    throw new ConfigError(`invalid configuration: ${key || '(root)'} (from ${source}): ${issue.message}`)
  }
  const config = parsed.data
  return { ...config, database: { ...config.database, url: resolveSqlitePath(config.database.url, cwd) } }
}

function readConfigFile(file: string | undefined, cwd: string, sources: Map<string, string>): Record<string, unknown> {
  const explicit = file !== undefined && file !== ''
  const resolved = path.resolve(cwd, explicit ? file : 'config.yaml')
  if (!existsSync(resolved)) {
    if (explicit) throw new ConfigError(`invalid configuration: config file ${resolved} does not exist`)
    return {}
  }
  let doc: unknown
  try {
    // yaml is loaded only when there is a file to read.
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
    doc = parse(readFileSync(resolved, 'utf8'))
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]
    throw new ConfigError(`invalid configuration: ${resolved} is not valid YAML: ${reason}`)
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(`invalid configuration: ${resolved} must contain a mapping of sections`)
  }
  sources.set('file', resolved)
  return doc as Record<string, unknown>
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.')
  let node = target
  for (const key of keys.slice(0, -1)) {
    const next = node[key]
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys.at(-1)!] = value
}

/** Relative SQLite paths are taken from the working directory the gateway starts in. */
function resolveSqlitePath(url: string, cwd: string): string {
  if (!url.startsWith('sqlite:')) return url
  const file = url.slice('sqlite:'.length)
  if (file === ':memory:') return url
  return `sqlite:${path.resolve(cwd, file)}`
}
