// The real app over a fresh database, closed when the test ends.
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { KyselyPlugin } from 'kysely'
import type { Logger } from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createDeps, type Deps } from '../../src/deps.js'
import type { InstanceHistorySource } from '../../src/modules/instances/instance-history.js'
import type { Clock } from '../../src/platform/clock.js'
import { createTestDatabase, type TestDatabase } from './test-database.js'

export interface TestApp {
  app: FastifyInstance
  deps: Deps
  config: Config
}

export interface TestAppOptions {
  /** Environment-style settings, as an operator would give them (e.g. { ALLOWED_ROOTS: '/srv' }). */
  env?: Record<string, string>
  clock?: Clock
  instanceHistory?: InstanceHistorySource
  /** The app's logger (default: none), for tests that read what the gateway logs. */
  logger?: Logger
  /** Kysely plugins on every query (e.g. a QueryLog that counts them). */
  plugins?: KyselyPlugin[]
  /** The gateway's source of randomness, [0, 1) (e.g. the councilors' jitter). */
  random?: () => number
}

export function testConfig(env: Record<string, string> = {}, databaseUrl = 'sqlite::memory:'): Config {
  return loadConfig({ env: { LOG_LEVEL: 'silent', ...env, DATABASE_URL: databaseUrl }, cwd: '/nonexistent-config-dir' })
}

export async function buildTestApp(t: Pick<TestContext, 'after'>, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const { testApp, close } = await openTestApp(database, options)
  t.after(async () => {
    await close()
    await database.drop()
  })
  return testApp
}

/**
 * One database that gateways open in turn, as when a gateway stops and another starts on the
 * same data: `start` builds the next app on it. When the test ends every app is closed, then the
 * database is dropped.
 */
export async function restartableTestApp(t: Pick<TestContext, 'after'>): Promise<{ start(options?: TestAppOptions): Promise<TestApp> }> {
  const database = await createTestDatabase({ reopenable: true })
  const closers: Array<() => Promise<void>> = []
  t.after(async () => {
    for (const close of closers) await close()
    await database.drop()
  })
  return {
    async start(options = {}) {
      const { testApp, close } = await openTestApp(database, options)
      closers.push(close)
      return testApp
    },
  }
}

async function openTestApp(database: TestDatabase, options: TestAppOptions): Promise<{ testApp: TestApp; close(): Promise<void> }> {
  const config = testConfig(options.env, database.url)
  const deps = await createDeps(config, {
    ...(options.clock && { clock: options.clock }),
    ...(options.logger && { logger: options.logger }),
    ...(options.instanceHistory && { instanceHistory: options.instanceHistory }),
    ...(options.random && { random: options.random }),
    database: { ...(database.schema && { schema: database.schema }), poolSize: 4, ...(options.plugins && { plugins: options.plugins }) },
  })
  const app = await buildApp(deps, { logger: options.logger ?? false })
  await app.ready()
  deps.start()
  return {
    testApp: { app, deps, config },
    async close() {
      await app.close()
      await deps.close()
    },
  }
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current
  }
  advance(ms: number): void {
    this.current += ms
  }
}

/** Listens on a free local port; the app is closed by the test's `after` from buildTestApp. */
export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  return `http://127.0.0.1:${address.port}`
}
