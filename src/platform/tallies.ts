// Counters and histograms for the Prometheus registry, without prom-client's cost per observation:
// a labels object, its validation and a string key built and looked up in both a counter and a
// histogram, about 3 µs each (a tenth of a kept read's CPU, a few percent of a run's). The code
// that observes holds or finds its row; the registry reads the rows only when /metrics is scraped.
import type { Metric, Registry } from 'prom-client'

type Labels = Record<string, string | number>

/** One label combination's observations. */
interface Row {
  count: number
  sum: number
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  perBucket: number[]
}

function newRow(bounds: readonly number[]): Row {
  return { count: 0, sum: 0, perBucket: new Array<number>(bounds.length + 1).fill(0) }
}

function observe(row: Row, bounds: readonly number[], seconds: number): void {
  row.count++
  row.sum += seconds
  let bucket = 0
  while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++
  row.perBucket[bucket]!++
}

export interface TalliesOptions {
  registry: Registry
  /** A counter of the observations by the same labels; without it, the histogram alone. */
  counter?: { name: string; help: string }
  /** A histogram of the observed seconds. */
  histogram: { name: string; help: string; buckets: readonly number[] }
}

interface LabelledRow {
  labels: Labels
  row: Row
}

/** One sample as prom-client's own metrics give it from `get()`. */
interface Sample {
  metricName?: string
  labels: Labels
  value: number
}

/** What prom-client's registry reads from a registered metric. */
interface ExposedMetric {
  name: string
  help: string
  type: 'counter' | 'histogram'
  aggregator: 'sum'
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }>
  reset(): void
}

/** Registers the counter (if asked for) and the histogram of `rows`; `reset` forgets them all. */
function expose(options: TalliesOptions, rows: () => Iterable<LabelledRow>, reset: () => void): void {
  const exposed = (name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): ExposedMetric => ({
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset,
  })
  if (options.counter) {
    const { name, help } = options.counter
    register(
      options.registry,
      exposed(name, help, 'counter', () => Array.from(rows(), ({ labels, row }) => ({ labels, value: row.count }))),
    )
  }
  const { name, help, buckets } = options.histogram
  register(
    options.registry,
    exposed(name, help, 'histogram', () => {
      const values: Sample[] = []
      for (const { labels, row } of rows()) {
        let cumulative = 0
        buckets.forEach((bound, i) => {
          cumulative += row.perBucket[i] as number
          values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bound }, value: cumulative })
        })
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: row.count })
        values.push({ metricName: `${name}_sum`, labels, value: row.sum })
        values.push({ metricName: `${name}_count`, labels, value: row.count })
      }
      return values
    }),
  )
}

/**
 * The registry reads any object with prom-client's `get()` shape, but its type lists only
 * prom-client's own classes.
 */
function register(registry: Registry, metric: ExposedMetric): void {
  registry.registerMetric(metric as unknown as Metric)
}

/** Observations by a fixed list of label values, in the order of `labelNames`. */
export class Tallies {
  private readonly rows = new Map<string, LabelledRow>()
  private readonly bounds: readonly number[]

  constructor(
    private readonly labelNames: readonly string[],
    options: TalliesOptions,
  ) {
    this.bounds = options.histogram.buckets
    expose(
      options,
      () => this.rows.values(),
      () => this.rows.clear(),
    )
  }

  observe(values: readonly string[], seconds: number): void {
    const key = values.join('\u0000')
    let found = this.rows.get(key)
    if (found === undefined) {
      const labels: Labels = {}
      this.labelNames.forEach((name, i) => {
        labels[name] = values[i] as string
      })
      found = { labels, row: newRow(this.bounds) }
      this.rows.set(key, found)
    }
    observe(found.row, this.bounds, seconds)
  }
}

interface RouteRow extends Row {
  method: string
  statusCode: number
}

/** One route template's requests, by method and status code: a short list, searched without a key. */
export class RouteTally {
  readonly rows: RouteRow[] = []

  constructor(
    readonly route: string,
    private readonly bounds: readonly number[],
  ) {}

  record(method: string, statusCode: number, seconds: number): void {
    let row: RouteRow | undefined
    for (const candidate of this.rows) {
      if (candidate.statusCode === statusCode && candidate.method === method) {
        row = candidate
        break
      }
    }
    if (row === undefined) {
      row = { method, statusCode, ...newRow(this.bounds) }
      this.rows.push(row)
    }
    observe(row, this.bounds, seconds)
  }
}

/** HTTP requests by method, route template and status code; each route's hook holds its own tally. */
export class RouteTallies {
  private readonly tallies = new Map<string, RouteTally>()

  constructor(private readonly options: TalliesOptions) {
    expose(
      options,
      () => this.labelledRows(),
      () => {
        for (const tally of this.tallies.values()) tally.rows.length = 0
      },
    )
  }

  /** The tally of one route template; routes that share a template share it. */
  forRoute(route: string): RouteTally {
    let tally = this.tallies.get(route)
    if (tally === undefined) {
      tally = new RouteTally(route, this.options.histogram.buckets)
      this.tallies.set(route, tally)
    }
    return tally
  }

  private *labelledRows(): Iterable<LabelledRow> {
    for (const tally of this.tallies.values()) {
      for (const row of tally.rows) {
        yield { labels: { method: row.method, route: tally.route, status_code: String(row.statusCode) }, row }
      }
    }
  }
}
