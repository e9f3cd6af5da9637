// Credentials of registered MCP servers (an auth token, extra headers) are sealed with AES-256-GCM
// before they reach the database; the server's name is the additional data, so a sealed value
// copied onto another server's row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { ValidationError } from '../../platform/http/errors.js'

export interface Credentials {
  /** A token, sent as `Authorization: Bearer <auth>`. */
  auth?: string
  headers?: Record<string, string>
}

const VERSION = 'v1'

export class CredentialSealer {
  /** `key`: 32 bytes, or null when none is configured (sealing is then refused). */
  constructor(private readonly key: Buffer | null) {}

  seal(name: string, credentials: Credentials): string {
    if (!this.key) {
      throw new ValidationError(
        'Credentials (auth, headers) cannot be stored: no encryption key is configured. ' +
          'Set MCP_CREDENTIALS_KEY (mcp_registry.credentials_key) to 32 random bytes, e.g. `openssl rand -base64 32`',
      )
    }
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.key, iv)
    cipher.setAAD(Buffer.from(name))
    const sealed = Buffer.concat([cipher.update(JSON.stringify(credentials), 'utf8'), cipher.final()])
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64')}`
  }

  /** Throws CredentialsUnreadable when the key is missing or is not the one that sealed them. */
  open(name: string, sealed: string): Credentials {
    if (!this.key) throw new CredentialsUnreadable(name, 'no MCP_CREDENTIALS_KEY is configured')
    const [version, payload] = sealed.split(':')
    if (version !== VERSION || !payload) throw new CredentialsUnreadable(name, 'unknown format')
    const bytes = Buffer.from(payload, 'base64')
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, 12))
      decipher.setAAD(Buffer.from(name))
      decipher.setAuthTag(bytes.subarray(12, 28))
      const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')
      return JSON.parse(plain) as Credentials
    } catch {
      throw new CredentialsUnreadable(name, 'MCP_CREDENTIALS_KEY is not the key they were stored with')
    }
  }
}

export class CredentialsUnreadable extends Error {
  override readonly name = 'CredentialsUnreadable'
  constructor(server: string, why: string) {
    super(`The credentials of MCP server '${server}' cannot be read: ${why}`)
  }
}

/** The HTTP headers a client sends to the server. */
export function headersOf(credentials: Credentials | undefined): Record<string, string> | undefined {
  if (!credentials) return undefined
  const headers = { ...credentials.headers, ...(credentials.auth && { Authorization: `Bearer ${credentials.auth}` }) }
  return Object.keys(headers).length > 0 ? headers : undefined
}
