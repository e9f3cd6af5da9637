// Every configuration key, written once: file key (snake_case), type, default, environment variable
// and documentation. `Config` (camelCase) is what this schema outputs; README.md's table and
// config.yaml.example are generated from it (`npm run docs:config`).
import path from 'node:path'
import { z } from 'zod'
import { PROVIDERS } from '../platform/providers.js'
import { executorsSections } from './executors.js'
import { mcpRegistrySections } from './mcp-registry.js'
import { section, setting } from './settings.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const port = z.number().int().min(1).max(65535)
const positiveInt = z.number().int().positive()
/** Durations Node timers take: a setTimeout over 2^31−1 ms fires at once; 24 days leaves room for grace periods. */
const duration = positiveInt.max(24 * 24 * 60 * 60_000, { message: 'must be at most 2073600000 (24 days)' })
const secret = z.string().min(16, { message: 'must be at least 16 characters' }).nullable().default(null)
const absolutePath = z
  .string()
  .refine((p) => path.isAbsolute(p), { message: 'must be an absolute path' })
  .transform((p) => path.resolve(p))

const server = section({
  host: setting(z.string().min(1).default('127.0.0.1'), { env: 'HOST', doc: 'listen address; `0.0.0.0` accepts remote clients' }),
  port: setting(port.default(5006), { env: 'PORT', doc: 'listen port (the original gateway’s)' }),
  body_limit_bytes: setting(positiveInt.default(2 * 1024 * 1024), { env: 'BODY_LIMIT_BYTES', doc: 'larger request bodies get 413' }),
  cors_origins: setting(z.array(z.string().min(1)).default([]), {
    env: 'CORS_ORIGINS',
    doc: 'origins allowed cross-origin (none: same-origin only)',
  }),
  shutdown_timeout_ms: setting(duration.default(10_000), {
    env: 'SHUTDOWN_TIMEOUT_MS',
    doc: 'how long SIGTERM/SIGINT waits for requests in flight',
  }),
  trust_proxy: setting(z.boolean().default(false), { env: 'TRUST_PROXY', doc: 'honour `X-Forwarded-*` from a reverse proxy' }),
})

const database = section({
  url: setting(
    z
      .string()
      .min(1)
      .refine((url) => /^(sqlite:|postgres(ql)?:\/\/)/.test(url), { message: 'must start with sqlite: or postgres://' })
      .default('sqlite:./data/gateway.db'),
    {
      env: 'DATABASE_URL',
      doc: '`sqlite:<file>` (embedded: created on first start, WAL, a relative path is taken from the working directory) or `postgres://user@host:5432/db` (server profile: several gateways may share it)',
    },
  ),
  read_cache: setting(z.boolean().default(true), {
    env: 'READ_CACHE',
    doc: 'embedded (SQLite) only: the answers of `GET /api/screenplays` and `GET /api/screenplays/{id}` are kept until a screenplay changes (another process’s writes to the file show within 0.1 s)',
  }),
})

const log = section({
  level: setting(z.enum(LOG_LEVELS).default('info'), {
    env: 'LOG_LEVEL',
    doc: 'pino level of the JSON-lines log (a `reqId` per request, never bodies)',
  }),
})

const workspace = section({
  allowed_roots: setting(z.array(absolutePath).default([]), {
    env: 'ALLOWED_ROOTS',
    doc: 'absolute directories that working directories must stay inside, else 400 (none: any absolute directory)',
  }),
})

const conversations = section({
  context_upload_max_bytes: setting(positiveInt.default(51_200), {
    env: 'CONTEXT_UPLOAD_MAX_BYTES',
    doc: 'largest `.md` file `POST /api/conversations/{id}/context/upload` accepts; larger uploads get 413 while they are read',
  }),
})

