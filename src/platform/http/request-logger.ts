// Fastify gives every request a child of the app's logger (to bind its request id), though at the
// usual levels most requests never write a line: at `warn`, a pino child per request was about a
// microsecond of CPU and a few objects for the collector on every answer. The child is made here
// on the first line the level lets through.
import type { FastifyBaseLogger } from 'fastify'
import type { Bindings, ChildLoggerOptions, Logger } from 'pino'

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type LogArgs = Parameters<FastifyBaseLogger['info']>

/** Fastify's `childLoggerFactory` for a pino `logger`. */
export function lazyChildLogger(this: unknown, logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  // A route's own level or serializers change what the child lets through: made at once.
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options)
  return new LazyChildLogger(logger as Logger, bindings, options)
}

class LazyChildLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | undefined

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.parent.level
  }

  set level(level: string) {
    this.pinoChild().level = level
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.pinoChild().child(bindings, options)
  }

  fatal(...args: LogArgs): void {
    this.write('fatal', args)
  }
  error(...args: LogArgs): void {
    this.write('error', args)
  }
  warn(...args: LogArgs): void {
    this.write('warn', args)
  }
  info(...args: LogArgs): void {
    this.write('info', args)
  }
  debug(...args: LogArgs): void {
    this.write('debug', args)
  }
  trace(...args: LogArgs): void {
    this.write('trace', args)
  }
  silent(): void {}

  private write(level: Level, args: LogArgs): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return
    ;(this.pinoChild()[level] as (...args: LogArgs) => void)(...args)
  }

  private pinoChild(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options)
    return this.made
  }
}
