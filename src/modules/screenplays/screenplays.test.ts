import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'

async function createScreenplay(app: FastifyInstance, body: Record<string, unknown> = {}) {
  const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'My play', ...body } })
  assert.equal(res.statusCode, 201, res.body)
  return res.json()
}

async function setup(t: TestContext, env?: Record<string, string>) {
  const clock = new ManualClock()
  const { app, deps } = await buildTestApp(t, { clock, ...(env && { env }) })
  return { app, deps, clock }
}

describe('POST /api/screenplays', () => {
  it('creates from the desktop client body (no working directory, empty content)', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'Novo', content: '', description: 'first' } })
    assert.equal(res.statusCode, 201)
    const body = res.json()
    assert.match(body.id, /^[0-9a-f]{24}$/)
    assert.equal(body.name, 'Novo')
    assert.equal(body.description, 'first')
    assert.equal(body.content, '# Novo Roteiro\n\nComece a escrever seu roteiro aqui...')
    assert.equal(body.version, 1)
    assert.equal(body.isDeleted, false)
    assert.equal(body.workingDirectory, null)
    assert.deepEqual(body.tags, [])
    assert.equal(body.createdAt, body.lastUsedAt)
  })

  it('stores the content it is sent', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app, { content: '# Plan\n\nDo the thing.' })
    const res = await app.inject({ url: `/api/screenplays/${created.id}` })
    assert.equal(res.json().content, '# Plan\n\nDo the thing.')
  })

  it('accepts the working directory under either key and normalises it', async (t) => {
    const { app } = await setup(t)
    const snake = await createScreenplay(app, { working_directory: '/home/u/../u/project/' })
    const camel = await createScreenplay(app, { name: 'Other', workingDirectory: '/srv//app' })
    assert.equal(snake.workingDirectory, '/home/u/project')
    assert.equal(snake.working_directory, '/home/u/project')
    assert.equal(camel.workingDirectory, '/srv/app')
  })

  it('refuses a relative working directory with 400', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', working_directory: 'relative/dir' } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().detail, 'working_directory must be an absolute path (start with /)')
  })

  it('refuses a working directory that escapes the allowed roots', async (t) => {
    const { app } = await setup(t, { ALLOWED_ROOTS: '/srv/work' })
    const escaping = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', working_directory: '/srv/work/../secrets' } })
    assert.equal(escaping.statusCode, 400)
    assert.match(escaping.json().detail, /outside the allowed roots/)
    const inside = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', working_directory: '/srv/work/a' } })
    assert.equal(inside.statusCode, 201)
  })

  it('answers 422 with a readable detail when the name is missing', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { description: 'no name' } })
    assert.equal(res.statusCode, 422)
    assert.equal(typeof res.json().detail, 'string')
    assert.match(res.json().detail, /body\.name: is required/)
    assert.deepEqual(res.json().errors[0].loc, ['body', 'name'])
  })

  it('names the invalid character in a name', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'a<b' } })
    assert.equal(res.statusCode, 422)
    assert.match(res.json().detail, /contains invalid character: </)
  })

  it('rejects over-long names and blank names', async (t) => {
    const { app } = await setup(t)
    for (const name of ['x'.repeat(201), '   ']) {
      const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name } })
      assert.equal(res.statusCode, 422, name)
    }
  })

  it('sanitises file paths and derives the file key', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app, { file_path: '  folder\\plan.md  ' })
    assert.equal(created.filePath, 'folder/plan.md')
    const check = await app.inject({
      method: 'POST',
      url: '/api/screenplays/check-duplicate',
      payload: { file_path: 'folder/plan.md', file_name: 'plan' },
    })
    assert.equal(check.json().file_key, created.fileKey)
    assert.equal(created.fileKey.length, 44)
  })

  it('refuses unsafe or non-markdown paths with 400', async (t) => {
    const { app } = await setup(t)
    const traversal = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', filePath: '../etc/passwd.md' } })
    assert.equal(traversal.statusCode, 400)
    assert.equal(traversal.json().detail, 'File path validation failed: Invalid file_path: ../etc/passwd.md')
    const text = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', import_path: 'notes.txt' } })
    assert.equal(text.json().detail, 'File path validation failed: Import file must have .md or .markdown extension: notes.txt')
  })

  it('answers 409 when a live screenplay already has that file', async (t) => {
    const { app } = await setup(t)
    await createScreenplay(app, { file_path: 'a/b.md' })
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'dup', file_path: 'a/b.md' } })
    assert.equal(res.statusCode, 409)
    assert.equal(res.json().detail, "Screenplay for path 'a/b.md' already exists")
  })

  it('refuses content whose markdown is broken', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', content: '```\nunclosed' } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().detail, 'Markdown validation failed: Unclosed code block detected')
  })

  it('answers 4xx for malformed JSON, a non-object body, a wrong content type and an oversized body', async (t) => {
    const { app } = await setup(t, { BODY_LIMIT_BYTES: '2000' })
    const malformed = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    })
    assert.equal(malformed.statusCode, 400)
    assert.match(malformed.json().detail, /not valid JSON/)
    const array = await app.inject({ method: 'POST', url: '/api/screenplays', payload: [1, 2] })
    assert.equal(array.statusCode, 422)
    const text = await app.inject({ method: 'POST', url: '/api/screenplays', headers: { 'content-type': 'text/plain' }, payload: 'name=x' })
    assert.equal(text.statusCode, 415)
    assert.match(text.json().detail, /Unsupported content type/)
    const huge = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'x', content: 'y'.repeat(5000) } })
    assert.equal(huge.statusCode, 413)
    assert.equal(huge.json().detail, 'Request body is too large (limit 2000 bytes)')
  })
})

describe('GET /api/screenplays', () => {
  it('pages through results without content', async (t) => {
    const { app, clock } = await setup(t)
    for (let i = 0; i < 25; i++) {
      await createScreenplay(app, { name: `play ${i}` })
      clock.advance(1000)
    }
    const first = (await app.inject({ url: '/api/screenplays?page=1&limit=10' })).json()
    assert.equal(first.total, 25)
    assert.equal(first.pages, 3)
    assert.equal(first.items.length, 10)
    assert.equal(first.items[0].name, 'play 24', 'most recently used first')
    assert.equal('content' in first.items[0], false)
    const last = (await app.inject({ url: '/api/screenplays?page=3&limit=10' })).json()
    assert.equal(last.items.length, 5)
    assert.equal(last.page, 3)
  })

  it('answers pages 1 for an empty list', async (t) => {
    const { app } = await setup(t)
    assert.deepEqual((await app.inject({ url: '/api/screenplays' })).json(), { items: [], total: 0, page: 1, pages: 1 })
  })

  it('searches name, description and tags; every word must match', async (t) => {
    const { app } = await setup(t)
    await createScreenplay(app, { name: 'Deploy pipeline', description: 'ship it', tags: ['ops'] })
    await createScreenplay(app, { name: 'Marketing', description: 'Launch plan', tags: ['growth'] })
    await createScreenplay(app, { name: 'Tagged', tags: ['Pipeline-ops'] })
    const names = async (q: string) =>
      (await app.inject({ url: `/api/screenplays?search=${encodeURIComponent(q)}` }))
        .json()
        .items.map((i: { name: string }) => i.name)
        .sort()
    assert.deepEqual(await names('pipeline'), ['Deploy pipeline', 'Tagged'])
    assert.deepEqual(await names('LAUNCH'), ['Marketing'])
    assert.deepEqual(await names('growth'), ['Marketing'])
    assert.deepEqual(await names('deploy ops'), ['Deploy pipeline'])
    // The same number of words again: the compiled query takes the new words as parameters.
    assert.deepEqual(await names('launch plan'), ['Marketing'])
    assert.deepEqual(await names('100%'), [])
  })

  it('hides deleted screenplays unless include_deleted=true', async (t) => {
    const { app } = await setup(t)
    const gone = await createScreenplay(app, { name: 'gone' })
    await createScreenplay(app, { name: 'kept' })
    await app.inject({ method: 'DELETE', url: `/api/screenplays/${gone.id}` })
    assert.deepEqual(
      (await app.inject({ url: '/api/screenplays' })).json().items.map((i: { name: string }) => i.name),
      ['kept'],
    )
    const all = (await app.inject({ url: '/api/screenplays?include_deleted=true' })).json()
    assert.equal(all.total, 2)
    assert.equal(all.items.find((i: { name: string }) => i.name === 'gone').isDeleted, true)
  })

  it('sorts by the requested field', async (t) => {
    const { app } = await setup(t)
    for (const name of ['b', 'c', 'a']) await createScreenplay(app, { name })
    const byName = (await app.inject({ url: '/api/screenplays?sort=name' })).json().items.map((i: { name: string }) => i.name)
    assert.deepEqual(byName, ['a', 'b', 'c'])
    const desc = (await app.inject({ url: '/api/screenplays?sort=-name' })).json().items.map((i: { name: string }) => i.name)
    assert.deepEqual(desc, ['c', 'b', 'a'])
  })

  it('answers 422 for out-of-range paging and unknown values', async (t) => {
    const { app } = await setup(t)
    for (const query of ['limit=0', 'limit=101', 'page=0', 'page=abc', 'include_deleted=maybe', 'sort=size']) {
      const res = await app.inject({ url: `/api/screenplays?${query}` })
      assert.equal(res.statusCode, 422, query)
      assert.match(res.json().detail, /^Invalid request: query\./, query)
    }
  })
})

describe('GET /api/screenplays/:screenplay_id', () => {
  it('returns the whole screenplay, also inside a `screenplay` wrapper for the ticker navigation', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app, { tags: [' a ', '', 'b'] })
    const res = await app.inject({ url: `/api/screenplays/${created.id}` })
    assert.equal(res.statusCode, 200)
    const { screenplay, ...top } = res.json()
    assert.deepEqual(top, { ...created, tags: ['a', 'b'] })
    assert.deepEqual(screenplay, top, 'web-client-contract.md §7.9: the ticker reads data.screenplay.content')
  })

  it('answers the same 404 for unknown and malformed ids', async (t) => {
    const { app } = await setup(t)
    for (const id of ['0123456789abcdef01234567', 'not-an-id', 'x'.repeat(200)]) {
      const res = await app.inject({ url: `/api/screenplays/${id}` })
      assert.equal(res.statusCode, 404)
      assert.equal(res.json().detail, `Screenplay with id '${id}' not found`)
    }
  })

  it('keeps a deleted screenplay readable with include_deleted=true', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    await app.inject({ method: 'DELETE', url: `/api/screenplays/${created.id}` })
    assert.equal((await app.inject({ url: `/api/screenplays/${created.id}` })).statusCode, 404)
    const res = await app.inject({ url: `/api/screenplays/${created.id}?include_deleted=true` })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().isDeleted, true)
    assert.equal(res.json().content, created.content)
  })
})

describe('PUT /api/screenplays/:screenplay_id', () => {
  it('updates the given fields, keeps the rest and bumps the version', async (t) => {
    const { app, clock } = await setup(t)
    const created = await createScreenplay(app, { description: 'keep me', working_directory: '/srv/a' })
    clock.advance(5000)
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { name: 'Renamed', content: '# New\n\ntext' } })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.name, 'Renamed')
    assert.equal(body.content, '# New\n\ntext')
    assert.equal(body.description, 'keep me')
    assert.equal(body.workingDirectory, '/srv/a')
    assert.equal(body.version, 2)
    assert.notEqual(body.updatedAt, created.updatedAt)
  })

  it('accepts a whole GET body sent back, wrapper included, and applies only what it knows', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    const read = (await app.inject({ url: `/api/screenplays/${created.id}` })).json()
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { ...read, content: '# Edited' } })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().content, '# Edited')
    assert.equal(res.json().version, 2)
    assert.equal('screenplay' in res.json(), false)
  })

  it('clears the working directory with null', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app, { working_directory: '/srv/a' })
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { workingDirectory: null } })
    assert.equal(res.json().workingDirectory, null)
  })

  it('refuses empty content and leaves the screenplay as it was', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { name: 'changed', content: '  ' } })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().detail, 'Content cannot be empty')
    const after = (await app.inject({ url: `/api/screenplays/${created.id}` })).json()
    assert.equal(after.name, created.name)
    assert.equal(after.version, 1)
  })

  it('answers 409 when another screenplay has the file, but not for its own', async (t) => {
    const { app } = await setup(t)
    await createScreenplay(app, { file_path: 'x/one.md' })
    const second = await createScreenplay(app, { name: 'two', file_path: 'x/two.md' })
    const clash = await app.inject({ method: 'PUT', url: `/api/screenplays/${second.id}`, payload: { file_path: 'x/one.md' } })
    assert.equal(clash.statusCode, 409)
    const own = await app.inject({ method: 'PUT', url: `/api/screenplays/${second.id}`, payload: { filePath: 'x/two.md' } })
    assert.equal(own.statusCode, 200)
  })

  it('soft-deletes with isDeleted true and restores with false', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    const deleted = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { isDeleted: true } })
    assert.equal(deleted.json().isDeleted, true)
    assert.equal((await app.inject({ url: `/api/screenplays/${created.id}` })).statusCode, 404)
    const restored = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { is_deleted: false } })
    assert.equal(restored.json().isDeleted, false)
    assert.equal((await app.inject({ url: `/api/screenplays/${created.id}` })).statusCode, 200)
  })

  it('answers 404 for an unknown id and 422 for a wrongly typed field', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ method: 'PUT', url: '/api/screenplays/nope', payload: { name: 'x' } })).statusCode, 404)
    const created = await createScreenplay(app)
    const typed = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}`, payload: { tags: 'not-a-list' } })
    assert.equal(typed.statusCode, 422)
    assert.match(typed.json().detail, /body\.tags: must be an array/)
  })
})