const runs = section(
  {
    concurrency: setting(positiveInt.default(32), { env: 'RUN_CONCURRENCY', doc: 'runs executing at once in this process; the rest wait `queued`' }),
    default_timeout_ms: setting(duration.default(30 * 60_000), {
      env: 'RUN_TIMEOUT_MS',
      doc: 'a run still going after this ends `timed_out` (its process is killed)',
    }),
    max_timeout_ms: setting(duration.default(2 * 60 * 60_000), { env: 'RUN_MAX_TIMEOUT_MS', doc: 'the longest timeout a request may ask for' }),
    lease_ms: setting(duration.default(30_000), { env: 'RUN_LEASE_MS', doc: 'a running run’s lease, which its worker renews' }),
    reaper_interval_ms: setting(duration.default(5_000), {
      env: 'RUN_REAPER_INTERVAL_MS',
      doc: 'how often runs whose lease lapsed (a crashed process) are ended as `failed`',
    }),
    poll_interval_ms: setting(duration.default(1_000), {
      env: 'RUN_POLL_INTERVAL_MS',
      doc: 'how often idle workers look for queued runs they were not told about',
    }),
    event_retention_ms: setting(positiveInt.default(24 * 60 * 60_000), {
      env: 'RUN_EVENT_RETENTION_MS',
      doc: 'how long a finished run’s event log is kept (the run itself stays)',
    }),
    conversation_policy: setting(z.enum(['reject', 'enqueue']).default('reject'), {
      env: 'RUN_CONVERSATION_POLICY',
      doc: 'a second message while a run of its conversation is active: `reject` answers 409, `enqueue` queues it',
    }),
    coalesce_ms: setting(z.number().int().min(0).max(60_000).default(25), {
      env: 'RUN_COALESCE_MS',
      doc: 'token deltas arriving within this window are stored as one event (0: each alone)',
    }),
    default_provider: setting(z.enum(PROVIDERS, { message: `must be one of: ${PROVIDERS.join(', ')}` }).default('openai'), {
      env: 'DEFAULT_AI_PROVIDER',
      doc: 'provider of a run when neither the request nor the agent names one',
    }),
    echo_delay_ms: setting(z.number().int().min(0).max(600_000).default(0), {
      env: 'ECHO_DELAY_MS',
      doc: 'pause between the chunks of the offline `echo` provider (demos, tests)',
    }),
  },
  'Agent runs: every execution path creates a run that a worker picks up, streams and finishes.',
)

const streams = section(
  {
    heartbeat_ms: setting(positiveInt.max(15_000).default(15_000), {
      env: 'SSE_HEARTBEAT_MS',
      doc: 'SSE comment heartbeat interval (at most 15000)',
    }),
    retry_ms: setting(positiveInt.default(3_000), { env: 'SSE_RETRY_MS', doc: 'the `retry:` hint sent to SSE clients' }),
    max_buffered_bytes: setting(positiveInt.default(1024 * 1024), {
      env: 'SSE_MAX_BUFFERED_BYTES',
      doc: 'bytes an SSE or WebSocket reader may have waiting before it counts as stalled',
    }),
    stall_ms: setting(positiveInt.default(10_000), {
      env: 'SLOW_CLIENT_STALL_MS',
      doc: 'a reader stalled this long is dropped (SSE readers resume with `Last-Event-ID`)',
    }),
  },
  'Server-sent event and WebSocket streams (/api/v1/stream/{job_id}, run streams).',
)

const portfolio = section(
  {
    agent_id: setting(z.string().min(1).default('PortfolioAssistant_Agent'), { env: 'PORTFOLIO_AGENT_ID', doc: 'the agent that answers' }),
    rate_limit_per_minute: setting(positiveInt.default(20), {
      env: 'PORTFOLIO_RATE_LIMIT',
      doc: 'requests per client IP and minute; more get 429',
    }),
    session_secret: setting(secret, {
      env: 'PORTFOLIO_SESSION_SECRET',
      doc: 'at least 16 characters; signs the session ids handed to visitors so they survive restarts (none: a random secret per process)',
    }),
    timeout_ms: setting(duration.default(60_000), { env: 'PORTFOLIO_TIMEOUT_MS', doc: 'how long a chat request waits for the agent’s answer' }),
  },
  'POST /api/v1/portfolio-chat, the public portfolio assistant.',
)

