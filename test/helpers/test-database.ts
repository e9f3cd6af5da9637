// Which database the suite runs on: SQLite always; PostgreSQL when the runner sets
// TEST_DIALECT=postgres (it does so when TEST_DATABASE_URL is set). Each PostgreSQL user of the
// suite gets its own schema, dropped afterwards, so test files can run in parallel.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'

export type TestDialect = 'sqlite' | 'postgres'

export function testDialect(): TestDialect {
  return process.env.TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite'
}

export interface TestDatabase {
  url: string
  schema?: string
  drop(): Promise<void>
}

/**
 * A fresh database. `reopenable`: one that outlives its connections (SQLite in a file rather than
 * in memory), for tests that stop a gateway and start another on the same data.
 */
export async function createTestDatabase(options: { reopenable?: boolean } = {}): Promise<TestDatabase> {
  if (testDialect() === 'sqlite') {
    if (!options.reopenable) return { url: 'sqlite::memory:', drop: async () => {} }
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-test-db-'))
    return { url: `sqlite:${path.join(dir, 'gateway.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) }
  }
  const url = process.env.TEST_DATABASE_URL
  if (!url) throw new Error('TEST_DIALECT=postgres needs TEST_DATABASE_URL')
  const schema = `t_${randomBytes(6).toString('hex')}`
  await withClient(url, (client) => client.query(`create schema ${schema}`))
  return {
    url,
    schema,
    drop: () => withClient(url, (client) => client.query(`drop schema if exists ${schema} cascade`)).then(() => {}),
  }
}

/** A URL whose connections land in `schema` (for child processes that only take DATABASE_URL). */
export function urlWithSchema(url: string, schema: string): string {
  const u = new URL(url)
  u.searchParams.set('options', `-c search_path=${schema}`)
  return u.toString()
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}
