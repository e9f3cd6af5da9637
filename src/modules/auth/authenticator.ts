// Turns a request's credentials into a Principal: the watcher's shared INTERNAL_TOKEN, an API key
// (`Authorization: Bearer` or `X-API-Key`), a JWT bearer token, or a login-page session cookie.
// The caller's address never counts.
import { timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Clock } from '../../platform/clock.js'
import { UnauthorizedError } from '../../platform/http/errors.js'
import type { ApiKeyRecord } from './api-keys.repo.js'
import type { ApiKeys } from './api-keys.js'
import type { JwtVerifier } from './jwt-verifier.js'
import type { Principal } from './principal.js'
import { cookieValue, SESSION_COOKIE, type SessionCookies } from './sessions.js'

export type AuthMode = 'none' | 'api_key' | 'jwt'

export interface AuthenticatorOptions {
  mode: AuthMode
  internalToken: string | null
  keys: ApiKeys
  jwt: JwtVerifier | null
  sessions: SessionCookies
  clock: Clock
}

const ANONYMOUS: Principal = { subject: 'anonymous', roles: ['admin'], via: 'none', anonymous: true }
const WATCHER: Principal = { subject: 'internal-token', roles: ['watcher'], via: 'internal_token' }

export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  get mode(): AuthMode {
    return this.options.mode
  }

  /**
   * The caller every request is, whatever it sends, when that needs no look at the request:
   * auth.mode none without an internal token. Undefined otherwise (ask `authenticate`).
   */
  get everyone(): Principal | undefined {
    return this.options.mode === 'none' && this.options.internalToken === null ? ANONYMOUS : undefined
  }

  /**
   * The caller, or undefined when it sent no credentials (and the mode needs some). Credentials
   * that are present but wrong are a 401, never silently ignored. `bearerOnly` (MCP) counts the
   * Authorization header alone.
   */
  async authenticate(req: FastifyRequest, bearerOnly = false): Promise<Principal | undefined> {
    const bearer = bearerOf(req)
    const apiKey = bearerOnly ? undefined : headerOf(req, 'x-api-key')
    const internal = bearerOnly ? undefined : (headerOf(req, 'x-internal-token') ?? queryTokenOf(req))
    const { internalToken } = this.options

    if (internalToken !== null) {
      if (internal !== undefined) {
        if (!same(internal, internalToken)) throw new UnauthorizedError('Invalid internal token')
        return WATCHER
      }
      if (bearer !== undefined && same(bearer, internalToken)) return WATCHER
    }
    const presented = bearer ?? apiKey
    if (presented !== undefined && this.options.mode !== 'none') return this.fromCredential(presented, apiKey !== undefined && bearer === undefined)
    if (!bearerOnly && this.options.mode !== 'none') {
      const session = await this.fromSession(req)
      if (session) return session
    }
    return this.options.mode === 'none' ? ANONYMOUS : undefined
  }

  /** What a login form's key or token proves (the same checks as a request's credentials). */
  async fromCredential(credential: string, viaApiKeyHeader = false): Promise<Principal> {
    if (this.options.mode === 'api_key') {
      const record = await this.options.keys.verify(credential)
      if (!record) throw new UnauthorizedError('Invalid or revoked API key')
      return fromKey(record, 'api_key')
    }
    if (this.options.mode === 'jwt' && this.options.jwt) {
      if (viaApiKeyHeader) throw new UnauthorizedError('This gateway takes JWT bearer tokens (auth.mode jwt): send Authorization: Bearer <token>')
      const verified = await this.options.jwt.verify(credential)
      if ('refused' in verified) throw new UnauthorizedError(`Invalid token: ${verified.refused}`)
      return {
        subject: `jwt:${verified.subject}`,
        roles: verified.roles,
        via: 'jwt',
        ...(verified.boundName && { boundName: verified.boundName }),
        ...(verified.expiresAt && { expiresAt: verified.expiresAt }),
      }
    }
    throw new UnauthorizedError('This gateway runs without authentication (auth.mode none)')
  }

  private async fromSession(req: FastifyRequest): Promise<Principal | undefined> {
    const value = cookieValue(req.headers.cookie, SESSION_COOKIE)
    if (value === undefined) return undefined
    const session = this.options.sessions.open(value, this.options.clock.now())
    if (!session) throw new UnauthorizedError('Your session has expired or is invalid: log in again at /login')
    if (session.keyId !== undefined) {
      const key = await this.options.keys.active(session.keyId)
      if (!key) throw new UnauthorizedError('The API key behind this session was revoked: log in again at /login')
      return fromKey(key, 'session')
    }
    return { subject: session.subject, roles: session.roles, via: 'session', ...(session.boundName && { boundName: session.boundName }) }
  }
}

function fromKey(record: ApiKeyRecord, via: 'api_key' | 'session'): Principal {
  return { subject: `key:${record.id}`, roles: [record.role], via, keyId: record.id, ...(record.boundName && { boundName: record.boundName }) }
}

function headerOf(req: FastifyRequest, name: string): string | undefined {
  const value = req.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

function bearerOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization
  if (typeof auth !== 'string') return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(auth)
  if (!match) throw new UnauthorizedError('The Authorization header must be "Bearer <key or token>"')
  return match[1]
}

/** The watcher's legacy `?token=` on its WebSocket (browsers and some clients cannot set headers there). */
function queryTokenOf(req: FastifyRequest): string | undefined {
  if (req.method !== 'GET') return undefined
  const query = req.query as Record<string, unknown> | undefined
  return typeof query?.token === 'string' && query.token !== '' ? query.token : undefined
}

function same(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