const internal = section(
  {
    token: setting(secret, {
      env: 'INTERNAL_TOKEN',
      doc: 'at least 16 characters, sent by the Conductor watcher as `X-Internal-Token` or a bearer token; a watcher credential in every auth mode (none: the watcher channels need a `watcher` key or token)',
    }),
  },
  'The watcher-facing endpoints (/api/internal/task-event, /ws/agent-stream).',
)

const councilors = section(
  {
    scheduler_enabled: setting(z.boolean().default(true), {
      env: 'COUNCILOR_SCHEDULER',
      doc: 'whether this process fires councilor schedules (any number of processes may; each tick runs once)',
    }),
    poll_interval_ms: setting(positiveInt.max(60_000).default(250), {
      env: 'COUNCILOR_POLL_INTERVAL_MS',
      doc: 'how often the scheduler looks for due ticks (a tick starts at most this late, plus the time to start its run)',
    }),
    misfire_grace_ms: setting(positiveInt.max(24 * 60 * 60_000).default(60_000), {
      env: 'COUNCILOR_MISFIRE_GRACE_MS',
      doc: 'a tick later than this (after downtime) is a missed tick, handled by the councilor’s `missed` policy',
    }),
    max_runs_per_day: setting(z.number().int().min(0).default(0), {
      env: 'COUNCILOR_MAX_RUNS_PER_DAY',
      doc: 'global spend guard: councilor runs of all councilors in any rolling 24 h (0: no global cap); refused ticks are counted',
    }),
  },
  'Councilors: agents that run a task on a schedule (see the Councilors section).',
)

const mcpServer = section(
  {
    wait_ms: setting(duration.default(120_000), {
      env: 'MCP_TOOL_WAIT_MS',
      doc: 'how long an MCP execution tool waits for its run; a longer run is answered with its run id (the run goes on; `get_run` reads it)',
    }),
    allowed_hosts: setting(z.array(z.string().min(1)).default([]), {
      env: 'MCP_ALLOWED_HOSTS',
      doc: 'host names (besides localhost, 127.0.0.1 and [::1]) a loopback-bound gateway accepts in `Host`/`Origin` on /mcp, /sse and /messages (DNS-rebinding protection)',
    }),
  },
  'The gateway’s own MCP server (/mcp, and /sse + /messages for older clients).',
)

const web = section(
  {
    root: setting(absolutePath.nullable().default(null), {
      env: 'WEB_ROOT',
      doc: 'a built single-page app (a directory with `index.html`) served from the same origin: hashed assets cached for a year, `index.html` never, other paths that are not API, WebSocket or docs fall back to it (none: no web client; also `--web-root DIR`)',
    }),
  },
  'The web client served by the gateway itself (one process for UI, API, WebSockets and MCP).',
)

const metrics = section(
  {
    enabled: setting(z.boolean().default(true), {
      env: 'METRICS_ENABLED',
      doc: '`GET /metrics` in Prometheus text format (HTTP, runs, queue, streams, councilor ticks, process)',
    }),
  },
  'Prometheus metrics.',
)

const AUTH_MODES = ['none', 'api_key', 'jwt'] as const

