// The kept answers of GET /api/screenplays and /{id} (embedded profile): a repeated read is served
// without asking the service, and every way a screenplay changes shows in the next read.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, it, type TestContext } from 'node:test'
import BetterSqlite3 from 'better-sqlite3'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, restartableTestApp, type TestApp } from '../../../test/helpers/build-test-app.js'
import { testDialect } from '../../../test/helpers/test-database.js'
import { OUTSIDE_CHECK_MS } from '../../platform/http/answer-cache.js'

const onSqlite = testDialect() === 'sqlite'

/** Counts the reads that reach the service. */
function countReads({ deps }: TestApp): { list: number; get: number } {
  const counts = { list: 0, get: 0 }
  const { screenplays } = deps
  const list = screenplays.list.bind(screenplays)
  const get = screenplays.get.bind(screenplays)
  screenplays.list = (input) => {
    counts.list++
    return list(input)
  }
  screenplays.get = (id, options) => {
    counts.get++
    return get(id, options)
  }
  return counts
}

async function create(app: FastifyInstance, name: string) {
  const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name, content: `# ${name}` } })
  assert.equal(res.statusCode, 201, res.body)
  return res.json() as { id: string }
}

async function read(app: FastifyInstance, url: string) {
  const res = await app.inject({ method: 'GET', url })
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() }
}

const names = async (app: FastifyInstance) => (await read(app, '/api/screenplays')).body.items.map((s: { name: string }) => s.name)

describe('kept screenplay answers', () => {
  it('serves a repeated read without the service on SQLite, and asks every time on PostgreSQL', async (t) => {
    const testApp = await buildTestApp(t)
    const { app } = testApp
    const { id } = await create(app, 'One')
    const counts = countReads(testApp)
    const first = await read(app, `/api/screenplays/${id}`)
    const again = await read(app, `/api/screenplays/${id}`)
    await read(app, '/api/screenplays?limit=5')
    await read(app, '/api/screenplays?limit=5')
    assert.deepEqual(again, first)
    assert.equal(again.type, 'application/json; charset=utf-8')
    assert.deepEqual(counts, onSqlite ? { list: 1, get: 1 } : { list: 2, get: 2 })
  })

  it('asks every time with database.read_cache off', async (t) => {
    const testApp = await buildTestApp(t, { env: { READ_CACHE: 'false' } })
    const counts = countReads(testApp)
    await read(testApp.app, '/api/screenplays')
    await read(testApp.app, '/api/screenplays')
    assert.equal(counts.list, 2)
  })

  it('shows every change through the API in the next read', async (t) => {
    const { app } = await buildTestApp(t)
    const a = await create(app, 'A')
    assert.deepEqual(await names(app), ['A'])
    const b = await create(app, 'B')
    assert.deepEqual(await names(app), ['B', 'A'])

    assert.equal((await read(app, `/api/screenplays/${a.id}`)).body.content, '# A')
    await app.inject({ method: 'PUT', url: `/api/screenplays/${a.id}`, payload: { content: '# A, second draft' } })
    assert.equal((await read(app, `/api/screenplays/${a.id}`)).body.content, '# A, second draft')

    await app.inject({ method: 'PATCH', url: `/api/screenplays/${a.id}/mark-as-used` })
    assert.deepEqual(await names(app), ['A', 'B'])

    await app.inject({ method: 'PUT', url: `/api/screenplays/${b.id}/rename`, payload: { new_name: 'B2' } })
    assert.deepEqual(await names(app), ['A', 'B2'])

    assert.equal((await app.inject({ method: 'DELETE', url: `/api/screenplays/${a.id}` })).statusCode, 204)
    assert.deepEqual(await names(app), ['B2'])
    assert.equal((await read(app, `/api/screenplays/${a.id}`)).status, 404)
    assert.equal((await read(app, `/api/screenplays/${a.id}?include_deleted=true`)).body.isDeleted, true)

    await app.inject({ method: 'POST', url: `/api/screenplays/${a.id}/restore` })
    assert.equal((await read(app, `/api/screenplays/${a.id}`)).status, 200)
    assert.deepEqual(await names(app), ['A', 'B2'])
  })

  it('keeps no error: a screenplay created after a 404 is found', async (t) => {
    const testApp = await buildTestApp(t)
    const counts = countReads(testApp)
    assert.equal((await read(testApp.app, '/api/screenplays/0123456789abcdef01234567')).status, 404)
    assert.equal((await read(testApp.app, '/api/screenplays/0123456789abcdef01234567')).status, 404)
    assert.equal(counts.get, 2)
  })

  it('shows another process’s write to the SQLite file within the outside check', { skip: !onSqlite }, async (t: TestContext) => {
    const db = await restartableTestApp(t)
    const { app, config } = await db.start()
    const { id } = await create(app, 'Before')
    assert.equal((await read(app, `/api/screenplays/${id}`)).body.name, 'Before')
    assert.deepEqual(await names(app), ['Before'])

    const other = new BetterSqlite3(config.database.url.slice('sqlite:'.length))
    t.after(() => other.close())
    other.prepare('update screenplays set name = ? where id = ?').run('After', id)
    await sleep(OUTSIDE_CHECK_MS + 20)

    assert.equal((await read(app, `/api/screenplays/${id}`)).body.name, 'After')
    assert.deepEqual(await names(app), ['After'])
  })
})