describe('DELETE /api/screenplays/:screenplay_id', () => {
  it('soft-deletes: 204, hidden from reads, restorable', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    const res = await app.inject({ method: 'DELETE', url: `/api/screenplays/${created.id}` })
    assert.equal(res.statusCode, 204)
    assert.equal(res.body, '')
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/screenplays/${created.id}` })).statusCode, 404)
    const restored = await app.inject({ method: 'POST', url: `/api/screenplays/${created.id}/restore` })
    assert.equal(restored.statusCode, 200)
    assert.equal(restored.json().content, created.content)
  })

  it('frees the file for a new screenplay while deleted, and refuses a restore that would clash', async (t) => {
    const { app } = await setup(t)
    const first = await createScreenplay(app, { file_path: 'p.md' })
    await app.inject({ method: 'DELETE', url: `/api/screenplays/${first.id}` })
    await createScreenplay(app, { name: 'again', file_path: 'p.md' })
    const restore = await app.inject({ method: 'POST', url: `/api/screenplays/${first.id}/restore` })
    assert.equal(restore.statusCode, 409)
  })

  it('answers 404 for an unknown id', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'DELETE', url: '/api/screenplays/0123456789abcdef01234567' })
    assert.equal(res.statusCode, 404)
  })

  it('forgets navigation state that pointed at the screenplay', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    await app.inject({ method: 'PUT', url: '/api/navigation', payload: { screenplay_id: created.id, conversation_id: 'c1', instance_id: 'i1' } })
    await app.inject({ method: 'DELETE', url: `/api/screenplays/${created.id}` })
    const last = (await app.inject({ url: '/api/navigation/last' })).json()
    assert.equal(last.screenplay_id, null)
  })
})

describe('POST /api/screenplays/validate-markdown', () => {
  it('reports errors and warnings the way the original did', async (t) => {
    const { app } = await setup(t)
    const content = ['# Title', '### Skipped', '####### Too deep', 'bad [link] (x)', 'text  ', '```'].join('\n')
    const res = await app.inject({ method: 'POST', url: '/api/screenplays/validate-markdown', payload: { content } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      is_valid: false,
      errors: ['Line 3: Heading level cannot exceed 6 (########)', 'Unclosed code block detected'],
      warnings: [
        'Heading level jumps from H1 to H3 (consider using H2)',
        'Heading level jumps from H3 to H7 (consider using H4)',
        'Line 4: Malformed link syntax',
        'Line 5: Trailing whitespace detected',
      ],
    })
  })

  it('accepts valid markdown and rejects a missing content field', async (t) => {
    const { app } = await setup(t)
    const ok = await app.inject({ method: 'POST', url: '/api/screenplays/validate-markdown', payload: { content: '# A\n\n[x](http://y)' } })
    assert.deepEqual(ok.json(), { is_valid: true, errors: [], warnings: [] })
    const missing = await app.inject({ method: 'POST', url: '/api/screenplays/validate-markdown', payload: {} })
    assert.equal(missing.statusCode, 422)
  })
})

