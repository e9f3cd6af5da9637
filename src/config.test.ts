import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { parse } from 'yaml'
import { ConfigError, configEnvironmentVariables, defaultFileConfig, loadConfig } from './config.js'

const EXAMPLE = path.resolve(import.meta.dirname, '../config.yaml.example')

/** Dotted paths of the leaves of a config tree (an empty map or list counts as a leaf). */
function leafKeys(node: unknown, prefix = ''): string[] {
  if (typeof node !== 'object' || node === null || Array.isArray(node) || Object.keys(node).length === 0) return [prefix]
  return Object.entries(node).flatMap(([key, value]) => leafKeys(value, prefix ? `${prefix}.${key}` : key))
}

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'gw-config-'))
}

describe('loadConfig', () => {
  it('starts from defaults: 127.0.0.1:5006 and ./data/gateway.db', () => {
    const cwd = tempDir()
    const config = loadConfig({ env: {}, cwd })
    assert.equal(config.server.host, '127.0.0.1')
    assert.equal(config.server.port, 5006)
    assert.equal(config.database.url, `sqlite:${path.join(cwd, 'data/gateway.db')}`)
    assert.equal(config.log.level, 'info')
    assert.deepEqual(config.server.corsOrigins, [])
    assert.deepEqual(config.workspace.allowedRoots, [])
  })

  it('layers config.yaml over defaults and the environment over the file', () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'config.yaml'), 'server:\n  port: 7000\n  host: 0.0.0.0\nlog:\n  level: debug\n')
    const config = loadConfig({ env: { PORT: '7100', CORS_ORIGINS: 'http://a.test, http://b.test' }, cwd })
    assert.equal(config.server.port, 7100)
    assert.equal(config.server.host, '0.0.0.0')
    assert.equal(config.log.level, 'debug')
    assert.deepEqual(config.server.corsOrigins, ['http://a.test', 'http://b.test'])
  })

  it('reads the file named by CONFIG_FILE, and --config wins over it', () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'a.yaml'), 'server:\n  port: 7001\n')
    writeFileSync(path.join(cwd, 'b.yaml'), 'server:\n  port: 7002\n')
    assert.equal(loadConfig({ env: { CONFIG_FILE: 'a.yaml' }, cwd }).server.port, 7001)
    assert.equal(loadConfig({ env: { CONFIG_FILE: 'a.yaml' }, configFile: 'b.yaml', cwd }).server.port, 7002)
  })

  it('takes DATABASE_URL for SQLite files elsewhere and for PostgreSQL', () => {
    const cwd = tempDir()
    assert.equal(loadConfig({ env: { DATABASE_URL: 'sqlite:/var/x.db' }, cwd }).database.url, 'sqlite:/var/x.db')
    assert.equal(loadConfig({ env: { DATABASE_URL: 'postgres://u@h/db' }, cwd }).database.url, 'postgres://u@h/db')
  })

  it('names the key and its source in one line when a value is invalid', () => {
    const cwd = tempDir()
    assert.throws(
      () => loadConfig({ env: { PORT: 'eighty' }, cwd }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.match(err.message, /^invalid configuration: server\.port \(from environment variable PORT\): /)
        assert.equal(err.message.includes('\n'), false)
        return true
      },
    )
    assert.throws(() => loadConfig({ env: { DATABASE_URL: 'mysql://x' }, cwd }), /database\.url .*must start with sqlite: or postgres:\/\//)
    assert.throws(() => loadConfig({ env: { LOG_LEVEL: 'loud' }, cwd }), /log\.level/)
  })

  it('refuses unknown keys, a missing explicit file and broken YAML', () => {
    const cwd = tempDir()
    writeFileSync(path.join(cwd, 'typo.yaml'), 'server:\n  prot: 1\n')
    assert.throws(() => loadConfig({ env: {}, configFile: 'typo.yaml', cwd }), /server\.prot .*Unrecognized key/i)
    assert.throws(() => loadConfig({ env: {}, configFile: 'missing.yaml', cwd }), /does not exist/)
    writeFileSync(path.join(cwd, 'broken.yaml'), 'server: [\n')
    assert.throws(() => loadConfig({ env: {}, configFile: 'broken.yaml', cwd }), /is not valid YAML/)
  })

  it('has the run engine’s defaults: 24 h event retention, heartbeats every 15 s at most, 20 portfolio messages a minute', () => {
    const config = loadConfig({ env: {}, cwd: tempDir() })
    assert.equal(config.runs.eventRetentionMs, 24 * 60 * 60_000)
    assert.equal(config.runs.conversationPolicy, 'reject')
    assert.equal(config.runs.defaultProvider, 'openai', 'echo is never the default')
    assert.equal(config.streams.heartbeatMs, 15_000)
    assert.equal(config.portfolio.rateLimitPerMinute, 20)
    assert.equal(config.internal.token, null)
    assert.throws(() => loadConfig({ env: { SSE_HEARTBEAT_MS: '15001' }, cwd: tempDir() }), /streams\.heartbeat_ms/)
    assert.throws(() => loadConfig({ env: { RUN_CONVERSATION_POLICY: 'drop' }, cwd: tempDir() }), /runs\.conversation_policy/)
    assert.throws(() => loadConfig({ env: { DEFAULT_AI_PROVIDER: 'skynet' }, cwd: tempDir() }), /runs\.default_provider .*must be one of: openai/)
    // A longer timer would fire at once (Node clamps setTimeout delays over 2^31−1 ms to 1 ms).
    assert.throws(() => loadConfig({ env: { RUN_MAX_TIMEOUT_MS: '3000000000' }, cwd: tempDir() }), /runs\.max_timeout_ms .*at most 2073600000/)
    assert.equal(
      loadConfig({ env: { RUN_EVENT_RETENTION_MS: '60000', RUN_CONVERSATION_POLICY: 'enqueue' }, cwd: tempDir() }).runs.eventRetentionMs,
      60_000,
    )
  })

  it('requires allowed roots to be absolute', () => {
    assert.throws(() => loadConfig({ env: { ALLOWED_ROOTS: 'relative/dir' }, cwd: tempDir() }), /workspace\.allowed_roots\.0 .*absolute/)
  })

  it('config.yaml.example documents every key, with its default and its environment variable', () => {
    const cwd = tempDir()
    const example = readFileSync(EXAMPLE, 'utf8')
    const documented = new Set(leafKeys(parse(example)))
    const missing = leafKeys(defaultFileConfig()).filter((key) => !documented.has(key))
    assert.deepEqual(missing, [], 'keys missing from config.yaml.example')
    assert.deepEqual(loadConfig({ env: {}, configFile: EXAMPLE, cwd }), loadConfig({ env: {}, cwd }), 'the example shows the defaults')
    const unnamed = configEnvironmentVariables().filter((name) => !example.includes(`[${name}]`))
    assert.deepEqual(unnamed, [], 'environment variables missing from config.yaml.example')
  })
})
