// @fastify/websocket adds an onRequest and an onResponse hook to every route of the instance it is
// registered on and wraps every route's handler, so on the root each plain request (a /health
// probe, a screenplay read) paid for them. Here it lives in a scope of its own beside the routes
// that need it: upgrades to their paths reach it, and an upgrade to any other path is refused with
// a 404 before routing.
import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import websocket from '@fastify/websocket'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { rawJsonAnswer } from './client-errors.js'

export interface WebSocketScopeOptions {
  /** The largest message a socket may send, in bytes. */
  maxPayload: number
}

/** Registers `routes` (and their WebSocket endpoints) in a scope that carries the WebSocket plugin. */
export async function registerWebSocketRoutes(app: FastifyInstance, options: WebSocketScopeOptions, routes: FastifyPluginAsync): Promise<void> {
  const upgrades = new EventEmitter()
  /** The paths of this scope's WebSocket routes: the only ones an upgrade may reach. */
  const paths = new Set<string>()
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (paths.has(pathOf(req.url))) upgrades.emit('upgrade', req, socket, head)
    else refuseUpgrade(req, socket)
  })

  let scope: FastifyInstance | undefined
  // The plugin's in-process client (tests) stays reachable from the root, where callers look for it.
  app.decorate('injectWS', ((...args: Parameters<FastifyInstance['injectWS']>) => scope!.injectWS(...args)) as FastifyInstance['injectWS'])
  await app.register(async (child) => {
    scope = child
    child.addHook('onRoute', (route) => {
      if (!route.websocket) return
      if (/[:*]/.test(route.url)) throw new Error(`WebSocket routes take static paths only: ${route.url}`)
      paths.add(withoutTrailingSlash(route.url))
    })
    // `server` is where the plugin listens for upgrades: here, only those this scope's routes take.
    await child.register(websocket, { options: { maxPayload: options.maxPayload, server: upgrades as never } })
    await child.register(routes)
  })
}

function refuseUpgrade(req: IncomingMessage, socket: Duplex): void {
  // Node takes its own error listener off the socket before handing an upgrade over.
  socket.on('error', () => socket.destroy())
  socket.end(rawJsonAnswer(404, `No WebSocket endpoint at ${pathOf(req.url)}`))
}

function pathOf(url = '/'): string {
  const query = url.indexOf('?')
  return withoutTrailingSlash(query === -1 ? url : url.slice(0, query))
}

/** The router ignores one trailing slash; so does the match here. */
function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
