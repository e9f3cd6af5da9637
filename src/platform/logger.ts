import pino, { type Logger } from 'pino'
import { isDatabaseUnavailable } from './db/errors.js'

/** Structured JSON logs; credentials in headers are redacted, bodies are never logged. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'conductor-gateway' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie', 'req.headers["x-internal-token"]'],
        censor: '[redacted]',
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