const auth = section(
  {
    mode: setting(z.enum(AUTH_MODES, { message: `must be one of: ${AUTH_MODES.join(', ')}` }).default('none'), {
      env: 'AUTH_MODE',
      doc: '`none` (no credentials; only while listening on a loopback address), `api_key` (keys from `conductor-gateway keys create`) or `jwt`',
    }),
    allow_unauthenticated_network: setting(z.boolean().default(false), {
      env: 'AUTH_ALLOW_UNAUTHENTICATED_NETWORK',
      doc: 'lets mode `none` listen on a non-loopback address: anyone who reaches the port may do anything',
    }),
    jwt_secret: setting(z.string().min(32, { message: 'must be at least 32 characters' }).nullable().default(null), {
      env: 'AUTH_JWT_SECRET',
      doc: 'mode `jwt`: the HS256 secret tokens are signed with (or use `jwt_jwks_url`)',
    }),
    jwt_jwks_url: setting(
      z
        .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
        .nullable()
        .default(null),
      {
        env: 'AUTH_JWT_JWKS_URL',
        doc: 'mode `jwt`: the OIDC issuer’s JWKS URL (RS256/ES256/EdDSA tokens); needs `jwt_issuer` and `jwt_audience`',
      },
    ),
    jwt_issuer: setting(z.string().min(1).nullable().default(null), { env: 'AUTH_JWT_ISSUER', doc: 'mode `jwt`: the required `iss` claim' }),
    jwt_audience: setting(z.string().min(1).nullable().default(null), {
      env: 'AUTH_JWT_AUDIENCE',
      doc: 'mode `jwt`: the required `aud` claim (this gateway’s identifier)',
    }),
    jwt_role_claim: setting(z.string().min(1).default('role'), {
      env: 'AUTH_JWT_ROLE_CLAIM',
      doc: 'mode `jwt`: the claim holding the role (a string or a list of roles)',
    }),
    session_secret: setting(z.string().min(32, { message: 'must be at least 32 characters' }).nullable().default(null), {
      env: 'AUTH_SESSION_SECRET',
      doc: 'signs login-page session cookies so they survive restarts and are valid on every instance (none: a random secret per process)',
    }),
    session_ttl_ms: setting(duration.default(12 * 60 * 60_000), { env: 'AUTH_SESSION_TTL_MS', doc: 'how long a login-page session lasts' }),
  },
  'Who may call the gateway: see README “Security”. Roles: admin, user, watcher, mcp-sidecar.',
)

const limits = section(
  {
    expensive_per_minute: setting(positiveInt.default(60), {
      env: 'RATE_LIMIT_EXPENSIVE_PER_MINUTE',
      doc: 'requests per client and minute to routes that start work (execute, `POST /api/runs`, chat, suggest, MCP tool calls); more get 429',
    }),
    login_per_minute: setting(positiveInt.default(10), { env: 'RATE_LIMIT_LOGIN_PER_MINUTE', doc: 'login attempts per client address and minute' }),
    streams_per_client: setting(positiveInt.default(32), {
      env: 'STREAMS_PER_CLIENT',
      doc: 'SSE streams and WebSockets one client may hold open at once; more get 429',
    }),
    ws_max_message_bytes: setting(positiveInt.default(1024 * 1024), {
      env: 'WS_MAX_MESSAGE_BYTES',
      doc: 'largest WebSocket message accepted; a larger one closes the socket (1009)',
    }),
    ws_messages_per_minute: setting(positiveInt.default(6000), {
      env: 'WS_MESSAGES_PER_MINUTE',
      doc: 'messages one WebSocket may send per minute; more close it (1008)',
    }),
  },
  'Limits per client: a client is its credential (key, token subject) or, without one, its address.',
)

/** `name`, `name:port`, `*.domain` or `[v6]:port`, without a scheme or path. */
const OutboundHost = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(\*\.)?[a-z0-9_.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/, { message: 'must be a host, host:port or *.domain (no scheme or path)' })

const security = section({
  allowed_outbound_hosts: setting(z.array(OutboundHost).default(['localhost', '127.0.0.1', '[::1]']), {
    env: 'ALLOWED_OUTBOUND_HOSTS',
    doc:
      'hosts (`name`, `name:port` or `*.domain`) the gateway may send requests to at URLs registered through the API (MCP servers: ' +
      'probes, health checks, runs’ tool calls), besides the hosts of configured URLs; a registration elsewhere is refused (422). ' +
      'Replaces the default: keep the loopback names to keep local sidecars',
  }),
})

/** The config file's format; every key has a default, so `{}` is a valid file. */
export const ConfigSchema = z
  .object({
    server,
    database,
    log,
    auth,
    limits,
    security,
    workspace,
    conversations,
    runs,
    councilors,
    streams,
    portfolio,
    internal,
    mcp_server: mcpServer,
    web,
    metrics,
    ...executorsSections,
    ...mcpRegistrySections,
  })
  .strict()

export type Config = z.output<typeof ConfigSchema>
