// Who is calling: resolved from the request's credentials by the Authenticator.
import type { Role } from '../../platform/http/access.js'

export type CredentialKind = 'none' | 'api_key' | 'jwt' | 'session' | 'internal_token'

export interface Principal {
  /** Stable identity for limits and logs: `key:<id>`, `jwt:<sub>`, `internal-token`, `anonymous`. */
  subject: string
  roles: readonly Role[]
  via: CredentialKind
  /** The API key behind the credential (a key or a session made from one). */
  keyId?: string
  /** An mcp-sidecar's own server name: the only one it may register and heartbeat. */
  boundName?: string
  /** A JWT's expiry: a session made from it ends no later. */
  expiresAt?: number
  /** Mode `none`: nobody proved anything. */
  anonymous?: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every routed request; undefined on public routes without credentials. */
    principal?: Principal
  }
}
