import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, ManualClock } from '../../../test/helpers/build-test-app.js'

const put = (payload: unknown, headers: Record<string, string> = {}) => ({
  method: 'PUT' as const,
  url: '/api/navigation',
  payload: payload as object,
  headers,
})

describe('PUT /api/navigation', () => {
  it('remembers the screenplay, conversation and instance and echoes the state', async (t) => {
    const { app } = await buildTestApp(t, { clock: new ManualClock() })
    const res = await app.inject(put({ screenplay_id: 's1', conversation_id: 'c1', instance_id: 'i1' }))
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { screenplay_id: 's1', conversation_id: 'c1', instance_id: 'i1', updated_at: '2026-01-01T00:00:00.000Z' })
  })

  it('keeps fields that are absent and clears fields sent as null', async (t) => {
    const { app } = await buildTestApp(t)
    await app.inject(put({ screenplay_id: 's1', conversation_id: 'c1', instance_id: 'i1' }))
    await app.inject(put({ screenplay_id: 's1' }))
    assert.equal((await app.inject({ url: '/api/navigation?screenplay_id=s1' })).json().instance_id, 'i1')
    await app.inject(put({ screenplay_id: 's1', instance_id: null }))
    const state = (await app.inject({ url: '/api/navigation?screenplay_id=s1' })).json()
    assert.equal(state.conversation_id, 'c1')
    assert.equal(state.instance_id, null)
  })

  it('answers 422 without screenplay_id and 400 for malformed JSON', async (t) => {
    const { app } = await buildTestApp(t)
    const missing = await app.inject(put({ conversation_id: 'c1' }))
    assert.equal(missing.statusCode, 422)
    assert.match(missing.json().detail, /body\.screenplay_id: is required/)
    const malformed = await app.inject({ method: 'PUT', url: '/api/navigation', headers: { 'content-type': 'application/json' }, payload: '{oops' })
    assert.equal(malformed.statusCode, 400)
    const blank = await app.inject(put({ screenplay_id: '  ' }))
    assert.equal(blank.statusCode, 422)
  })
})

describe('GET /api/navigation', () => {
  it('answers the instance last used in the given conversation', async (t) => {
    const { app } = await buildTestApp(t)
    await app.inject(put({ screenplay_id: 's1', conversation_id: 'c1', instance_id: 'i1' }))
    await app.inject(put({ screenplay_id: 's1', conversation_id: 'c2', instance_id: 'i2' }))
    const c1 = (await app.inject({ url: '/api/navigation?screenplay_id=s1&conversation_id=c1' })).json()
    assert.equal(c1.instance_id, 'i1')
    const screenplay = (await app.inject({ url: '/api/navigation?screenplay_id=s1' })).json()
    assert.deepEqual([screenplay.conversation_id, screenplay.instance_id], ['c2', 'i2'])
  })

  it('answers the latest screenplay when nothing is asked, and nulls when nothing is known', async (t) => {
    const clock = new ManualClock()
    const { app } = await buildTestApp(t, { clock })
    const empty = (await app.inject({ url: '/api/navigation' })).json()
    assert.deepEqual(empty, { screenplay_id: null, conversation_id: null, instance_id: null, updated_at: null })
    await app.inject(put({ screenplay_id: 's1' }))
    clock.advance(1000)
    await app.inject(put({ screenplay_id: 's2', conversation_id: 'c9' }))
    const latest = (await app.inject({ url: '/api/navigation' })).json()
    assert.deepEqual([latest.screenplay_id, latest.conversation_id], ['s2', 'c9'])
    const unknown = (await app.inject({ url: '/api/navigation?screenplay_id=zz' })).json()
    assert.deepEqual(unknown, { screenplay_id: 'zz', conversation_id: null, instance_id: null, updated_at: null })
  })

  it('keeps each user apart (X-User-Id, then X-Session-Id, then default)', async (t) => {
    const { app } = await buildTestApp(t)
    await app.inject(put({ screenplay_id: 'alice-s' }, { 'x-user-id': 'alice' }))
    await app.inject(put({ screenplay_id: 'sess-s' }, { 'x-session-id': 'abc' }))
    await app.inject(put({ screenplay_id: 'anon-s' }))
    const last = async (headers: Record<string, string>) => (await app.inject({ url: '/api/navigation/last', headers })).json().screenplay_id
    assert.equal(await last({ 'x-user-id': 'alice' }), 'alice-s')
    assert.equal(await last({ 'x-session-id': 'abc' }), 'sess-s')
    assert.equal(await last({}), 'anon-s')
    assert.equal(await last({ 'x-user-id': 'bob' }), null)
  })
})

describe('GET /api/navigation/last', () => {
  it('answers the last screenplay with its conversation', async (t) => {
    const { app } = await buildTestApp(t)
    await app.inject(put({ screenplay_id: 's1', conversation_id: 'c1', instance_id: 'i1' }))
    const res = await app.inject({ url: '/api/navigation/last' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(Object.keys(res.json()).sort(), ['conversation_id', 'screenplay_id', 'updated_at'])
    assert.equal(res.json().conversation_id, 'c1')
  })
})

describe('DELETE /api/navigation', () => {
  it('forgets one conversation and detaches it from its screenplay', async (t) => {
    const { app } = await buildTestApp(t)
    await app.inject(put({ screenplay_id: 's1', conversation_id: 'c1', instance_id: 'i1' }))
    const res = await app.inject({ method: 'DELETE', url: '/api/navigation?screenplay_id=s1&conversation_id=c1' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().status, 'success')
    assert.equal(res.json().deleted_count, 1)
    const state = (await app.inject({ url: '/api/navigation?screenplay_id=s1' })).json()
    assert.deepEqual([state.screenplay_id, state.conversation_id, state.instance_id], ['s1', null, null])
  })

  it('forgets a screenplay with its conversations, or everything of the user', async (t) => {
    const { app } = await buildTestApp(t)
    await app.inject(put({ screenplay_id: 's1', conversation_id: 'c1' }))
    await app.inject(put({ screenplay_id: 's2', conversation_id: 'c2' }))
    await app.inject(put({ screenplay_id: 's3' }, { 'x-user-id': 'other' }))
    const one = await app.inject({ method: 'DELETE', url: '/api/navigation?screenplay_id=s1' })
    assert.equal(one.json().deleted_count, 2)
    assert.equal((await app.inject({ url: '/api/navigation/last' })).json().screenplay_id, 's2')
    const all = await app.inject({ method: 'DELETE', url: '/api/navigation' })
    assert.equal(all.json().deleted_count, 2)
    assert.equal((await app.inject({ url: '/api/navigation/last' })).json().screenplay_id, null)
    assert.equal((await app.inject({ url: '/api/navigation/last', headers: { 'x-user-id': 'other' } })).json().screenplay_id, 's3')
  })
})
