// Platform checks attached to the routes that need them, instead of app-wide hooks that run on
// every request only to find they have nothing to do. A check added here runs after those added
// before it and before the route's own hooks: the order app-wide hooks had.
import type { onRequestHookHandler, onResponseHookHandler, RouteOptions } from 'fastify'

type Hooks = { onRequest: onRequestHookHandler; onResponse: onResponseHookHandler }

const added = new WeakMap<RouteOptions, Partial<Record<keyof Hooks, number>>>()

/** Call from an `onRoute` hook. */
export function addRouteHook<K extends keyof Hooks>(route: RouteOptions, name: K, hook: Hooks[K]): void {
  const own = route[name] === undefined ? [] : ([route[name]].flat() as Array<Hooks[K]>)
  const counts = added.get(route) ?? {}
  const before = counts[name] ?? 0
  own.splice(before, 0, hook)
  counts[name] = before + 1
  added.set(route, counts)
  ;(route as Record<K, unknown>)[name] = own
}
