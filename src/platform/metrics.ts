// The gateway's Prometheus metrics: one registry per process (per app in tests), a small typed API
// for the code that observes things, and `scrape()` for GET /metrics. Names follow Prometheus
// conventions: a `conductor_` namespace, base units in the name, `_total` on counters.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { type RouteTally, RouteTallies, Tallies } from './tallies.js'

export type CouncilorTickOutcome = 'fired' | 'skipped' | 'refused'

/** Counts taken from storage at scrape time (the runs table is the queue). */
export interface RunCensusLike {
  active: ReadonlyArray<{ status: string; executor: string; provider: string; count: number }>
  storedEvents: number
}

/** Seconds, for requests and model calls: 5 ms … 60 s. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
/** Seconds, for whole runs: 100 ms … 2 h. */
const RUN_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200]

export class Metrics {
  readonly registry = new Registry()
  private readonly beforeScrape: Array<() => Promise<void>> = []

  private readonly httpRequests = new RouteTallies({
    registry: this.registry,
    counter: { name: 'conductor_http_requests_total', help: 'HTTP requests answered, by method, route template and status code' },
    histogram: {
      name: 'conductor_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to the end of its response',
      buckets: LATENCY_BUCKETS,
    },
  })
  private readonly runsEnded = new Tallies(['state', 'executor', 'provider'], {
    registry: this.registry,
    counter: { name: 'conductor_runs_ended_total', help: 'Runs ended by this instance, by final state, executor and provider' },
    histogram: {
      name: 'conductor_run_duration_seconds',
      help: 'How long runs executed (start to end), by final state, executor and provider',
      buckets: RUN_BUCKETS,
    },
  })
  private readonly timeToFirstEvent = new Tallies(['executor', 'provider'], {
    registry: this.registry,
    histogram: {
      name: 'conductor_run_time_to_first_event_seconds',
      help: 'From a run’s creation to its first output event (text, tool call, usage), for runs ended by this instance',
      buckets: LATENCY_BUCKETS,
    },
  })
  private readonly activeRuns = new Gauge({
    name: 'conductor_runs',
    help: 'Runs queued or running now (all instances), by state, executor and provider',
    labelNames: ['state', 'executor', 'provider'] as const,
    registers: [this.registry],
  })
  private readonly queueDepth = new Gauge({
    name: 'conductor_run_queue_depth',
    help: 'Runs waiting in the queue (status queued, all instances)',
    registers: [this.registry],
  })
  private readonly storedEvents = new Gauge({
    name: 'conductor_run_events_stored',
    help: 'Events the run event log holds (all runs, until retention removes them)',
    registers: [this.registry],
  })
  private readonly sseConnections = new Gauge({
    name: 'conductor_sse_connections',
    help: 'Server-sent event streams open on this instance',
    registers: [this.registry],
  })
  private readonly websocketConnections = new Gauge({
    name: 'conductor_websocket_connections',
    help: 'WebSocket connections open on this instance, by route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  })
  private readonly councilorTicks = new Counter({
    name: 'conductor_councilor_ticks_total',
    help: 'Councilor scheduler ticks by outcome: fired (a run was started), skipped (the previous one still ran), refused',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })
  private readonly councilorLateness = new Histogram({
    name: 'conductor_councilor_tick_lateness_seconds',
    help: 'How late councilor ticks started after their scheduled time',
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  })

  constructor(options: { processMetrics?: boolean } = {}) {
    for (const outcome of ['fired', 'skipped', 'refused'] as const) this.councilorTicks.inc({ outcome }, 0)
    // CPU, memory, event loop lag, handles, GC: prom-client's standard process_* and nodejs_* set.
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry })
  }

  /** Where one route template's requests are counted (its hook keeps it: no lookup per request). */
  httpRoute(route: string): RouteTally {
    return this.httpRequests.forRoute(route)
  }

  runEnded(state: string, executor: string, provider: string, durationSeconds: number): void {
    this.runsEnded.observe([state, executor, provider], durationSeconds)
  }

  runFirstEvent(executor: string, provider: string, seconds: number): void {
    this.timeToFirstEvent.observe([executor, provider], seconds)
  }

  /** Replaces the storage-derived gauges with a fresh count. */
  runCensus(census: RunCensusLike): void {
    this.activeRuns.reset()
    let queued = 0
    for (const { status, executor, provider, count } of census.active) {
      this.activeRuns.set({ state: status, executor, provider }, count)
      if (status === 'queued') queued += count
    }
    this.queueDepth.set(queued)
    this.storedEvents.set(census.storedEvents)
  }

  /** The count could not be taken (database down): no stale numbers. */
  runCensusUnavailable(): void {
    this.activeRuns.reset()
    this.queueDepth.reset()
    this.storedEvents.reset()
  }

  /** Where the number of open SSE streams is read at each scrape. */
  countSseWith(count: () => number): void {
    this.onScrape(async () => void this.sseConnections.set(count()))
  }

  websocketOpened(route: string): void {
    this.websocketConnections.inc({ route })
  }

  websocketClosed(route: string): void {
    this.websocketConnections.dec({ route })
  }

  councilorTick(outcome: CouncilorTickOutcome): void {
    this.councilorTicks.inc({ outcome })
  }

  /** Seconds between a tick's scheduled time and when it started. */
  councilorTickLateness(seconds: number): void {
    this.councilorLateness.observe(Math.max(0, seconds))
  }

  /** Work that refreshes gauges right before each scrape (e.g. counting queued runs). */
  onScrape(refresh: () => Promise<void>): void {
    this.beforeScrape.push(refresh)
  }

  get contentType(): string {
    return this.registry.contentType
  }

  async scrape(): Promise<string> {
    for (const refresh of this.beforeScrape) await refresh()
    return this.registry.metrics()
  }
}
