// HTTP load from autocannon (keep-alive, one request in flight per connection): the same
// generator for the gateway and for the bare Fastify baseline, so their figures compare.
import autocannon from 'autocannon'
import { cpuTicksOf, TICKS_PER_SECOND } from './cpu.js'
import { percentile } from './stats.js'

export interface LoadSpec {
  url: string
  connections: number
  seconds: number
  method?: 'GET' | 'POST'
  body?: unknown
  /** Counts a 2xx response as failed when its body does not pass (e.g. a run that did not complete). */
  accept?: (body: string) => boolean
  /** The server's process: its CPU time per request is measured too (robust on a busy machine). */
  pid?: number
}

export interface LoadResult {
  rps: number
  p50Ms: number
  p99Ms: number
  /** Non-2xx answers, socket errors, timeouts and bodies that `accept` refused. */
  failures: number
  /** Server CPU time (user + system) per request, in microseconds; NaN without `pid`. */
  cpuUsPerRequest: number
}

export async function load(spec: LoadSpec): Promise<LoadResult> {
  let refused = 0
  const cpuBefore = spec.pid === undefined ? 0 : cpuTicksOf(spec.pid)
  const accept = spec.accept
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    method: spec.method ?? 'GET',
    ...(spec.body === undefined ? {} : { body: JSON.stringify(spec.body), headers: { 'content-type': 'application/json' } }),
    ...(accept
      ? {
          requests: [
            {
              onResponse: (status: number, body: string) => {
                if (status < 300 && !accept(body)) refused++
              },
            },
          ],
        }
      : {}),
  })
  const cpuUs = spec.pid === undefined ? NaN : ((cpuTicksOf(spec.pid) - cpuBefore) * 1e6) / TICKS_PER_SECOND
  return {
    cpuUsPerRequest: cpuUs / result.requests.total,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + refused,
  }
}

/** The median run of several (by rate), with the spread of the rates. */
export function medianOf(results: LoadResult[]): LoadResult & { spread: [number, number] } {
  const rates = results.map((r) => r.rps)
  const middle = percentile(rates, 50)
  const chosen = results.find((r) => r.rps === middle)!
  return { ...chosen, spread: [Math.min(...rates), Math.max(...rates)] }
}
