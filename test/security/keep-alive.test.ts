// A request refused before its body was read (413 while an upload is still being sent, 401 before
// a body is parsed) must not break the client's next request on the same keep-alive connection:
// such answers carry `Connection: close`, so the client sends its next request elsewhere.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { describe, it } from 'node:test'
import { buildTestApp, listen } from '../helpers/build-test-app.js'

/** Sends the head and the first part of a body, then reads what the server answers. */
async function refusedMidUpload(url: string, head: string, firstChunk: string): Promise<{ response: string; closedByServer: boolean }> {
  const { port } = new URL(url)
  const socket = connect(Number(port), '127.0.0.1')
  await once(socket, 'connect')
  let response = ''
  socket.on('data', (chunk) => (response += chunk))
  const ended = once(socket, 'end').then(() => true)
  socket.write(head + firstChunk)
  const closedByServer = await ended
  socket.destroy()
  return { response, closedByServer }
}

describe('keep-alive after an early refusal', () => {
  it('a 413 while an upload is still arriving says Connection: close and ends the connection cleanly', async (t) => {
    const { app } = await buildTestApp(t, { env: { CONTEXT_UPLOAD_MAX_BYTES: '1024' } })
    const url = await listen(app)
    const created = await app.inject({ method: 'POST', url: '/api/conversations', payload: { title: 'keep-alive' } })
    const id = created.json().conversation_id as string
    const boundary = 'xyz'
    const preamble = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\nContent-Type: text/markdown\r\n\r\n`
    const head = `POST /api/conversations/${id}/context/upload HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n`
    const { response, closedByServer } = await refusedMidUpload(url, head, preamble + 'x'.repeat(64 * 1024))
    assert.match(response, /^HTTP\/1\.1 413 /)
    assert.match(response, /\r\nconnection: close\r\n/i)
    assert.ok(closedByServer)
  })

  it('a 401 before the body is read does the same', async (t) => {
    const { app } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const url = await listen(app)
    const head = `POST /api/screenplays HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${1024 * 1024}\r\n\r\n`
    const { response } = await refusedMidUpload(url, head, '{"name": "')
    assert.match(response, /^HTTP\/1\.1 401 /)
    assert.match(response, /\r\nconnection: close\r\n/i)
  })

  it('an answered request keeps its connection', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await fetch(`${await listen(app)}/api/screenplays`)
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('connection'), 'keep-alive')
  })

  it('an answer sent at once (a kept answer, no await on the way) keeps its connection', async (t) => {
    const { app } = await buildTestApp(t)
    const url = await listen(app)
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/api/screenplays`)
      assert.equal(res.status, 200)
      await res.text()
      assert.equal(res.headers.get('connection'), 'keep-alive', `request ${i + 1}`)
    }
  })

  it('the issue’s scenario with Node’s fetch: an oversized context upload, then 50 parallel appends, all answered', async (t) => {
    const { app } = await buildTestApp(t, { env: { CONTEXT_UPLOAD_MAX_BYTES: '1024' } })
    const url = await listen(app)
    const created = await fetch(`${url}/api/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'keep-alive' }),
    })
    const id = ((await created.json()) as { conversation_id: string }).conversation_id
    const form = new FormData()
    form.append('file', new Blob(['x'.repeat(8 * 1024 * 1024)]), 'big.md')
    const upload = await fetch(`${url}/api/conversations/${id}/context/upload`, { method: 'POST', body: form })
    assert.equal(upload.status, 413)
    assert.equal(upload.headers.get('connection'), 'close')
    const appends = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        fetch(`${url}/api/conversations/${id}/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user_input: `message ${i}` }),
        }).then((res) => res.status),
      ),
    )
    const failures = appends.flatMap((a) => (a.status === 'rejected' ? [String((a.reason as Error).cause ?? a.reason)] : []))
    assert.deepEqual(failures, [])
    assert.deepEqual(new Set(appends.map((a) => (a as PromiseFulfilledResult<number>).value)), new Set([200]))
  })
})
