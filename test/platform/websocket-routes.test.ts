// The WebSocket plugin serves only the WebSocket endpoints (a plain route carries none of its hooks:
// see the hooks test in http.test.ts); an upgrade to a path without one is refused before routing.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect } from 'node:net'
import type { Duplex } from 'node:stream'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { WebSocket } from 'ws'
import { registerWebSocketRoutes } from '../../src/platform/http/websocket-routes.js'
import { buildTestApp, listen } from '../helpers/build-test-app.js'

/** Sends `head` on a raw connection and reads until the server closes it (or 5 s pass in silence). */
async function rawExchange(base: string, head: string): Promise<string> {
  const { hostname, port } = new URL(base)
  const socket = connect(Number(port), hostname).setTimeout(5_000, () => socket.destroy())
  await once(socket, 'connect')
  socket.write(head)
  let answer = ''
  socket.setEncoding('utf8').on('data', (chunk) => (answer += chunk))
  await once(socket, 'close')
  return answer
}

const upgradeTo = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
  'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n'

describe('WebSocket endpoints', () => {
  it('upgrade on their paths, with a query string or a trailing slash', async (t) => {
    const { app } = await buildTestApp(t)
    const base = (await listen(app)).replace('http', 'ws')
    for (const path of ['/ws/gamification', '/ws/gamification/?client=web']) {
      const socket = new WebSocket(`${base}${path}`)
      const [greeting] = await once(socket, 'message')
      assert.equal(JSON.parse(String(greeting)).type, 'connected')
      socket.close()
      await once(socket, 'close')
    }
  })

  it('refuse an upgrade to any other path with 404 and close the connection', async (t) => {
    const { app } = await buildTestApp(t)
    const base = await listen(app)
    // Should the server ever leave one of these open, it must not hold the app's close.
    const accepted = new Set<Duplex>()
    app.server.on('upgrade', (_req, socket: Duplex) => accepted.add(socket))
    try {
      for (const path of ['/health', '/api/screenplays?limit=1', '/no/such/path']) {
        const answer = await rawExchange(base, upgradeTo(path))
        const [head, body] = answer.split('\r\n\r\n')
        assert.match(head!, /^HTTP\/1\.1 404 /, path)
        assert.match(head!, /\r\nconnection: close/i, path)
        assert.deepEqual(JSON.parse(body!), { detail: `No WebSocket endpoint at ${path.split('?')[0]}` })
      }
      const socket = new WebSocket(`${base.replace('http', 'ws')}/health`)
      const [error] = await once(socket, 'error')
      assert.match(String(error), /Unexpected server response: 404/)
    } finally {
      for (const socket of accepted) socket.destroy()
    }
  })

  it('must have static paths: a parameter would be refused at every upgrade, so it fails at start-up', async (t) => {
    const app = Fastify()
    t.after(() => app.close())
    await assert.rejects(
      registerWebSocketRoutes(app, { maxPayload: 1024 }, async (scope) => {
        scope.get('/ws/:room', { websocket: true }, () => {})
      }),
      /WebSocket routes take static paths only: \/ws\/:room/,
    )
  })
})
