// Per-client limits declared by routes (`config.expensive`, `config.stream`), enforced after
// authentication: a client is its credential's subject, or its address when it has none. Each
// refusal is a 429 with Retry-After and a sentence saying which limit was hit. MCP tool calls
// spend the same work budget as expensive routes (src/modules/mcp-server/tool-call-limit.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { AppError } from './errors.js'
import { addRouteHook } from './route-hooks.js'

export interface LimitsOptions {
  work: WorkBudget
  streamsPerClient: number
}

const MINUTE = 60_000

/** Fixed one-minute windows per key; forgets keys whose window has passed. */
export class WindowCounter {
  private readonly windows = new Map<string, { start: number; count: number }>()

  constructor(
    private readonly limit: number,
    private readonly windowMs = MINUTE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one more; returns the seconds to wait when over the limit, else 0. */
  take(key: string): number {
    const now = this.now()
    if (this.windows.size > 10_000) this.prune(now)
    let window = this.windows.get(key)
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 }
      this.windows.set(key, window)
    }
    if (window.count >= this.limit) return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000))
    window.count++
    return 0
  }

  private prune(now: number): void {
    for (const [key, window] of this.windows) if (now - window.start >= this.windowMs) this.windows.delete(key)
  }
}

/** Work refused for being over budget: how long to wait, and why in words. */
export interface Refusal {
  retryAfterSeconds: number
  message: string
}

/**
 * Each client's budget of requests that start work (`limits.expensive_per_minute`), one for the
 * whole process: routes declaring `expensive: true` and MCP tool calls spend the same one.
 */
export class WorkBudget {
  private readonly counter: WindowCounter

  constructor(
    private readonly perMinute: number,
    now: () => number = Date.now,
  ) {
    this.counter = new WindowCounter(perMinute, MINUTE, now)
  }

  /** Spends one unit of `client`'s budget; the refusal when it is used up (nothing is spent then). */
  spend(client: string): Refusal | undefined {
    const wait = this.counter.take(client)
    if (wait === 0) return undefined
    return {
      retryAfterSeconds: wait,
      message: `Too many requests that start work: at most ${this.perMinute} a minute per client; retry in ${wait} s`,
    }
  }
}

/** Who a request counts against. */
export function clientKeyOf(req: FastifyRequest): string {
  const principal = req.principal
  return principal && !principal.anonymous ? principal.subject : `ip:${req.ip}`
}

export function tooManyRequests(message: string): AppError {
  return new AppError('rate_limited', message, 429)
}

export function installLimits(app: FastifyInstance, options: LimitsOptions): void {
  const openStreams = new Map<string, number>()

  const spendWork = (req: FastifyRequest, reply: FastifyReply) => {
    const refusal = options.work.spend(clientKeyOf(req))
    if (refusal) {
      void reply.header('retry-after', String(refusal.retryAfterSeconds))
      throw tooManyRequests(refusal.message)
    }
  }
  const openStream = (req: FastifyRequest, reply: FastifyReply) => {
    const key = clientKeyOf(req)
    const open = openStreams.get(key) ?? 0
    if (open >= options.streamsPerClient) {
      void reply.header('retry-after', '5')
      throw tooManyRequests(`Too many open streams: at most ${options.streamsPerClient} per client; close one first`)
    }
    openStreams.set(key, open + 1)
    let released = false
    const release = () => {
      if (released) return
      released = true
      const left = (openStreams.get(key) ?? 1) - 1
      if (left > 0) openStreams.set(key, left)
      else openStreams.delete(key)
    }
    // A WebSocket lives as long as its socket; an SSE stream as long as its response.
    // (An injected test request has no socket.)
    const upgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket'
    ;(upgrade && req.raw.socket ? req.raw.socket : reply.raw).once('close', release)
  }
  // Both are declared in the route's own options, so only the routes that declare them pay.
  app.addHook('onRoute', (route) => {
    const { expensive, stream } = route.config ?? {}
    if (!expensive && !stream) return
    addRouteHook(route, 'onRequest', (req, reply, done) => {
      try {
        if (expensive) spendWork(req, reply)
        if (stream) openStream(req, reply)
      } catch (err) {
        return done(err as Error)
      }
      done()
    })
  })
}

/**
 * Closes a WebSocket that sends more than `perMinute` messages in a minute (1008, policy
 * violation). Size is bounded by the server's maxPayload (1009).
 */
export function limitMessageRate(socket: WebSocket, perMinute: number, now: () => number = Date.now): void {
  const counter = new WindowCounter(perMinute, MINUTE, now)
  socket.on('message', () => {
    if (counter.take('socket') > 0) socket.close(1008, `more than ${perMinute} messages a minute`)
  })
}
