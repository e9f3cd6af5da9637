// A request refused before its body was read (413 while an upload is still being sent, 401 before
// a body is parsed) must not break the client's next request on the same keep-alive connection.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { buildTestApp, listen } from '../helpers/build-test-app.js'

describe('keep-alive after an early refusal', () => {
  it('an oversized context upload, then 50 parallel message appends: every append is answered', async (t) => {
    const { app } = await buildTestApp(t, { env: { CONTEXT_UPLOAD_MAX_BYTES: '1024' } })
    const url = await listen(app)
    const created = await fetch(`${url}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'keep-alive' }),
    })
    assert.equal(created.status, 200)
    const id = ((await created.json()) as { conversation_id: string }).conversation_id

    const form = new FormData()
    form.append('file', new Blob(['x'.repeat(4 * 1024 * 1024)]), 'big.md')
    const upload = await fetch(`${url}/api/conversations/${id}/context/upload`, { method: 'POST', body: form }).then(
      (res) => res.status,
      (err: Error) => err,
    )
    assert.equal(upload, 413)

    const appends = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${url}/api/conversations/${id}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_input: `message ${i}` }),
        }).then((res) => res.status),
      ),
    )
    const failures = appends.filter((a) => a.status === 'rejected').map((a) => String((a as PromiseRejectedResult).reason?.cause ?? a))
    assert.deepEqual(failures, [])
    assert.deepEqual(new Set(appends.map((a) => (a as PromiseFulfilledResult<number>).value)), new Set([200]))
  })
})
