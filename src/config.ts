// Configuration: defaults → config.yaml → environment, validated once at start.
// This is the only module that reads process.env; everything else receives a Config.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { z } from 'zod'
import type { EnvBinding, EnvKind } from './config/env-binding.js'
import { EXECUTOR_ENV_BINDINGS, executorsFileSections, toExecutorsConfig, type ExecutorsConfig } from './config/executors.js'
import { PROVIDERS, type Provider } from './platform/providers.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const port = z.number().int().min(1).max(65535)
const positiveInt = z.number().int().positive()
/** Durations Node timers take: a setTimeout over 2^31−1 ms fires at once; 24 days leaves room for grace periods. */
const duration = positiveInt.max(24 * 24 * 60 * 60_000, { message: 'must be at most 2073600000 (24 days)' })

/** The config file format (snake_case keys); every key has a default. */
const FileSchema = z
  .object({
    server: z
      .object({
        host: z.string().min(1).default('127.0.0.1'),
        port: port.default(5006),
        body_limit_bytes: positiveInt.default(2 * 1024 * 1024),
        cors_origins: z.array(z.string().min(1)).default([]),
        shutdown_timeout_ms: duration.default(10_000),
        trust_proxy: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    database: z
      .object({
        url: z
          .string()
          .min(1)
          .refine((url) => /^(sqlite:|postgres(ql)?:\/\/)/.test(url), {
            message: 'must start with sqlite: or postgres://',
          })
          .default('sqlite:./data/gateway.db'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({ level: z.enum(LOG_LEVELS).default('info') })
      .strict()
      .prefault({}),
    runs: z
      .object({
        concurrency: positiveInt.default(32),
        default_timeout_ms: duration.default(30 * 60_000),
        max_timeout_ms: duration.default(2 * 60 * 60_000),
        lease_ms: duration.default(30_000),
        reaper_interval_ms: duration.default(5_000),
        poll_interval_ms: duration.default(1_000),
        event_retention_ms: positiveInt.default(24 * 60 * 60_000),
        conversation_policy: z.enum(['reject', 'enqueue']).default('reject'),
        coalesce_ms: z.number().int().min(0).max(60_000).default(25),
        default_provider: z.enum(PROVIDERS, { message: `must be one of: ${PROVIDERS.join(', ')}` }).default('openai'),
        echo_delay_ms: z.number().int().min(0).max(600_000).default(0),
      })
      .strict()
      .prefault({}),
    streams: z
      .object({
        heartbeat_ms: positiveInt.max(15_000).default(15_000),
        retry_ms: positiveInt.default(3_000),
        max_buffered_bytes: positiveInt.default(1024 * 1024),
        stall_ms: positiveInt.default(10_000),
      })
      .strict()
      .prefault({}),
    portfolio: z
      .object({
        agent_id: z.string().min(1).default('PortfolioAssistant_Agent'),
        rate_limit_per_minute: positiveInt.default(20),
        session_secret: z.string().min(16, { message: 'must be at least 16 characters' }).nullable().default(null),
        timeout_ms: duration.default(60_000),
      })
      .strict()
      .prefault({}),
    internal: z
      .object({
        token: z.string().min(16, { message: 'must be at least 16 characters' }).nullable().default(null),
      })
      .strict()
      .prefault({}),
    workspace: z
      .object({
        allowed_roots: z.array(z.string().refine((p) => path.isAbsolute(p), { message: 'must be an absolute path' })).default([]),
      })
      .strict()
      .prefault({}),
    conversations: z
      .object({ context_upload_max_bytes: positiveInt.default(51_200) })
      .strict()
      .prefault({}),
    ...executorsFileSections,
  })
  .strict()

type FileConfig = z.output<typeof FileSchema>

export interface Config extends ExecutorsConfig {
  server: {
    host: string
    port: number
    bodyLimitBytes: number
    corsOrigins: string[]
    shutdownTimeoutMs: number
    trustProxy: boolean
  }
  database: { url: string }
  log: { level: (typeof LOG_LEVELS)[number] }
  workspace: { allowedRoots: string[] }
  runs: {
    concurrency: number
    defaultTimeoutMs: number
    maxTimeoutMs: number
    leaseMs: number
    reaperIntervalMs: number
    pollIntervalMs: number
    eventRetentionMs: number
    conversationPolicy: 'reject' | 'enqueue'
    coalesceMs: number
    defaultProvider: Provider
    echoDelayMs: number
  }
  streams: { heartbeatMs: number; retryMs: number; maxBufferedBytes: number; stallMs: number }
  portfolio: { agentId: string; rateLimitPerMinute: number; sessionSecret: string | null; timeoutMs: number }
  /** Shared secret of the watcher-facing endpoints; null: loopback callers only. */
  internal: { token: string | null }
  conversations: { contextUploadMaxBytes: number }
}

/** Environment variables and the config key each one overrides. */
const ENV_BINDINGS: readonly EnvBinding[] = [
  { env: 'HOST', key: 'server.host', kind: 'string' },
  { env: 'PORT', key: 'server.port', kind: 'int' },
  { env: 'BODY_LIMIT_BYTES', key: 'server.body_limit_bytes', kind: 'int' },
  { env: 'CORS_ORIGINS', key: 'server.cors_origins', kind: 'list' },
  { env: 'SHUTDOWN_TIMEOUT_MS', key: 'server.shutdown_timeout_ms', kind: 'int' },
  { env: 'TRUST_PROXY', key: 'server.trust_proxy', kind: 'bool' },
  { env: 'DATABASE_URL', key: 'database.url', kind: 'string' },
  { env: 'LOG_LEVEL', key: 'log.level', kind: 'string' },
  { env: 'ALLOWED_ROOTS', key: 'workspace.allowed_roots', kind: 'list' },
  { env: 'RUN_CONCURRENCY', key: 'runs.concurrency', kind: 'int' },
  { env: 'RUN_TIMEOUT_MS', key: 'runs.default_timeout_ms', kind: 'int' },
  { env: 'RUN_MAX_TIMEOUT_MS', key: 'runs.max_timeout_ms', kind: 'int' },
  { env: 'RUN_LEASE_MS', key: 'runs.lease_ms', kind: 'int' },
  { env: 'RUN_REAPER_INTERVAL_MS', key: 'runs.reaper_interval_ms', kind: 'int' },
  { env: 'RUN_POLL_INTERVAL_MS', key: 'runs.poll_interval_ms', kind: 'int' },
  { env: 'RUN_EVENT_RETENTION_MS', key: 'runs.event_retention_ms', kind: 'int' },
  { env: 'RUN_CONVERSATION_POLICY', key: 'runs.conversation_policy', kind: 'string' },
  { env: 'RUN_COALESCE_MS', key: 'runs.coalesce_ms', kind: 'int' },
  { env: 'DEFAULT_AI_PROVIDER', key: 'runs.default_provider', kind: 'string' },
  { env: 'ECHO_DELAY_MS', key: 'runs.echo_delay_ms', kind: 'int' },
  { env: 'INTERNAL_TOKEN', key: 'internal.token', kind: 'string' },
  { env: 'PORTFOLIO_AGENT_ID', key: 'portfolio.agent_id', kind: 'string' },
  { env: 'PORTFOLIO_RATE_LIMIT', key: 'portfolio.rate_limit_per_minute', kind: 'int' },
  { env: 'PORTFOLIO_SESSION_SECRET', key: 'portfolio.session_secret', kind: 'string' },
  { env: 'PORTFOLIO_TIMEOUT_MS', key: 'portfolio.timeout_ms', kind: 'int' },
  { env: 'SSE_HEARTBEAT_MS', key: 'streams.heartbeat_ms', kind: 'int' },
  { env: 'SSE_RETRY_MS', key: 'streams.retry_ms', kind: 'int' },
  { env: 'SSE_MAX_BUFFERED_BYTES', key: 'streams.max_buffered_bytes', kind: 'int' },
  { env: 'SLOW_CLIENT_STALL_MS', key: 'streams.stall_ms', kind: 'int' },
  { env: 'CONTEXT_UPLOAD_MAX_BYTES', key: 'conversations.context_upload_max_bytes', kind: 'int' },
  ...EXECUTOR_ENV_BINDINGS,
]

/** The defaults in the config file's format (snake_case sections), as config.yaml.example lists them. */
export function defaultFileConfig(): FileConfig {
  return FileSchema.parse({})
}

/** Every environment variable the configuration reads (besides CONFIG_FILE). */
export function configEnvironmentVariables(): string[] {
  return ENV_BINDINGS.map((binding) => binding.env)
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

  const parsed = FileSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const key = [...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]] : [])].join('.')
    const keyPrefixes = issue.path.map((_, i) => issue.path.slice(0, issue.path.length - i).join('.'))
    const source = keyPrefixes.map((prefix) => sources.get(prefix)).find(Boolean) ?? sources.get('file') ?? 'defaults'
    throw new ConfigError(`invalid configuration: ${key || '(root)'} (from ${source}): ${issue.message}`)
  }
  return toConfig(parsed.data, cwd)
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

function parseEnvValue(value: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value
    case 'list':
      return value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
    case 'bool':
      return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase())
        ? true
        : ['0', 'false', 'no', 'off'].includes(value.toLowerCase())
          ? false
          : value
    case 'map':
      return Object.fromEntries(
        value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
          .map((item) => {
            const at = item.indexOf('=')
            return at < 0 ? [item, ''] : [item.slice(0, at).trim(), item.slice(at + 1).trim()]
          }),
      )
    case 'string':
      return value
  }
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

function toConfig(file: FileConfig, cwd: string): Config {
  return {
    server: {
      host: file.server.host,
      port: file.server.port,
      bodyLimitBytes: file.server.body_limit_bytes,
      corsOrigins: file.server.cors_origins,
      shutdownTimeoutMs: file.server.shutdown_timeout_ms,
      trustProxy: file.server.trust_proxy,
    },
    database: { url: resolveSqlitePath(file.database.url, cwd) },
    log: { level: file.log.level },
    workspace: { allowedRoots: file.workspace.allowed_roots.map((root) => path.resolve(root)) },
    runs: {
      concurrency: file.runs.concurrency,
      defaultTimeoutMs: file.runs.default_timeout_ms,
      maxTimeoutMs: file.runs.max_timeout_ms,
      leaseMs: file.runs.lease_ms,
      reaperIntervalMs: file.runs.reaper_interval_ms,
      pollIntervalMs: file.runs.poll_interval_ms,
      eventRetentionMs: file.runs.event_retention_ms,
      conversationPolicy: file.runs.conversation_policy,
      coalesceMs: file.runs.coalesce_ms,
      defaultProvider: file.runs.default_provider,
      echoDelayMs: file.runs.echo_delay_ms,
    },
    internal: { token: file.internal.token },
    portfolio: {
      agentId: file.portfolio.agent_id,
      rateLimitPerMinute: file.portfolio.rate_limit_per_minute,
      sessionSecret: file.portfolio.session_secret,
      timeoutMs: file.portfolio.timeout_ms,
    },
    streams: {
      heartbeatMs: file.streams.heartbeat_ms,
      retryMs: file.streams.retry_ms,
      maxBufferedBytes: file.streams.max_buffered_bytes,
      stallMs: file.streams.stall_ms,
    },
    conversations: { contextUploadMaxBytes: file.conversations.context_upload_max_bytes },
    ...toExecutorsConfig(file),
  }
}

/** Relative SQLite paths are taken from the working directory the gateway starts in. */
function resolveSqlitePath(url: string, cwd: string): string {
  if (!url.startsWith('sqlite:')) return url
  const file = url.slice('sqlite:'.length)
  if (file === ':memory:') return url
  return `sqlite:${path.resolve(cwd, file)}`
}
