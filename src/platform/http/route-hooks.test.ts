// Platform checks attached per route run in the order they were installed, before the route's own hooks.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import Fastify from 'fastify'
import { addRouteHook } from './route-hooks.js'

it('runs route hooks added by onRoute in install order, before the route’s own, and only on the routes given them', async (t) => {
  const app = Fastify()
  t.after(() => app.close())
  const calls: string[] = []
  for (const name of ['first', 'second']) {
    app.addHook('onRoute', (route) => {
      if (route.url === '/checked')
        addRouteHook(route, 'onRequest', (_req, _reply, done) => {
          calls.push(name)
          done()
        })
    })
  }
  const own = (_req: unknown, _reply: unknown, done: () => void) => {
    calls.push('own')
    done()
  }
  app.get('/checked', { onRequest: own }, async () => 'ok')
  app.get('/plain', async () => 'ok')
  await app.inject('/checked')
  assert.deepEqual(calls, ['first', 'second', 'own'])
  calls.length = 0
  await app.inject('/plain')
  assert.deepEqual(calls, [])
})
