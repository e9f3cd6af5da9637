// A request that arrives while the server is closing, on a keep-alive connection that was busy
// when closing began, is refused in the contract's shape and its connection closed.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { createLogger } from '../../src/platform/logger.js'
import { buildTestApp, listen } from '../helpers/build-test-app.js'
import { waitFor } from '../helpers/wait.js'

/** The responses on one connection, in order: status, lower-cased headers, body. */
function responsesIn(text: string): Array<{ status: number; headers: Record<string, string>; body: string }> {
  const responses = []
  let rest = text
  while (rest.startsWith('HTTP/1.1 ')) {
    const headEnd = rest.indexOf('\r\n\r\n')
    const [statusLine, ...headerLines] = rest.slice(0, headEnd).split('\r\n')
    const headers = Object.fromEntries(
      headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    )
    const length = Number(headers['content-length'])
    const body = rest.slice(headEnd + 4, headEnd + 4 + length)
    responses.push({ status: Number(statusLine!.split(' ')[1]), headers, body })
    rest = rest.slice(headEnd + 4 + length)
  }
  return responses
}

describe('requests while the server closes', () => {
  it('answers the next request on a busy keep-alive connection with a JSON detail and Connection: close', async (t) => {
    const logged: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString('utf8'))
        done()
      },
    })
    const { app } = await buildTestApp(t, { logger: createLogger('info', sink) })
    const { port } = new URL(await listen(app))

    const socket = connect(Number(port), '127.0.0.1')
    await once(socket, 'connect')
    let received = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (received += chunk))
    const socketClosed = once(socket, 'close')
    const body = JSON.stringify({ name: 'In flight at close', content: '# Kept' })
    const half = Math.floor(body.length / 2)
    // The first request is in flight (half its body sent) when closing begins.
    socket.write(
      `POST /api/screenplays HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
    )
    await waitFor(() => logged.join('').includes('incoming request'), 10_000, 'the first request reached the app')
    const closing = app.close()
    await waitFor(() => !app.server.listening, 10_000, 'the server stopped listening')
    // The rest of the first request, and a second one on the same connection.
    socket.write(`${body.slice(half)}GET /api/screenplays HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`)
    await socketClosed
    await closing

    const [first, second] = responsesIn(received)
    assert.equal(first?.status, 201, received)
    assert.equal(JSON.parse(first.body).name, 'In flight at close')
    assert.equal(second?.status, 503, received)
    assert.deepEqual(JSON.parse(second.body), { detail: 'The gateway is shutting down' })
    assert.match(second.headers['content-type'] ?? '', /^application\/json/)
    assert.equal(second.headers.connection, 'close')
  })
})
