import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { buildApp } from '../../app.js'
import { createDeps } from '../../deps.js'
import { buildTestApp, ManualClock, testConfig } from '../../../test/helpers/build-test-app.js'
import { createAgent, PERSONA } from '../../../test/helpers/agent-factories.js'
import { createTestDatabase, testDialect } from '../../../test/helpers/test-database.js'

const base = '/api/agents/Helper_Agent/persona/versions'
const V2 = '# Persona: Helper\n\nYou help engineers.\nYou answer in English.'
const V3 = '# Persona: Helper\n\nYou help engineers.\nYou answer in Portuguese.\nYou cite sources.'

/** An agent whose persona has versions 1 (PERSONA), 2 (V2) and 3 (V3), an hour apart. */
async function setup(t: TestContext) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock })
  await createAgent(app)
  for (const content of [V2, V3]) {
    clock.advance(3_600_000)
    const res = await app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent/persona/permanent', payload: { content, reason: 'edit' } })
    assert.equal(res.statusCode, 200)
  }
  return { app, deps, clock }
}

describe('POST …/persona/versions', () => {
  it('records content as the next version, which becomes the persona', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({
      method: 'POST',
      url: base,
      payload: { data: { content: '# Four\n\nFourth persona text.' }, created_by: 'alice', change_description: 'rewrite', metadata: { ticket: 7 } },
    })
    assert.equal(res.statusCode, 201)
    const body = res.json()
    assert.deepEqual(
      [body.version, body.created_by, body.change_description, body.metadata, body.data.content],
      [4, 'alice', 'rewrite', { ticket: 7 }, '# Four\n\nFourth persona text.'],
    )
    assert.equal((await app.inject({ url: '/api/agents/Helper_Agent/persona' })).json().persona_content, '# Four\n\nFourth persona text.')
  })

  it('answers 409 when the expected version is not the next one, and leaves no trace', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: base, payload: { content: '# Stale\n\nwritten from version 2', version: 3 } })
    assert.equal(res.statusCode, 409)
    assert.equal(res.json().detail, "Version 3 cannot be created: the next version of agent 'Helper_Agent' is 4")
    assert.equal((await app.inject({ url: `${base}/stats` })).json().total_versions, 3)
    const next = await app.inject({ method: 'POST', url: base, payload: { content: '# Fresh\n\nnext one', version: 4 } })
    assert.equal(next.json().version, 4)
  })

  it('numbers concurrent writes 1..n without gaps or collisions', async (t) => {
    const { app } = await buildTestApp(t)
    await createAgent(app, { persona_content: undefined })
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => app.inject({ method: 'POST', url: base, payload: { content: `# Persona ${i}\n\nParallel write ${i}` } })),
    )
    assert.deepEqual(
      results.map((r) => r.statusCode),
      Array(20).fill(201),
    )
    assert.deepEqual(
      results.map((r) => r.json().version).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    )
  })

  it('answers 422 without content, 404 for an unknown agent', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: base, payload: { created_by: 'x' } })
    assert.equal(res.statusCode, 422)
    assert.match(res.json().detail, /body\.content: content \(or data\.content\) is required/)
    assert.equal((await app.inject({ method: 'POST', url: '/api/agents/Nobody/persona/versions', payload: { content: PERSONA } })).statusCode, 404)
  })
})

describe('GET …/persona/versions', () => {
  it('pages and sorts the history', async (t) => {
    const { app } = await setup(t)
    const page = (await app.inject({ url: `${base}?per_page=2` })).json()
    assert.deepEqual(
      page.versions.map((v: { version: number }) => v.version),
      [3, 2],
    )
    assert.deepEqual([page.total, page.page, page.per_page, page.total_pages], [3, 1, 2, 2])
    const asc = (await app.inject({ url: `${base}?sort_by=timestamp&sort_order=asc` })).json()
    assert.deepEqual(
      asc.versions.map((v: { version: number }) => v.version),
      [1, 2, 3],
    )
    assert.equal(asc.versions[1].timestamp, '2026-01-01T01:00:00.000Z')
  })

  it('also sorts by created_at and updated_at, as the original accepted', async (t) => {
    const { app, clock } = await setup(t)
    clock.advance(3_600_000)
    await app.inject({ method: 'PUT', url: `${base}/1`, payload: { change_description: 'annotated last' } })
    const byUpdate = (await app.inject({ url: `${base}?sort_by=updated_at` })).json()
    assert.deepEqual(
      byUpdate.versions.map((v: { version: number }) => v.version),
      [1, 3, 2],
    )
    const byCreation = (await app.inject({ url: `${base}?sort_by=created_at&sort_order=asc` })).json()
    assert.deepEqual(
      byCreation.versions.map((v: { version: number }) => v.version),
      [1, 2, 3],
    )
  })

  it('answers 422 for unknown sort values and 404 for an unknown agent', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ url: `${base}?sort_by=size` })).statusCode, 422)
    assert.equal((await app.inject({ url: `${base}?sort_order=up` })).statusCode, 422)
    assert.equal((await app.inject({ url: '/api/agents/Nobody/persona/versions' })).statusCode, 404)
  })
})

