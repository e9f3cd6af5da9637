// OpenTelemetry tracing, off unless the standard OTEL_* environment asks for it: spans go to an
// OTLP/HTTP endpoint through a batching processor. The SDK reads the rest of the standard variables
// itself (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_SAMPLER,
// OTEL_BSP_*). Code that makes spans only uses @opentelemetry/api, which costs nothing while off.
import { trace, type Tracer } from '@opentelemetry/api'

const TRACER_NAME = 'conductor-gateway'
const DEFAULT_SERVICE_NAME = 'conductor-gateway'
/** An unreachable collector must not hold shutdown: the exporter would retry for its whole timeout. */
export const SHUTDOWN_BOUND_MS = 2_000

export interface Tracing {
  /**
   * Sends what is still buffered, then stops; waits at most SHUTDOWN_BOUND_MS. False when the
   * collector did not take the spans in time: the exporter then still has retries scheduled, on
   * timers of its own that can be neither cancelled nor unref'd, and they keep the process alive
   * until OTEL_EXPORTER_OTLP_TIMEOUT passes unless the process exits.
   */
  shutdown(): Promise<boolean>
}

/** The OTEL_* variables that decide whether tracing is on (see `tracingWanted`). */
export type OtelEnvironment = Partial<Record<string, string>>

let active = false

/**
 * On when an OTLP endpoint is named (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
 * or OTEL_TRACES_EXPORTER=otlp; never when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
 */
export function tracingWanted(env: OtelEnvironment): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)
  if (exporters.includes('none')) return false
  if (exporters.includes('otlp')) return true
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
}

/** Starts tracing for the whole process when the environment wants it; null when it stays off. */
export async function startTracing(env: OtelEnvironment, version: string): Promise<Tracing | null> {
  if (!tracingWanted(env)) return null
  // The SDK is loaded only when tracing is on: it weighs megabytes of memory a process without it never uses.
  const [
    { OTLPTraceExporter },
    { defaultResource, detectResources, envDetector, resourceFromAttributes },
    { BatchSpanProcessor, NodeTracerProvider },
  ] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
  ])
  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME, 'service.version': version }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults.
    .merge(detectResources({ detectors: [envDetector] }))
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] })
  // Also installs the AsyncLocalStorage context manager and W3C trace-context propagation.
  provider.register()
  active = true
  return {
    async shutdown() {
      active = false
      let timer: NodeJS.Timeout | undefined
      const bound = new Promise<false>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_BOUND_MS, false)
      })
      const stopped = provider.shutdown().then(
        () => true,
        () => true,
      )
      const done = await Promise.race([stopped, bound])
      clearTimeout(timer)
      return done
    },
  }
}

/** Whether spans are being recorded (hooks that only feed tracing skip their work when not). */
export function tracingActive(): boolean {
  return active
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME)
}
