import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { sql } from 'kysely'
import { createDataTransfer, DataTransferError } from '../src/modules/backup/data-transfer.js'
import { NOT_BACKED_UP } from '../src/modules/backup/table-catalog.js'
import { openDatabase } from '../src/platform/db/database.js'
import { migrateToLatest } from '../src/platform/db/migrate.js'
import { freshDatabase, postgresColumnsOfType, seedThroughApi, snapshotOf, tablesOf } from './helpers/data-snapshot.js'
import { runCli } from './helpers/gateway-process.js'
import { testDialect } from './helpers/test-database.js'

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'gw-backup-'))
}

async function database(t: TestContext, dialect = testDialect()) {
  const db = await freshDatabase(dialect)
  t.after(() => db.drop())
  return db.url
}

/** The data tables of a migrated database: every table but the ones a backup leaves out on purpose. */
async function dataTables(url: string): Promise<string[]> {
  return (await tablesOf(url)).filter((table) => !Object.hasOwn(NOT_BACKED_UP, table))
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').trimEnd().split('\n')
}

async function assertAllEmpty(url: string, tables: string[]) {
  const snapshot = await snapshotOf(url, tables)
  for (const table of tables) assert.equal(snapshot[table]!.length, 0, `${table} stayed empty`)
}

describe('backup and restore', () => {
  it('round-trips every table: restore gives the same rows, and a backup of the restored database is the same file', async (t) => {
    const source = await database(t)
    await seedThroughApi(source)
    const tables = await dataTables(source)
    assert.deepEqual(Object.keys(NOT_BACKED_UP).sort(), ['cluster_messages', 'schema_migrations'])
    const before = await snapshotOf(source, tables)
    for (const table of tables) assert.ok(before[table]!.length > 0, `the seed fills ${table} (add rows for a new table to seedThroughApi)`)

    const dir = tempDir()
    const file = path.join(dir, 'backup.jsonl')
    const backup = await createDataTransfer({ databaseUrl: source }).backup(file)
    assert.deepEqual(Object.keys(backup.tables).sort(), tables, 'every data table is in the backup')
    const headerTables = lines(file)
      .map((line) => JSON.parse(line))
      .filter((record) => !Array.isArray(record) && typeof record.table === 'string')
      .map((record) => record.table)
    assert.ok(headerTables.indexOf('conversations') < headerTables.indexOf('conversation_messages'), 'parents before children')

    const target = await database(t)
    const restored = await createDataTransfer({ databaseUrl: target }).restore(file)
    assert.equal(restored.rows, backup.rows)
    assert.deepEqual(await snapshotOf(target, tables), before)

    const again = path.join(dir, 'again.jsonl')
    await createDataTransfer({ databaseUrl: target }).backup(again)
    assert.deepEqual(lines(again).slice(1), lines(file).slice(1))
  })

  it('refuses a non-empty target, a schema of another version, a malformed line and a cut-short file, leaving the target unchanged', async (t) => {
    const source = await database(t)
    await seedThroughApi(source)
    const tables = await dataTables(source)
    const dir = tempDir()
    const file = path.join(dir, 'backup.jsonl')
    await createDataTransfer({ databaseUrl: source }).backup(file)
    const original = lines(file)

    const nonEmpty = createDataTransfer({ databaseUrl: source }).restore(file)
    await assert.rejects(
      nonEmpty,
      (err: Error) => err instanceof DataTransferError && /target database is not empty: table \w+ has \d+ rows/.test(err.message),
    )

    const target = await database(t)
    const restoreVariant = async (name: string, content: string[]) => {
      const variant = path.join(dir, name)
      writeFileSync(variant, `${content.join('\n')}\n`)
      return createDataTransfer({ databaseUrl: target }).restore(variant)
    }

    // A broken row late in the file: everything before it was inserted, then rolled back.
    const lastRow = original.length - 2
    const broken = [...original]
    broken[lastRow] = `${broken[lastRow]!.slice(0, -1)},`
    await assert.rejects(restoreVariant('broken.jsonl', broken), new RegExp(`^DataTransferError: line ${lastRow + 1}: not valid JSON`))
    await assertAllEmpty(target, tables)

    const wrongArity = [...original]
    wrongArity[lastRow] = '["too few"]'
    await assert.rejects(
      restoreVariant('arity.jsonl', wrongArity),
      new RegExp(`line ${lastRow + 1}: a row of table \\w+ has 1 values for \\d+ columns`),
    )

    // A row twice: the database refuses the second, and the refusal names where it is.
    const twice = [...original]
    twice.splice(lastRow, 0, original[lastRow]!)
    await assert.rejects(
      restoreVariant('twice.jsonl', twice),
      /^DataTransferError: lines \d+–\d+ \(table \w+\): the database refused a row among them: .*(UNIQUE|duplicate key)/,
    )
    await assertAllEmpty(target, tables)

    await assert.rejects(restoreVariant('cut.jsonl', original.slice(0, -1)), /ends at line \d+ without its end record: the file was cut short/)
    await assertAllEmpty(target, tables)

    const header = JSON.parse(original[0]!)
    const newer = [JSON.stringify({ ...header, migrations: [...header.migrations, '099-future'] }), ...original.slice(1)]
    await assert.rejects(
      restoreVariant('newer.jsonl', newer),
      /schema version mismatch: the backup was made by a newer gateway \(migrations 099-future/,
    )
    const older = [JSON.stringify({ ...header, migrations: header.migrations.slice(0, -1) }), ...original.slice(1)]
    await assert.rejects(restoreVariant('older.jsonl', older), /schema version mismatch: the backup predates migrations/)

    await assert.rejects(restoreVariant('other.jsonl', ['{"hello":1}']), /^DataTransferError: line 1: not a conductor-gateway backup/)
    await assertAllEmpty(target, tables)

    // The same file, untouched, still restores.
    const restored = await createDataTransfer({ databaseUrl: target }).restore(file)
    assert.ok(restored.rows > 0)
  })

  it('takes a table a later migration adds along with no code change', async (t) => {
    const source = await database(t)
    const target = await database(t)
    for (const url of [source, target]) {
      const db = openDatabase(url, { poolSize: 1 })
      await migrateToLatest(db)
      await sql`create table later_things (id text primary key, note text, flag boolean not null, at bigint)`.execute(db.db)
      if (url === source) await sql`insert into later_things values ('a', 'first', ${true}, 1), ('b', null, ${false}, 2)`.execute(db.db)
      await db.close()
    }
    const file = path.join(tempDir(), 'later.jsonl')
    const backup = await createDataTransfer({ databaseUrl: source }).backup(file)
    assert.equal(backup.tables.later_things, 2)
    await createDataTransfer({ databaseUrl: target }).restore(file)
    const normalise = { boolColumns: new Map([['later_things', new Set(['flag'])]]) }
    assert.deepEqual(await snapshotOf(target, ['later_things'], normalise), await snapshotOf(source, ['later_things'], normalise))
  })

  it('migrate-storage moves everything SQLite → PostgreSQL → SQLite with the same rows', { skip: testDialect() !== 'postgres' }, async (t) => {
    const first = await database(t, 'sqlite')
    await seedThroughApi(first)
    const middle = await database(t, 'postgres')
    const last = await database(t, 'sqlite')
    const tables = await dataTables(first)

    const toPostgres = await createDataTransfer({ databaseUrl: first }).migrateStorage(first, middle)
    assert.deepEqual(Object.keys(toPostgres.tables).sort(), tables)
    const back = await createDataTransfer({ databaseUrl: middle }).migrateStorage(middle, last)
    assert.deepEqual(back.tables, toPostgres.tables)

    // SQLite stores JSON as text and booleans as 0/1: compare them by meaning, the rest as they are.
    const normalise = { jsonColumns: await postgresColumnsOfType(middle, 'jsonb'), boolColumns: await postgresColumnsOfType(middle, 'boolean') }
    const expected = await snapshotOf(first, tables, normalise)
    assert.deepEqual(await snapshotOf(last, tables, normalise), expected)
    for (const table of tables) assert.ok(expected[table]!.length > 0, table)

    // PostgreSQL holds the same rows: counts per table match.
    const inPostgres = await snapshotOf(middle, tables)
    for (const table of tables) assert.equal(inPostgres[table]!.length, expected[table]!.length, table)

    await assert.rejects(createDataTransfer({ databaseUrl: first }).migrateStorage(first, middle), /target database is not empty/)
  })
})

describe('conductor-gateway backup / restore / migrate-storage', () => {
  it('backs up, refuses to restore into a non-empty database with exit code 1, restores into a new one', async (t) => {
    const cwd = tempDir()
    const source = await database(t)
    await seedThroughApi(source)
    const file = path.join(cwd, 'out.jsonl')
    const backup = await runCli(['backup', file], { cwd, env: { DATABASE_URL: source } })
    assert.equal(backup.code, 0, backup.stderr)
    assert.match(backup.stdout, /^backed up \d+ rows of \d+ tables to .*out\.jsonl/)
    assert.match(backup.stdout, /\n {2}runs +[1-9]\d*\n/)
    assert.equal(backup.stderr, '', 'no progress bar when stderr is not a terminal')

    const refused = await runCli(['restore', file], { cwd, env: { DATABASE_URL: source } })
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /^conductor-gateway: the target database is not empty: table \w+ has \d+ rows/)

    const target = await database(t)
    const restored = await runCli(['restore', file], { cwd, env: { DATABASE_URL: target } })
    assert.equal(restored.code, 0, restored.stderr)
    assert.match(restored.stdout, /^restored \d+ rows of \d+ tables from/)

    const usage = await runCli(['migrate-storage', '--from', source], { cwd })
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /migrate-storage needs --from URL and --to URL/)
    const down = await runCli(['migrate-storage', '--from', source, '--to', 'postgres://postgres@127.0.0.1:1/nothing'], { cwd })
    assert.equal(down.code, 1)
    assert.match(down.stderr, /^conductor-gateway: cannot reach the database: connect ECONNREFUSED/)
    const missing = await runCli(['backup', path.join(cwd, 'x.jsonl')], { cwd, env: { DATABASE_URL: `sqlite:${path.join(cwd, 'none.db')}` } })
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /no SQLite database at/)
  })
})