describe('GET …/persona/versions/{version}', () => {
  it('answers one version; 404 when missing, 422 when not a number', async (t) => {
    const { app } = await setup(t)
    const v2 = (await app.inject({ url: `${base}/2` })).json()
    assert.deepEqual([v2.version, v2.data.content, v2.created_by], [2, V2, 'web-client'])
    const missing = await app.inject({ url: `${base}/9` })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().detail, "Version 9 not found for agent 'Helper_Agent'")
    assert.equal((await app.inject({ url: `${base}/abc` })).statusCode, 422)
    assert.equal((await app.inject({ url: `${base}/0` })).statusCode, 422)
  })

  it('answers 422, not a database error, for version numbers beyond 32 bits', async (t) => {
    const { app } = await setup(t)
    const huge = 2 ** 31
    const requests = [
      { method: 'GET', url: `${base}/${huge}` },
      { method: 'GET', url: `${base}/99999999999999999999999` },
      { method: 'PUT', url: `${base}/${huge}`, payload: { change_description: 'x' } },
      { method: 'DELETE', url: `${base}/${huge}` },
      { method: 'GET', url: `${base}/range?from_version=1&to_version=${huge}` },
      { method: 'POST', url: `${base}/compare`, payload: { version1: 1, version2: huge } },
      { method: 'POST', url: `${base}/restore`, payload: { version: huge } },
      { method: 'POST', url: base, payload: { content: '# Next\n\nText.', version: huge } },
    ] as const
    for (const request of requests) {
      const res = await app.inject(request)
      assert.equal(res.statusCode, 422, `${request.method} ${request.url}: ${res.body}`)
      assert.match(res.json().detail, /must be at most 2147483647/)
    }
    assert.equal((await app.inject({ url: `${base}/stats` })).json().total_versions, 3)
  })
})

describe('PUT …/persona/versions/{version}', () => {
  it('edits metadata and change description, never the content', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({
      method: 'PUT',
      url: `${base}/1`,
      payload: { metadata: { note: 'original' }, change_description: 'first draft', content: 'ignored' },
    })
    assert.equal(res.statusCode, 200)
    assert.deepEqual([res.json().metadata, res.json().change_description, res.json().data.content], [{ note: 'original' }, 'first draft', PERSONA])
    assert.equal((await app.inject({ method: 'PUT', url: `${base}/9`, payload: {} })).statusCode, 404)
  })
})

describe('DELETE …/persona/versions/{version}', () => {
  it('deletes an old version; the current one is refused with 409', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'DELETE', url: `${base}/1` })
    assert.deepEqual(res.json(), { message: 'Version 1 removed' })
    assert.equal((await app.inject({ method: 'DELETE', url: `${base}/1` })).statusCode, 404)
    const current = await app.inject({ method: 'DELETE', url: `${base}/3` })
    assert.equal(current.statusCode, 409)
    assert.equal(current.json().detail, "Version 3 is the current persona of agent 'Helper_Agent' and cannot be deleted")
    assert.equal((await app.inject({ url: '/api/agents/Helper_Agent/persona' })).json().persona_content, V3)
  })

  it('deletes the newest version once the persona itself was deleted (it is no longer current)', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ method: 'DELETE', url: '/api/agents/Helper_Agent/persona' })).statusCode, 204)
    assert.deepEqual((await app.inject({ method: 'DELETE', url: `${base}/3` })).json(), { message: 'Version 3 removed' })
    const next = await app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent/persona/permanent', payload: { content: V3 } })
    assert.equal(next.json().version, 4, 'numbers are never reused')
  })
})

