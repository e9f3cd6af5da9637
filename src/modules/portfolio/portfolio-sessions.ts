// Portfolio chat sessions are conversations the gateway opened for a visitor. The session id
// the visitor holds is the conversation id signed by the gateway, so nobody can name a session
// they were not given (the original let callers pick any id, including someone else's).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export class PortfolioSessions {
  private readonly secret: Buffer

  constructor(secret: string | null) {
    // Without a configured secret, sessions last as long as this process.
    this.secret = secret ? Buffer.from(secret) : randomBytes(32)
  }

  issue(conversationId: string): string {
    return `ps_${conversationId}.${this.sign(conversationId)}`
  }

  /** The conversation a session id stands for, or undefined when it was not issued here. */
  conversationOf(sessionId: string): string | undefined {
    const match = /^ps_([\w-]{1,100})\.([\w-]{43})$/.exec(sessionId)
    if (!match) return undefined
    const [, conversationId, signature] = match as unknown as [string, string, string]
    const expected = Buffer.from(this.sign(conversationId))
    const given = Buffer.from(signature)
    return expected.length === given.length && timingSafeEqual(expected, given) ? conversationId : undefined
  }

  private sign(conversationId: string): string {
    return createHmac('sha256', this.secret).update(conversationId).digest('base64url')
  }
}
