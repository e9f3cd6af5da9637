import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp, listen, testConfig } from '../../../test/helpers/build-test-app.js'
import { createConversation, getConversation } from '../../../test/helpers/conversations.js'

async function setup(t: TestContext, env?: Record<string, string>) {
  const { app } = await buildTestApp(t, env ? { env } : {})
  const { conversation_id: id } = await createConversation(app, { context: 'before' })
  return { app, id }
}

interface Part {
  name: string
  filename?: string
  content: string | Buffer
}

/** A multipart/form-data body built by hand, so tests control every byte. */
function multipart(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = 'test-boundary-7f3a'
  const chunks: Buffer[] = []
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename !== undefined ? `; filename="${part.filename}"` : ''}`
    const type = part.filename !== undefined ? 'Content-Type: text/markdown\r\n' : ''
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), Buffer.from(part.content), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } }
}

function upload(app: Awaited<ReturnType<typeof setup>>['app'], id: string, parts: Part[]) {
  return app.inject({ method: 'POST', url: `/api/conversations/${id}/context/upload`, ...multipart(parts) })
}

function uploadRaw(app: Awaited<ReturnType<typeof setup>>['app'], id: string, contentType: string, payload: string | Buffer) {
  return app.inject({ method: 'POST', url: `/api/conversations/${id}/context/upload`, headers: { 'content-type': contentType }, payload })
}

describe('PATCH /api/conversations/:conversation_id/context', () => {
  it('sets the context, and null clears it', async (t) => {
    const { app, id } = await setup(t)
    const res = await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/context`, payload: { context: '# Feature X' } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { success: true, message: 'Contexto atualizado com sucesso' })
    assert.equal((await getConversation(app, id)).context, '# Feature X')
    await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/context`, payload: { context: null } })
    assert.equal((await getConversation(app, id)).context, null)
  })

  it('answers 422 without the context key and 404 for an unknown conversation', async (t) => {
    const { app, id } = await setup(t)
    const bad = await app.inject({ method: 'PATCH', url: `/api/conversations/${id}/context`, payload: {} })
    assert.equal(bad.statusCode, 422)
    assert.match(bad.json().detail, /body\.context: is required/)
    assert.equal((await getConversation(app, id)).context, 'before')
    const missing = await app.inject({ method: 'PATCH', url: '/api/conversations/nope/context', payload: { context: 'x' } })
    assert.equal(missing.statusCode, 404)
  })
})

describe('POST /api/conversations/:conversation_id/context/upload', () => {
  it('replaces the context with the markdown file and describes it', async (t) => {
    const { app, id } = await setup(t)
    const content = `# Contexto\n\nAção: corrigir o erro ✅\n${'x'.repeat(300)}`
    const res = await upload(app, id, [{ name: 'file', filename: 'bug.md', content }])
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.deepEqual(
      { ...body, preview: undefined },
      {
        success: true,
        message: 'Contexto carregado com sucesso',
        filename: 'bug.md',
        size: [...content].length,
        preview: undefined,
      },
    )
    assert.equal(body.preview, `${[...content].slice(0, 200).join('')}...`)
    assert.equal((await getConversation(app, id)).context, content)
  })

  it('previews a short file whole', async (t) => {
    const { app, id } = await setup(t)
    const res = await upload(app, id, [
      { name: 'note', content: 'ignored field' },
      { name: 'file', filename: 'NOTES.MD', content: '# Short' },
    ])
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().preview, '# Short')
    assert.equal(res.json().size, 7)
  })

  it('refuses a file that is not .md with 400 and keeps the context', async (t) => {
    const { app, id } = await setup(t)
    const res = await upload(app, id, [{ name: 'file', filename: 'notes.txt', content: 'hello' }])
    assert.equal(res.statusCode, 400)
    assert.equal(res.json().detail, 'Apenas arquivos .md são permitidos')
    assert.equal((await getConversation(app, id)).context, 'before')
  })

  it('refuses bytes that are not UTF-8 with a readable 400', async (t) => {
    const { app, id } = await setup(t)
    const res = await upload(app, id, [{ name: 'file', filename: 'latin1.md', content: Buffer.from([0x23, 0x20, 0xe7, 0xe3, 0x6f]) }])
    assert.equal(res.statusCode, 400)
    assert.match(res.json().detail, /não é UTF-8 válido/)
    assert.equal((await getConversation(app, id)).context, 'before')
  })

  it('enforces the configured size limit in bytes: at the limit is fine, one more is 413', async (t) => {
    const { app, id } = await setup(t, { CONTEXT_UPLOAD_MAX_BYTES: '1024' })
    assert.equal((await upload(app, id, [{ name: 'file', filename: 'a.md', content: 'é'.repeat(512) }])).statusCode, 200)
    const res = await upload(app, id, [{ name: 'file', filename: 'b.md', content: `${'é'.repeat(512)}x` }])
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().detail, 'Arquivo muito grande. Máximo: 1.0KB')
    assert.equal((await getConversation(app, id)).context, 'é'.repeat(512))
  })

  it('answers 413 for a file larger than the whole request body limit too, with the same words', async (t) => {
    const { app, id } = await setup(t)
    const res = await upload(app, id, [{ name: 'file', filename: 'huge.md', content: Buffer.alloc(3 * 1024 * 1024, 0x61) }])
    assert.equal(res.statusCode, 413)
    assert.equal(res.json().detail, 'Arquivo muito grande. Máximo: 50.0KB')
  })

  it('answers 400 when there is no file, it is in another field, or the body is not multipart', async (t) => {
    const { app, id } = await setup(t)
    const noFile = await upload(app, id, [{ name: 'title', content: 'just a field' }])
    assert.equal(noFile.statusCode, 400)
    assert.match(noFile.json().detail, /^Nenhum arquivo enviado/)
    const wrongField = await upload(app, id, [{ name: 'document', filename: 'a.md', content: '# x' }])
    assert.equal(wrongField.statusCode, 400)
    assert.equal(wrongField.json().detail, "O arquivo deve vir no campo 'file' (recebido 'document')")
    const json = await app.inject({ method: 'POST', url: `/api/conversations/${id}/context/upload`, payload: { file: '# x' } })
    assert.equal(json.statusCode, 400)
    assert.match(json.json().detail, /multipart\/form-data/)
    assert.equal((await getConversation(app, id)).context, 'before')
  })

  it('answers 404 for an unknown conversation', async (t) => {
    const { app } = await setup(t)
    const res = await upload(app, 'nope', [{ name: 'file', filename: 'a.md', content: '# x' }])
    assert.equal(res.statusCode, 404)
  })
  it('refuses an empty or blank file and one holding NUL characters with a readable 400', async (t) => {
    const { app, id } = await setup(t)
    for (const content of ['', '  \n\t\n', Buffer.from([0xef, 0xbb, 0xbf])]) {
      const res = await upload(app, id, [{ name: 'file', filename: 'empty.md', content }])
      assert.deepEqual([res.statusCode, res.json().detail], [400, 'O arquivo está vazio: envie um .md com o contexto'], JSON.stringify(content))
    }
    const binary = await upload(app, id, [{ name: 'file', filename: 'bin.md', content: Buffer.from('# a\0b') }])
    assert.equal(binary.statusCode, 400)
    assert.match(binary.json().detail, /caractere NUL/)
    assert.equal((await getConversation(app, id)).context, 'before')
  })

  it('answers a malformed multipart body with a readable 400, never a 500', async (t) => {
    const { app, id } = await setup(t)
    const cases: Array<[string, string | Buffer]> = [
      ['multipart/form-data', '--x\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\n# a\r\n--x--\r\n'],
      ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\n# cut short'],
      [`multipart/form-data; boundary=${'b'.repeat(300)}`, `--${'b'.repeat(300)}\r\n`],
    ]
    for (const [type, payload] of cases) {
      const res = await uploadRaw(app, id, type, payload)
      assert.equal(res.statusCode, 400, `${type.slice(0, 40)}: ${res.body}`)
      assert.match(res.json().detail, /^The multipart body is malformed: /)
    }
    assert.equal((await getConversation(app, id)).context, 'before')
  })

  it('answers 413 in words for a form with too many parts', async (t) => {
    const { app, id } = await setup(t)
    const fields = Array.from({ length: 30 }, (_, i) => ({ name: `f${i}`, content: 'v' }))
    const res = await upload(app, id, [...fields, { name: 'file', filename: 'a.md', content: '# x' }])
    assert.deepEqual([res.statusCode, res.json().detail], [413, 'The form has too many parts or fields: send only the file'])
    assert.equal((await getConversation(app, id)).context, 'before')
  })

  it('reads a refused small file to its end, so its 400 keeps the connection for the client’s next request', async (t) => {
    const { app, id } = await setup(t)
    const { port } = new URL(await listen(app))
    const socket = connect(Number(port), '127.0.0.1')
    t.after(() => socket.destroy())
    await once(socket, 'connect')
    const boundary = 'slow-boundary'
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\n\r\n`
    const rest = `plain text\r\n--${boundary}--\r\n`
    socket.write(
      `POST /api/conversations/${id}/context/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${Buffer.byteLength(head + rest)}\r\n\r\n${head}`,
    )
    // The name is known before the file's bytes: a server answering now would cut the client off mid-send.
    await new Promise((resolve) => setTimeout(resolve, 100))
    socket.write(rest)
    let response = ''
    socket.setEncoding('utf8')
    for await (const chunk of socket) {
      response += chunk
      if (response.includes('\r\n\r\n') && response.includes('}')) break
    }
    assert.match(response, /^HTTP\/1\.1 400 /)
    assert.doesNotMatch(response, /\r\nconnection: close\r\n/i, response)
    assert.ok(response.endsWith('{"detail":"Apenas arquivos .md são permitidos"}'), response)
  })

  it('refuses an oversized file while it arrives: the 413 comes before the body has ended', async (t) => {
    const { app, id } = await setup(t, { CONTEXT_UPLOAD_MAX_BYTES: '1024' })
    const { port } = new URL(await listen(app))
    const socket = connect(Number(port), '127.0.0.1')
    // Without an answer the socket would stay open and the app could never close: give up.
    const giveUp = setTimeout(() => socket.destroy(new Error('no answer while the body was still arriving')), 20_000)
    t.after(() => clearTimeout(giveUp))
    await once(socket, 'connect')
    const boundary = 'stream-boundary'
    // Announces 10 MB but sends only the part head and 64 KB of it, then waits: a server that
    // buffered the body before checking the size could never answer.
    socket.write(
      `POST /api/conversations/${id}/context/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${10 * 1024 * 1024}\r\n\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.md"\r\n\r\n`,
    )
    socket.write(Buffer.alloc(64 * 1024, 0x61))
    let response = ''
    socket.setEncoding('utf8')
    for await (const chunk of socket) {
      response += chunk
      if (response.includes('\r\n\r\n') && response.includes('}')) break
    }
    socket.destroy()
    assert.match(response, /^HTTP\/1\.1 413 /)
    assert.ok(response.endsWith('{"detail":"Arquivo muito grande. Máximo: 1.0KB"}'), response)
    assert.equal((await getConversation(app, id)).context, 'before')
  })
})

describe('conversations.context_upload_max_bytes', () => {
  it('defaults to 50 KB, is set by CONTEXT_UPLOAD_MAX_BYTES and must be a positive whole number', () => {
    assert.equal(testConfig().conversations.contextUploadMaxBytes, 51_200)
    assert.equal(testConfig({ CONTEXT_UPLOAD_MAX_BYTES: '2048' }).conversations.contextUploadMaxBytes, 2048)
    assert.throws(
      () => testConfig({ CONTEXT_UPLOAD_MAX_BYTES: '0' }),
      /conversations\.context_upload_max_bytes \(from environment variable CONTEXT_UPLOAD_MAX_BYTES\)/,
    )
  })
})