describe('POST …/persona/versions/compare', () => {
  it('answers a line diff the UI can show', async (t) => {
    const { app } = await setup(t)
    const body = (await app.inject({ method: 'POST', url: `${base}/compare`, payload: { version1: 2, version2: 3 } })).json()
    assert.deepEqual(body.differences, [
      { type: 'unchanged', content: '# Persona: Helper' },
      { type: 'unchanged', content: '' },
      { type: 'unchanged', content: 'You help engineers.' },
      { type: 'removed', content: 'You answer in English.' },
      { type: 'added', content: 'You answer in Portuguese.' },
      { type: 'added', content: 'You cite sources.' },
    ])
    assert.deepEqual(body.summary, {
      total_lines_v1: 4,
      total_lines_v2: 5,
      added_lines: 2,
      removed_lines: 1,
      unchanged_lines: 3,
      change_percentage: 33.33,
    })
  })

  it('answers 404 for a missing version and 422 for a bad body', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ method: 'POST', url: `${base}/compare`, payload: { version1: 1, version2: 8 } })).statusCode, 404)
    assert.equal((await app.inject({ method: 'POST', url: `${base}/compare`, payload: { version1: 0, version2: 1 } })).statusCode, 422)
  })
})

describe('POST …/persona/versions/restore', () => {
  it('makes an old version current again as a new version', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: `${base}/restore`, payload: { version: 1 } })
    assert.deepEqual(res.json(), {
      success: true,
      message: 'Version 1 restored as version 4',
      restored_version: 1,
      new_version: 4,
      backup_created: true,
      previous_version: 3,
    })
    assert.equal((await app.inject({ url: '/api/agents/Helper_Agent/persona' })).json().persona_content, PERSONA)
    const v4 = (await app.inject({ url: `${base}/4` })).json()
    assert.deepEqual([v4.change_description, v4.metadata], ['Restored from version 1', { restored_from: 1 }])
    assert.equal((await app.inject({ method: 'POST', url: `${base}/restore`, payload: { version: 42 } })).statusCode, 404)
  })

  it('survives a restart: history and the restored persona are read back from the database', async (t) => {
    const database =
      testDialect() === 'sqlite'
        ? { url: `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'gw-personas-')), 'gw.db')}`, drop: async () => {} }
        : await createTestDatabase()
    t.after(() => database.drop())
    const open = async () => {
      const deps = await createDeps(testConfig({}, database.url), {
        database: { ...('schema' in database && database.schema && { schema: database.schema }), poolSize: 2 },
      })
      const app = await buildApp(deps)
      return {
        app,
        close: async () => {
          await app.close()
          await deps.close()
        },
      }
    }
    let gateway = await open()
    await createAgent(gateway.app)
    await gateway.app.inject({ method: 'PUT', url: '/api/agents/Helper_Agent/persona/permanent', payload: { content: V2 } })
    await gateway.close()

    gateway = await open()
    try {
      assert.equal((await gateway.app.inject({ url: `${base}/stats` })).json().total_versions, 2)
      const restored = await gateway.app.inject({ method: 'POST', url: `${base}/restore`, payload: { version: 1 } })
      assert.equal(restored.json().new_version, 3)
    } finally {
      await gateway.close()
    }

    gateway = await open()
    try {
      assert.equal((await gateway.app.inject({ url: '/api/agents/Helper_Agent/persona' })).json().persona_content, PERSONA)
      const history = (await gateway.app.inject({ url: `${base}?sort_order=asc` })).json()
      assert.deepEqual(
        history.versions.map((v: { data: { content: string } }) => v.data.content),
        [PERSONA, V2, PERSONA],
      )
    } finally {
      await gateway.close()
    }
  })
})

