// Login-page sessions: an HMAC-signed cookie (HttpOnly, SameSite=Strict) carrying who logged in
// and until when. Nothing is stored server-side; a session made from an API key ends with the key.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Role } from '../../platform/http/access.js'

export const SESSION_COOKIE = 'cg_session'

export interface SessionData {
  subject: string
  roles: Role[]
  keyId?: string
  boundName?: string
  expiresAt: number
}

export class SessionCookies {
  private readonly secret: Buffer

  constructor(secret: string | null) {
    this.secret = secret ? Buffer.from(secret) : randomBytes(32)
  }

  seal(data: SessionData): string {
    const payload = Buffer.from(JSON.stringify(data)).toString('base64url')
    return `${payload}.${this.sign(payload)}`
  }

  /** The session the cookie value proves, or undefined when forged, malformed or expired. */
  open(value: string, now: number): SessionData | undefined {
    const dot = value.indexOf('.')
    if (dot <= 0 || value.length > 4096) return undefined
    const payload = value.slice(0, dot)
    const given = Buffer.from(value.slice(dot + 1))
    const expected = Buffer.from(this.sign(payload))
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
    try {
      const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionData
      return typeof data.expiresAt === 'number' && data.expiresAt > now && Array.isArray(data.roles) ? data : undefined
    } catch {
      return undefined
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url')
  }
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}