describe('POST /api/screenplays/check-duplicate', () => {
  it('reports a live duplicate with its list item, and respects exclude_id', async (t) => {
    const { app } = await setup(t)
    const existing = await createScreenplay(app, { file_path: 'docs/guide.md' })
    const res = await app.inject({
      method: 'POST',
      url: '/api/screenplays/check-duplicate',
      payload: { file_path: 'docs/guide.md', file_name: 'guide' },
    })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().is_duplicate, true)
    assert.equal(res.json().duplicate_screenplay.id, existing.id)
    assert.equal(res.json().duplicate_screenplay.lastUsedAt, existing.lastUsedAt)
    const excluded = await app.inject({
      method: 'POST',
      url: '/api/screenplays/check-duplicate',
      payload: { file_path: 'docs/guide.md', file_name: 'guide', exclude_id: existing.id },
    })
    assert.equal(excluded.json().is_duplicate, false)
    assert.equal(excluded.json().duplicate_screenplay, null)
  })

  it('answers 422 when file_name is missing', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays/check-duplicate', payload: { file_path: 'a.md' } })
    assert.equal(res.statusCode, 422)
    assert.match(res.json().detail, /body\.file_name: is required/)
  })
})

describe('PUT /api/screenplays/:screenplay_id/rename', () => {
  it('renames and moves the linked file path', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app, { file_path: 'docs/old.md' })
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}/rename`, payload: { new_name: 'Fresh' } })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().name, 'Fresh')
    assert.equal(res.json().filePath, 'docs/Fresh.md')
    assert.equal(res.json().version, 2)
    assert.notEqual(res.json().fileKey, created.fileKey)
  })

  it('keeps the path when update_file_paths is false', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app, { file_path: 'docs/old.md' })
    const res = await app.inject({
      method: 'PUT',
      url: `/api/screenplays/${created.id}/rename`,
      payload: { new_name: 'Fresh', update_file_paths: false },
    })
    assert.equal(res.json().filePath, 'docs/old.md')
  })

  it('answers 409 when the moved path belongs to another screenplay', async (t) => {
    const { app } = await setup(t)
    await createScreenplay(app, { name: 'Taken', file_path: 'docs/Taken.md' })
    const created = await createScreenplay(app, { file_path: 'docs/old.md' })
    const res = await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}/rename`, payload: { new_name: 'Taken' } })
    assert.equal(res.statusCode, 409)
  })

  it('answers 404 for unknown ids and 422 for bad names', async (t) => {
    const { app } = await setup(t)
    assert.equal((await app.inject({ method: 'PUT', url: '/api/screenplays/nope/rename', payload: { new_name: 'x' } })).statusCode, 404)
    const created = await createScreenplay(app)
    assert.equal((await app.inject({ method: 'PUT', url: `/api/screenplays/${created.id}/rename`, payload: { new_name: 'a|b' } })).statusCode, 422)
  })
})