describe('GET …/persona/versions/stats', () => {
  it('reports count, dates, rate and storage', async (t) => {
    const { app, clock } = await setup(t)
    clock.advance(22 * 3_600_000)
    const body = (await app.inject({ url: `${base}/stats` })).json()
    assert.deepEqual(body, {
      agent_id: 'Helper_Agent',
      total_versions: 3,
      latest_version: 3,
      first_version_date: '2026-01-01T00:00:00.000Z',
      last_version_date: '2026-01-01T02:00:00.000Z',
      average_versions_per_day: 3,
      storage_size_bytes: Buffer.byteLength(PERSONA + V2 + V3),
    })
  })

  it('answers zeros for an agent without versions', async (t) => {
    const { app } = await buildTestApp(t)
    await createAgent(app, { persona_content: undefined })
    const body = (await app.inject({ url: `${base}/stats` })).json()
    assert.deepEqual([body.total_versions, body.latest_version, body.first_version_date, body.average_versions_per_day], [0, null, null, 0])
  })
})

describe('POST …/persona/versions/cleanup', () => {
  it('keeps the newest versions, the current one always among them', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: `${base}/cleanup?keep_versions=2` })
    assert.deepEqual(res.json(), { message: 'Cleanup finished: 1 versions removed', deleted_count: 1, keep_versions: 2 })
    const one = (await app.inject({ method: 'POST', url: `${base}/cleanup?keep_versions=1` })).json()
    assert.equal(one.deleted_count, 1)
    assert.deepEqual(
      (await app.inject({ url: base })).json().versions.map((v: { version: number }) => v.version),
      [3],
    )
    assert.equal((await app.inject({ method: 'POST', url: `${base}/cleanup?keep_versions=5` })).json().deleted_count, 0)
    assert.equal((await app.inject({ method: 'POST', url: `${base}/cleanup?keep_versions=0` })).statusCode, 422)
    assert.equal((await app.inject({ method: 'POST', url: `${base}/cleanup?keep_versions=1001` })).statusCode, 422)
  })
})

describe('GET …/persona/versions/latest and /first', () => {
  it('answer the newest and oldest version; 404 without versions', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ url: `${base}/latest` })).json().version, 3)
    assert.equal((await app.inject({ url: `${base}/first` })).json().version, 1)
    await app.inject({ method: 'POST', url: '/api/agents', payload: { name: 'Empty_Agent', description: 'Has no persona at all' } })
    const none = await app.inject({ url: '/api/agents/Empty_Agent/persona/versions/latest' })
    assert.equal(none.statusCode, 404)
    assert.equal(none.json().detail, "Agent 'Empty_Agent' has no persona versions")
    assert.equal((await app.inject({ url: '/api/agents/Empty_Agent/persona/versions/first' })).statusCode, 404)
  })
})

describe('GET …/persona/versions/range', () => {
  it('answers the versions in the range, oldest first', async (t) => {
    const { app } = await setup(t)
    const body = (await app.inject({ url: `${base}/range?from_version=2&to_version=5` })).json()
    assert.deepEqual([body.from_version, body.to_version, body.count], [2, 5, 2])
    assert.deepEqual(
      body.versions.map((v: { version: number }) => v.version),
      [2, 3],
    )
  })

  it('answers 400 when from > to and 422 for missing or malformed bounds', async (t) => {
    const { app } = await setup(t)
    const reversed = await app.inject({ url: `${base}/range?from_version=3&to_version=1` })
    assert.equal(reversed.statusCode, 400)
    assert.equal(reversed.json().detail, 'from_version must be less than or equal to to_version')
    const missing = await app.inject({ url: `${base}/range?from_version=1` })
    assert.equal(missing.statusCode, 422)
    assert.match(missing.json().detail, /query\.to_version: is required/)
    assert.equal((await app.inject({ url: `${base}/range?from_version=a&to_version=2` })).statusCode, 422)
  })
})

describe('OpenAPI document', () => {
  it('lists every literal version sub-path as its own operation next to {version}', async (t) => {
    const { app } = await buildTestApp(t)
    const paths = (await app.inject({ url: '/openapi.json' })).json().paths
    const versions = '/api/agents/{agent_id}/persona/versions'
    for (const sub of ['stats', 'latest', 'first', 'range']) assert.ok(paths[`${versions}/${sub}`]?.get, sub)
    for (const sub of ['compare', 'restore', 'cleanup']) assert.ok(paths[`${versions}/${sub}`]?.post, sub)
    assert.deepEqual(Object.keys(paths[`${versions}/{version}`]).sort(), ['delete', 'get', 'put'])
    assert.ok(paths['/api/agents/instances/{instance_id}/statistics'].patch)
    assert.ok(paths['/api/agents/suggest'].post.responses['200'])
  })
})
