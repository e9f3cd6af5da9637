// The auth module's face for the composition root: keys, the authenticator and sessions, from Config.
import type { Kysely } from 'kysely'
import type { Config } from '../../config.js'
import type { Clock } from '../../platform/clock.js'
import type { Tables } from '../../platform/db/tables.js'
import { KyselyApiKeysRepo } from './api-keys.repo.js'
import { ApiKeys } from './api-keys.js'
import { Authenticator } from './authenticator.js'
import { JwtVerifier } from './jwt-verifier.js'
import { SessionCookies } from './sessions.js'

export interface Auth {
  keys: ApiKeys
  authenticator: Authenticator
  sessions: SessionCookies
}

export function createAuth(config: Config, db: Kysely<Tables>, clock: Clock): Auth {
  const { auth } = config
  const keys = new ApiKeys(new KyselyApiKeysRepo(db), clock)
  const sessions = new SessionCookies(auth.sessionSecret)
  const jwt =
    auth.mode === 'jwt'
      ? new JwtVerifier({
          secret: auth.jwtSecret,
          jwksUrl: auth.jwtJwksUrl,
          issuer: auth.jwtIssuer,
          audience: auth.jwtAudience,
          roleClaim: auth.jwtRoleClaim,
        })
      : null
  const authenticator = new Authenticator({ mode: auth.mode, internalToken: config.internal.token, keys, jwt, sessions, clock })
  return { keys, authenticator, sessions }
}

const LOOPBACK_HOSTS = new Set(['localhost', '::1', '[::1]'])

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** Why this configuration must not serve, in words that say what to do; undefined when it may. */
export function authStartupProblem(config: Config): string | undefined {
  const { auth, server } = config
  if (auth.mode === 'none' && !isLoopbackHost(server.host) && !auth.allowUnauthenticatedNetwork) {
    return (
      `auth.mode is none but server.host is ${server.host}: anyone who reaches the port could use the gateway. ` +
      'Choose AUTH_MODE=api_key (then create a key: conductor-gateway keys create --role admin) or AUTH_MODE=jwt, ' +
      'or listen on 127.0.0.1; to serve without authentication anyway set AUTH_ALLOW_UNAUTHENTICATED_NETWORK=true'
    )
  }
  if (auth.mode === 'jwt') {
    if (!auth.jwtSecret && !auth.jwtJwksUrl) return 'auth.mode jwt needs AUTH_JWT_SECRET (HS256) or AUTH_JWT_JWKS_URL (an OIDC issuer’s keys)'
    if (auth.jwtJwksUrl && (!auth.jwtIssuer || !auth.jwtAudience)) {
      return 'auth.jwt_jwks_url needs AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE: tokens of that issuer meant for other services must not work here'
    }
  }
  return undefined
}
