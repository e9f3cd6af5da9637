import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openSqlite, withUnplannedLimits } from './sqlite.js'

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

  it('binds a LIMIT when the statement runs, not when SQLite plans it (which would compile it again on every run)', () => {
    assert.equal(withUnplannedLimits('select v from t order by v limit ? offset ?'), 'select v from t order by v limit cast(? as integer) offset ?')
    assert.equal(withUnplannedLimits('select v from t limit 5'), 'select v from t limit 5')
    const { database } = openSqlite(':memory:')
    try {
      database.prepare('create table t (v integer)').run([])
      database.prepare('insert into t (v) values (1), (2), (3)').run([])
      const page = database.prepare('select v from t order by v limit ? offset ?')
      assert.match((page as unknown as { source: string }).source, /limit cast\(\? as integer\) offset \?$/)
      assert.deepEqual(page.all([2, 0]), [{ v: 1 }, { v: 2 }])
      assert.deepEqual(page.all([2, 2]), [{ v: 3 }])
      assert.deepEqual(page.all([-1, 1]), [{ v: 2 }, { v: 3 }], 'a negative limit is none, as before')
      assert.deepEqual(page.all([0, 0]), [])
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
