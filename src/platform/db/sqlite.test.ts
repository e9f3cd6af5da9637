import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openSqlite } from './sqlite.js'

describe('SQLite statements (the adapter under Kysely)', () => {
  it('answers rows as objects keyed by column, whatever the names, as better-sqlite3 would', () => {
    const { database, raw } = openSqlite(':memory:')
    try {
      const statement = database.prepare(`select 1 as a, 2 as a, 'x' as "we""ird", ? as flag, null as "nothing"`)
      assert.equal(statement.reader, true)
      const expected = [{ a: 2, 'we"ird': 'x', flag: 1, nothing: null }]
      assert.deepEqual(statement.all([true]), expected)
      assert.deepEqual([...statement.iterate([true])], expected)
      assert.deepEqual(raw.prepare(`select 1 as a, 2 as a, 'x' as "we""ird", 1 as flag, null as "nothing"`).all(), expected)
    } finally {
      database.close()
    }
  })

  it('runs writes and answers their changes', () => {
    const { database } = openSqlite(':memory:')
    try {
      database.prepare('create table t (v integer)').run([])
      const insert = database.prepare('insert into t (v) values (?), (?)')
      assert.equal(insert.reader, false)
      assert.equal(Number(insert.run([false, true]).changes), 2)
      assert.deepEqual(database.prepare('select v from t order by v').all([]), [{ v: 0 }, { v: 1 }])
    } finally {
      database.close()
    }
  })
})
