// The real app over a fresh database, closed when the test ends.
import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { buildApp } from '../../src/app.js'
import { loadConfig, type Config } from '../../src/config.js'
import { createDeps, type Deps } from '../../src/deps.js'
import type { InstanceHistorySource } from '../../src/modules/instances/instance-history.js'
import type { Clock } from '../../src/platform/clock.js'
import { createTestDatabase } from './test-database.js'

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
}

export function testConfig(env: Record<string, string> = {}, databaseUrl = 'sqlite::memory:'): Config {
  return loadConfig({ env: { LOG_LEVEL: 'silent', ...env, DATABASE_URL: databaseUrl }, cwd: '/nonexistent-config-dir' })
}

export async function buildTestApp(t: Pick<TestContext, 'after'>, options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase()
  const config = testConfig(options.env, database.url)
  const deps = await createDeps(config, {
    ...(options.clock && { clock: options.clock }),
    ...(options.instanceHistory && { instanceHistory: options.instanceHistory }),
    database: { ...(database.schema && { schema: database.schema }), poolSize: 4 },
  })
  const app = await buildApp(deps, { logger: options.logger ?? false })
  await app.ready()
  deps.start()
  t.after(async () => {
    await app.close()
    await deps.close()
    await database.drop()
  })
  return { app, deps, config }
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
