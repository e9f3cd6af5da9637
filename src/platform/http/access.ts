// Who may call a route. Every route declares `config.access` (directly, or through the default its
// plugin is registered with: `withAccess('user', plugin)` in app.ts); a route without one stops the
// app at start-up, so a new route can never be open by accident.
import type { FastifyInstance, RouteOptions } from 'fastify'

export const ROLES = ['admin', 'user', 'watcher', 'mcp-sidecar'] as const
export type Role = (typeof ROLES)[number]

/** `public`: no credentials needed; otherwise the role a caller needs (admin may call everything). */
export const ACCESS_LEVELS = ['public', ...ROLES] as const
export type Access = (typeof ACCESS_LEVELS)[number]

/** What a route may say about its callers, in its `config`. */
export interface AccessConfig {
  access?: Access
  /** MCP (2025-06-18): only `Authorization: Bearer` counts; cookies, X-API-Key and query tokens do not. */
  bearerOnly?: boolean
  /** Starts costly work: limited per client (`limits.expensive_per_minute`), 429 past it. */
  expensive?: boolean
  /** Holds a stream open (SSE, WebSocket): counted against `limits.streams_per_client`. */
  stream?: boolean
}

declare module 'fastify' {
  interface FastifyContextConfig extends AccessConfig {}
}

/** The roles that satisfy `access` (empty for `public`). */
export function rolesFor(access: Access): readonly Role[] {
  return access === 'public' ? [] : access === 'admin' ? ['admin'] : [access, 'admin']
}

export function isAccess(value: unknown): value is Access {
  return typeof value === 'string' && (ACCESS_LEVELS as readonly string[]).includes(value)
}

// biome-ignore lint/suspicious/noExplicitAny: any plugin shape (zod type provider or not) keeps its own options type
type AnyPlugin = (app: any, options: any, ...rest: any[]) => unknown

/** The default access of the routes of a plugin registered with `withAccess` (and of the plugins it registers). */
const DEFAULT_ACCESS = Symbol('default access')

type WithDefaultAccess = FastifyInstance & { [DEFAULT_ACCESS]?: Access }

/**
 * Registers `plugin` with `access` as the default of each of its routes (a route's own
 * `config.access` wins, then the nearest `withAccess` around it).
 */
export function withAccess<P extends AnyPlugin>(access: Access, plugin: P): P {
  const wrapped = async (app: FastifyInstance, options: unknown) => {
    // Set on the plugin's own instance: the instances it creates inherit it, its parent does not see it.
    ;(app as WithDefaultAccess)[DEFAULT_ACCESS] = access
    await app.register(plugin as never, options as never)
  }
  Object.defineProperty(wrapped, 'name', { value: `${plugin.name || 'plugin'} (${access})` })
  return wrapped as P
}

/**
 * Settles each route's access as it is added (its own, its plugin's default, or `public` for a
 * CORS preflight), so hooks added after this one (the auth gate) read it final. When the app
 * becomes ready, refuses to start if a route has none. Install before any other onRoute hook.
 */
export function installAccessCheck(app: FastifyInstance): void {
  const routes: RouteOptions[] = []
  // `this` is the instance the route is added on (Fastify calls onRoute hooks so).
  app.addHook('onRoute', function (this: FastifyInstance, route) {
    // CORS preflights answer before any route; HEAD mirrors its GET.
    const fallback = route.method === 'OPTIONS' ? 'public' : (this as WithDefaultAccess)[DEFAULT_ACCESS]
    if (route.config?.access === undefined && fallback !== undefined) route.config = { ...route.config, access: fallback }
    routes.push(route)
  })
  app.addHook('onReady', async () => {
    const undeclared = routes.filter((route) => !isAccess(route.config?.access))
    if (undeclared.length === 0) return
    const list = undeclared.map((r) => `${[r.method].flat().join(',')} ${r.url}`).join(', ')
    throw new Error(
      `routes without a declared access: ${list}. Give each route config: { access: '${ACCESS_LEVELS.join("' | '")}' }, or register its plugin with withAccess(access, plugin) in src/app.ts`,
    )
  })
}
