// /ready against a PostgreSQL that really goes away: the gateway reaches the database through a
// TCP relay the test cuts and restores, so connections fail the way they do in an outage.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { describe, it } from 'node:test'
import { buildApp } from '../../src/app.js'
import { createDeps } from '../../src/deps.js'
import { testConfig } from '../helpers/build-test-app.js'
import { createTestDatabase, testDialect } from '../helpers/test-database.js'

/** A TCP relay to `target` that can be taken down (refusing and dropping connections) and back up. */
class Relay {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    if (this.server) return
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host)
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on('error', () => socket.destroy())
        socket.on('close', () => this.sockets.delete(socket))
      }
      client.pipe(upstream).pipe(client)
    })
    this.server.listen(this.port, '127.0.0.1')
    await once(this.server, 'listening')
    this.port = (this.server.address() as { port: number }).port
  }

  async down(): Promise<void> {
    const server = this.server
    this.server = null
    for (const socket of this.sockets) socket.destroy()
    if (server) await new Promise((resolve) => server.close(resolve))
  }
}

describe('GET /ready while PostgreSQL is unreachable', { skip: testDialect() !== 'postgres' && 'PostgreSQL only' }, () => {
  it('answers 503 (ready and requests) during the outage, and works again once the database is back', async (t) => {
    const database = await createTestDatabase()
    const target = new URL(database.url)
    const relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) })
    await relay.up()
    const viaRelay = new URL(database.url)
    viaRelay.hostname = '127.0.0.1'
    viaRelay.port = String(relay.port)
    const deps = await createDeps(testConfig({}, viaRelay.toString()), { database: { schema: database.schema, poolSize: 2 } })
    const app = await buildApp(deps)
    deps.start()
    t.after(async () => {
      await app.close()
      await relay.up()
      await deps.close()
      await relay.down()
      await database.drop()
    })

    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200)

    await relay.down()
    const down = await app.inject({ url: '/ready' })
    assert.equal(down.statusCode, 503)
    assert.deepEqual(down.json(), { detail: 'Database is unreachable' })
    const health = await app.inject({ url: '/health' })
    assert.equal(health.statusCode, 200, 'liveness does not depend on the database')
    const write = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'during the outage' } })
    assert.deepEqual([write.statusCode, write.json()], [503, { detail: 'Database is unreachable' }])

    await relay.up()
    assert.equal((await app.inject({ url: '/ready' })).statusCode, 200)
    const created = await app.inject({ method: 'POST', url: '/api/screenplays', payload: { name: 'after the outage' } })
    assert.equal(created.statusCode, 201)
    const list = (await app.inject({ url: '/api/screenplays' })).json()
    assert.deepEqual(
      list.items.map((item: { name: string }) => item.name),
      ['after the outage'],
    )
  })
})
