// The tallies' exposition is what prom-client's own Counter and Histogram print for the same
// requests: same samples, same values, bucket bounds inclusive.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Counter, Histogram, Registry } from 'prom-client'
import { RouteTallies } from './route-tallies.js'

const BUCKETS = [0.005, 0.01, 0.1, 1]
const REQUESTS = { name: 'x_requests_total', help: 'requests' }
const DURATIONS = { name: 'x_duration_seconds', help: 'durations', buckets: BUCKETS }

/** Sample lines with their labels sorted, so label order does not matter; comments kept as they are. */
function normalized(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const match = /^(\w+)\{(.*)\} (\S+)$/.exec(line)
      if (!match) return line
      const labels = (match[2] as string).split(/,(?=\w+=")/).sort()
      return `${match[1]}{${labels.join(',')}} ${match[3]}`
    })
    .sort()
}

describe('RouteTallies', () => {
  it('exposes what prom-client exposes for the same requests', async () => {
    const theirs = new Registry()
    const labelNames = ['method', 'route', 'status_code'] as const
    const counter = new Counter({ ...REQUESTS, labelNames, registers: [theirs] })
    const histogram = new Histogram({ ...DURATIONS, buckets: BUCKETS, labelNames, registers: [theirs] })
    const ours = new Registry()
    const tallies = new RouteTallies({ registry: ours, requests: REQUESTS, durations: DURATIONS })

    const requests: Array<[string, string, number, number]> = [
      ['GET', '/a/:id', 200, 0.001],
      ['GET', '/a/:id', 200, 0.005], // on a bound: counted in that bucket
      ['GET', '/a/:id', 404, 0.02],
      ['POST', '/a/:id', 200, 3], // above every bound
      ['GET', 'unmatched', 404, 0.5],
      ['GET', '/a/:id', 200, 0.0051],
    ]
    for (const [method, route, status, seconds] of requests) {
      const labels = { method, route, status_code: String(status) }
      counter.inc(labels)
      histogram.observe(labels, seconds)
      tallies.forRoute(route).record(method, status, seconds)
    }

    const expected = normalized(await theirs.metrics())
    assert.ok(expected.includes('x_duration_seconds_bucket{le="0.005",method="GET",route="/a/:id",status_code="200"} 2'))
    assert.deepEqual(normalized(await ours.metrics()), expected)
    assert.deepEqual(
      (await ours.getMetricsAsJSON()).map((metric) => [metric.name, metric.type, metric.values.length]),
      (await theirs.getMetricsAsJSON()).map((metric) => [metric.name, metric.type, metric.values.length]),
    )
  })

  it('gives routes that share a template one tally', () => {
    const tallies = new RouteTallies({ registry: new Registry(), requests: REQUESTS, durations: DURATIONS })
    assert.equal(tallies.forRoute('/a'), tallies.forRoute('/a'))
    assert.notEqual(tallies.forRoute('/a'), tallies.forRoute('/b'))
  })
})
