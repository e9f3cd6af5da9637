// The gate in front of every route: reads the route's declared access, authenticates the caller
// and answers 401 (with a WWW-Authenticate pointing at the protected-resource metadata, as MCP
// 2025-06-18 asks) or 403 before any body is read. Cookie sessions must come from the same
// origin for anything but reads (CSRF), WebSocket upgrades included.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { type Access, rolesFor } from '../../platform/http/access.js'
import { addRouteHook } from '../../platform/http/route-hooks.js'
import { ForbiddenError, isAppError, UnauthorizedError } from '../../platform/http/errors.js'
import type { Authenticator } from './authenticator.js'
import type { Principal } from './principal.js'

export const RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource'
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

export interface AuthHookOptions {
  authenticator: Authenticator
  /** Origins allowed cross-origin (server.cors_origins): their sessions may write too. */
  trustedOrigins: readonly string[]
}

export function installAuthHook(app: FastifyInstance, { authenticator, trustedOrigins }: AuthHookOptions): void {
  /** Lets `principal` through to a route that needs `access`, or throws the 401 or 403. */
  const admit = (
    req: FastifyRequest,
    reply: FastifyReply,
    access: Exclude<Access, 'public'>,
    bearerOnly: boolean | undefined,
    principal: Principal | undefined,
  ) => {
    if (!principal) {
      challenge(req, reply)
      throw new UnauthorizedError(missingCredentials(authenticator.mode, bearerOnly))
    }
    if (access === 'watcher' && principal.anonymous) {
      challenge(req, reply)
      throw new UnauthorizedError(
        'The watcher channels need a credential even in auth.mode none: send the INTERNAL_TOKEN as X-Internal-Token (a caller’s address proves nothing behind a proxy)',
      )
    }
    const needed = rolesFor(access)
    if (!principal.roles.some((role) => needed.includes(role))) {
      throw new ForbiddenError(`This route needs the ${access} role; your credentials have: ${principal.roles.join(', ') || 'no role'}`)
    }
    if (principal.via === 'session' && (!SAFE_METHODS.has(req.method) || isUpgrade(req))) assertSameOrigin(req, trustedOrigins)
    req.principal = principal
  }
  const authenticate = async (req: FastifyRequest, reply: FastifyReply, access: Exclude<Access, 'public'>, bearerOnly?: boolean) => {
    let principal: Principal | undefined
    try {
      principal = await authenticator.authenticate(req, bearerOnly)
    } catch (err) {
      if (isAppError(err) && err.status === 401) challenge(req, reply, 'invalid_token')
      throw err
    }
    admit(req, reply, access, bearerOnly, principal)
  }
  const { everyone } = authenticator
  app.addHook('onRoute', (route) => {
    // Settled by installAccessCheck's onRoute hook, which must run first. A public route needs no
    // gate; a route without an access would pass ungated, so it stops the app here.
    const { access, bearerOnly } = route.config ?? {}
    if (access === undefined) {
      throw new Error(
        `${[route.method].flat().join(',')} ${route.url} has no declared access when the auth gate is added: give it config.access or register its plugin with withAccess(access, plugin), and install installAccessCheck before installAuthHook`,
      )
    }
    if (access === 'public') return
    addRouteHook(route, 'onRequest', (req, reply, done) => {
      if (everyone === undefined) return void authenticate(req, reply, access, bearerOnly).then(() => done(), done)
      // Nothing to wait for: decided now, without a promise per request.
      try {
        admit(req, reply, access, bearerOnly, everyone)
      } catch (err) {
        return done(err as Error)
      }
      done()
    })
  })
}

/** `origin` of this gateway as the client sees it (honours X-Forwarded-* under trust_proxy). */
export function publicOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`
}

function challenge(req: FastifyRequest, reply: FastifyReply, error?: string): void {
  const metadata = `${publicOrigin(req)}${RESOURCE_METADATA_PATH}`
  void reply.header('www-authenticate', `Bearer realm="conductor-gateway"${error ? `, error="${error}"` : ''}, resource_metadata="${metadata}"`)
}

function missingCredentials(mode: string, bearerOnly: boolean | undefined): string {
  if (bearerOnly || mode === 'jwt') return 'Authentication required: send Authorization: Bearer <token>'
  return 'Authentication required: send Authorization: Bearer <API key> or X-API-Key, or log in at /login'
}

function isUpgrade(req: FastifyRequest): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket'
}

/**
 * A browser sends Origin with every cross-site write and WebSocket; Sec-Fetch-Site where it
 * supports it. A cookie-authenticated write with neither is refused: a page elsewhere cannot
 * make the browser spend the user's session.
 */
function assertSameOrigin(req: FastifyRequest, trusted: readonly string[]): void {
  const origin = req.headers.origin
  if (typeof origin === 'string' && origin !== 'null') {
    if (origin === publicOrigin(req) || trusted.includes(origin)) return
    throw new ForbiddenError(`Cross-site request refused: origin ${origin} may not use this session`)
  }
  if (req.headers['sec-fetch-site'] === 'same-origin') return
  throw new ForbiddenError('Cross-site request refused: a session-authenticated write must carry an Origin header of this site')
}
