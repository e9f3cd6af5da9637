// The MCP transports' header rules (spec: Streamable HTTP, "Security Warning"): a browser page
// from a foreign origin gets 403, and a gateway bound to loopback also refuses Host names that are
// not local, so a DNS-rebinding page cannot reach it through a name of its own.
import type { FastifyReply, FastifyRequest } from 'fastify'

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1'])

export interface OriginPolicy {
  /** The address the gateway listens on. */
  bindHost: string
  /** Origins allowed cross-origin (server.cors_origins). */
  corsOrigins: readonly string[]
  /** More host names a loopback-bound gateway accepts (mcp_server.allowed_hosts). */
  allowedHosts: readonly string[]
}

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase())
}

/** Why the request is refused, or undefined when it may go on. */
export function refusalOf(policy: OriginPolicy, headers: { host?: string; origin?: string }): string | undefined {
  const loopback = isLoopback(policy.bindHost)
  const localName = (name: string) => isLoopback(name) || policy.allowedHosts.some((h) => h.toLowerCase() === name.toLowerCase())
  if (loopback) {
    const hostName = hostnameOf(headers.host)
    if (hostName === undefined || !localName(hostName)) return `Host '${headers.host ?? ''}' is not a local name of this gateway`
  }
  const origin = headers.origin
  if (origin === undefined || policy.corsOrigins.includes(origin)) return undefined
  let originUrl: URL
  try {
    originUrl = new URL(origin)
  } catch {
    return `Origin '${origin}' is not allowed`
  }
  const sameOrigin = headers.host !== undefined && originUrl.host.toLowerCase() === headers.host.toLowerCase()
  if (loopback ? localName(originUrl.hostname) : sameOrigin) return undefined
  return `Origin '${origin}' is not allowed`
}

/** A Fastify onRequest hook that answers 403 {"detail"} to refused requests. */
export function originGuard(policy: OriginPolicy) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const refusal = refusalOf(policy, { host: req.headers.host, origin: req.headers.origin })
    if (refusal) return reply.code(403).send({ detail: refusal })
  }
}

function hostnameOf(host: string | undefined): string | undefined {
  if (!host) return undefined
  try {
    return new URL(`http://${host}`).hostname.toLowerCase()
  } catch {
    return undefined
  }
}
