// Whether the database answers, as the driver sees it. An outage is logged twice, when it
// starts and when it ends, instead of once per failed query (see the logger, which keeps those
// failures out of the error log).
import type { Logger } from 'pino'
import { isDatabaseUnavailable } from './errors.js'

export class DatabaseAvailability {
  private lostAt: number | null = null

  constructor(private readonly logger?: Logger) {}

  get reachable(): boolean {
    return this.lostAt === null
  }

  /** A query or connection failed; an error that means "unreachable" starts an outage. */
  failed(err: unknown): void {
    if (this.lostAt !== null || !isDatabaseUnavailable(err)) return
    this.lostAt = Date.now()
    const { code, message } = err as { code?: string; message?: string }
    // Not under `err`: the logger files unreachable-database errors at debug level.
    this.logger?.error({ reason: message, code }, 'database lost: requests answer 503 until it is back')
  }

  /** A connection was opened: the database answers again. */
  connected(): void {
    if (this.lostAt === null) return
    const downMs = Date.now() - this.lostAt
    this.lostAt = null
    this.logger?.info({ down_ms: downMs }, 'database back')
  }
}