describe('PATCH /api/screenplays/:screenplay_id/working-directory', () => {
  it('sets the normalised directory, and setting it again is still 200', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({
        method: 'PATCH',
        url: `/api/screenplays/${created.id}/working-directory`,
        payload: { working_directory: '/work/proj/' },
      })
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), { message: 'Working directory updated successfully', working_directory: '/work/proj' })
    }
    assert.equal((await app.inject({ url: `/api/screenplays/${created.id}` })).json().workingDirectory, '/work/proj')
  })

  it('answers 400 for empty, relative or disallowed paths and 422 without the key', async (t) => {
    const { app } = await setup(t, { ALLOWED_ROOTS: '/work' })
    const created = await createScreenplay(app)
    const url = `/api/screenplays/${created.id}/working-directory`
    const empty = await app.inject({ method: 'PATCH', url, payload: { working_directory: '' } })
    assert.equal(empty.json().detail, 'working_directory is required')
    const relative = await app.inject({ method: 'PATCH', url, payload: { working_directory: 'proj' } })
    assert.equal(relative.statusCode, 400)
    const outside = await app.inject({ method: 'PATCH', url, payload: { working_directory: '/etc' } })
    assert.equal(outside.statusCode, 400)
    const missing = await app.inject({ method: 'PATCH', url, payload: { workingDirectory: '/work' } })
    assert.equal(missing.statusCode, 422)
  })

  it('refuses a symlink inside an allowed root that leads outside it, and follows one that stays inside', async (t) => {
    const base = realpathSync(mkdtempSync(path.join(tmpdir(), 'gw-roots-')))
    const root = path.join(base, 'work')
    const outside = path.join(base, 'secrets')
    mkdirSync(path.join(root, 'real'), { recursive: true })
    mkdirSync(outside)
    symlinkSync(outside, path.join(root, 'escape'))
    symlinkSync(path.join(root, 'real'), path.join(root, 'alias'))
    const { app } = await setup(t, { ALLOWED_ROOTS: root })
    const created = await createScreenplay(app)
    const url = `/api/screenplays/${created.id}/working-directory`
    for (const dir of [path.join(root, 'escape'), path.join(root, 'escape/deeper/not-yet-created')]) {
      const res = await app.inject({ method: 'PATCH', url, payload: { working_directory: dir } })
      assert.equal(res.statusCode, 400, dir)
      assert.match(res.json().detail, /outside the allowed roots/)
    }
    const create = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      payload: { name: 'via link', working_directory: path.join(root, 'escape') },
    })
    assert.equal(create.statusCode, 400)
    for (const dir of [path.join(root, 'alias'), path.join(root, 'new/not-yet-created')]) {
      const res = await app.inject({ method: 'PATCH', url, payload: { working_directory: dir } })
      assert.equal(res.statusCode, 200, dir)
      assert.equal(res.json().working_directory, dir)
    }
  })

  it('answers 404 for an unknown id', async (t) => {
    const { app } = await setup(t)
    const res = await app.inject({ method: 'PATCH', url: '/api/screenplays/nope/working-directory', payload: { working_directory: '/a' } })
    assert.equal(res.statusCode, 404)
  })
})

