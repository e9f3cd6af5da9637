// Mode `jwt`: bearer tokens signed with a shared HS256 secret, or by an OIDC issuer whose keys
// are read from its JWKS URL. Issuer and audience are checked when configured (always with JWKS).
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'
import { type Role, ROLES } from '../../platform/http/access.js'

export interface JwtSettings {
  secret: string | null
  jwksUrl: string | null
  issuer: string | null
  audience: string | null
  roleClaim: string
}

export interface VerifiedToken {
  subject: string
  roles: Role[]
  boundName?: string
  expiresAt?: number
}

export class JwtVerifier {
  private readonly key: Parameters<typeof jwtVerify>[1]
  private readonly algorithms: string[]

  constructor(private readonly settings: JwtSettings) {
    if (settings.jwksUrl) {
      this.key = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 })
      this.algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']
    } else if (settings.secret) {
      this.key = new TextEncoder().encode(settings.secret)
      this.algorithms = ['HS256']
    } else {
      throw new Error('auth.mode jwt needs auth.jwt_secret (AUTH_JWT_SECRET) or auth.jwt_jwks_url (AUTH_JWT_JWKS_URL)')
    }
  }

  /** The token's identity, or a reason it is refused (never the token itself). */
  async verify(token: string): Promise<VerifiedToken | { refused: string }> {
    let payload: JWTPayload
    try {
      ;({ payload } = await jwtVerify(token, this.key as never, {
        algorithms: this.algorithms,
        ...(this.settings.issuer && { issuer: this.settings.issuer }),
        ...(this.settings.audience && { audience: this.settings.audience }),
        requiredClaims: ['sub', 'exp'],
      }))
    } catch (err) {
      return { refused: reasonOf(err) }
    }
    const roles = rolesOf(payload[this.settings.roleClaim])
    if (roles.length === 0) return { refused: `the token has no known role in claim '${this.settings.roleClaim}' (one of: ${ROLES.join(', ')})` }
    const name = payload.mcp_name
    return {
      subject: String(payload.sub),
      roles,
      ...(typeof name === 'string' && name !== '' && { boundName: name }),
      ...(payload.exp !== undefined && { expiresAt: payload.exp * 1000 }),
    }
  }
}

function rolesOf(claim: unknown): Role[] {
  const given = Array.isArray(claim) ? claim : [claim]
  return given.filter((role): role is Role => typeof role === 'string' && (ROLES as readonly string[]).includes(role))
}

function reasonOf(err: unknown): string {
  const code = (err as { code?: string }).code
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the token's ${(err as { claim?: string }).claim ?? 'claims'} claim is not accepted here`
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the token signature is not valid'
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the token is signed with an algorithm not accepted here'
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return 'the issuer keys could not be read'
    default:
      return 'the token is malformed'
  }
}
