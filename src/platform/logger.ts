import pino, { type Logger } from 'pino'
import { isDatabaseUnavailable } from './db/errors.js'

/** Query parameters that carry credentials (the watcher's `?token=` on its WebSocket, OAuth-style tokens). */
const SECRET_QUERY = /([?&](?:token|access_token|api_key|apikey|key|credential)=)[^&#]*/gi

/** A URL as it may be logged: credential-bearing query values replaced. */
export function loggableUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]')
}

interface LoggedRequest {
  method?: string
  url?: string
  host?: string
  ip?: string
  socket?: { remotePort?: number }
}

/** Structured JSON logs; credentials in headers and query strings are redacted, bodies are never logged. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'conductor-gateway' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'req.headers["x-internal-token"]'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: LoggedRequest) => ({
          method: req.method,
          url: req.url === undefined ? undefined : loggableUrl(req.url),
          host: req.host,
          remoteAddress: req.ip,
          remotePort: req.socket?.remotePort,
        }),
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: {
        // While the database is down every request and timer fails alike; the database logs the
        // outage once (lost, back), so these failures go to debug instead of one error line each.
        logMethod(args, method, level) {
          const first = args[0] as { err?: unknown } | undefined
          if (level >= 40 && typeof first === 'object' && first !== null && isDatabaseUnavailable(first.err)) {
            return this.debug(...(args as [object, string]))
          }
          return method.apply(this, args)
        },
      },
    },
    destination,
  )
}