describe('PATCH /api/screenplays/:screenplay_id/mark-as-used', () => {
  it('moves the screenplay to the top of the default order', async (t) => {
    const { app, clock } = await setup(t)
    const older = await createScreenplay(app, { name: 'older' })
    clock.advance(1000)
    await createScreenplay(app, { name: 'newer' })
    clock.advance(1000)
    const res = await app.inject({ method: 'PATCH', url: `/api/screenplays/${older.id}/mark-as-used` })
    assert.equal(res.statusCode, 204)
    const list = (await app.inject({ url: '/api/screenplays' })).json()
    assert.equal(list.items[0].name, 'older')
    assert.equal(list.items[0].lastUsedAt, new Date(Date.UTC(2026, 0, 1) + 2000).toISOString())
  })

  it('accepts an empty JSON body and answers 404 for unknown ids', async (t) => {
    const { app } = await setup(t)
    const created = await createScreenplay(app)
    const empty = await app.inject({
      method: 'PATCH',
      url: `/api/screenplays/${created.id}/mark-as-used`,
      headers: { 'content-type': 'application/json' },
      payload: '',
    })
    assert.equal(empty.statusCode, 204)
    assert.equal((await app.inject({ method: 'PATCH', url: '/api/screenplays/nope/mark-as-used' })).statusCode, 404)
  })
})
