// The tallies' exposition is what prom-client's own Counter and Histogram print for the same
// requests: same samples, same values, bucket bounds inclusive.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Counter, Histogram, Registry } from 'prom-client'
import { RouteTallies, Tallies } from './tallies.js'

const BUCKETS = [0.005, 0.01, 0.1, 1]
const REQUESTS = { name: 'x_requests_total', help: 'requests' }
const DURATIONS = { name: 'x_duration_seconds', help: 'durations', buckets: BUCKETS }
const OPTIONS = { counter: REQUESTS, histogram: DURATIONS }

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
    const tallies = new RouteTallies({ registry: ours, ...OPTIONS })

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
    await assertSameExposition(ours, theirs)
  })

  it('gives routes that share a template one tally', () => {
    const tallies = new RouteTallies({ registry: new Registry(), ...OPTIONS })
    assert.equal(tallies.forRoute('/a'), tallies.forRoute('/a'))
    assert.notEqual(tallies.forRoute('/a'), tallies.forRoute('/b'))
  })
})

describe('Tallies', () => {
  const observations: Array<[string, string, string, number]> = [
    ['completed', 'echo', 'echo', 0.001],
    ['completed', 'echo', 'echo', 0.01], // on a bound: counted in that bucket
    ['failed', 'llm', 'openai', 2],
    ['completed', 'llm', 'openai', 0.2],
    ['completed', 'echo', 'echo', 0.5],
    // Values that would run together if the key were their plain concatenation.
    ['completed', 'ec', 'hoecho', 0.5],
  ]
  const labelNames = ['state', 'executor', 'provider'] as const

  it('exposes what a prom-client counter and histogram expose for the same labels', async () => {
    const theirs = new Registry()
    const counter = new Counter({ ...REQUESTS, labelNames, registers: [theirs] })
    const histogram = new Histogram({ ...DURATIONS, labelNames, registers: [theirs] })
    const ours = new Registry()
    const tallies = new Tallies(labelNames, { registry: ours, ...OPTIONS })
    for (const [state, executor, provider, seconds] of observations) {
      counter.inc({ state, executor, provider })
      histogram.observe({ state, executor, provider }, seconds)
      tallies.observe([state, executor, provider], seconds)
    }
    assert.ok(normalized(await theirs.metrics()).includes('x_requests_total{executor="echo",provider="echo",state="completed"} 3'))
    await assertSameExposition(ours, theirs)
  })

  it('exposes the histogram alone when no counter is asked for', async () => {
    const theirs = new Registry()
    const histogram = new Histogram({ ...DURATIONS, labelNames, registers: [theirs] })
    const ours = new Registry()
    const tallies = new Tallies(labelNames, { registry: ours, histogram: DURATIONS })
    for (const [state, executor, provider, seconds] of observations) {
      histogram.observe({ state, executor, provider }, seconds)
      tallies.observe([state, executor, provider], seconds)
    }
    await assertSameExposition(ours, theirs)
  })

  it('forgets every label combination when the registry is reset', async () => {
    const registry = new Registry()
    const tallies = new Tallies(labelNames, { registry, ...OPTIONS })
    tallies.observe(['completed', 'echo', 'echo'], 1)
    registry.resetMetrics()
    assert.deepEqual(
      (await registry.getMetricsAsJSON()).map((metric) => metric.values.length),
      [0, 0],
    )
  })
})

async function assertSameExposition(ours: Registry, theirs: Registry): Promise<void> {
  assert.deepEqual(normalized(await ours.metrics()), normalized(await theirs.metrics()))
  assert.deepEqual(
    (await ours.getMetricsAsJSON()).map((metric) => [metric.name, metric.type, metric.values.length]),
    (await theirs.getMetricsAsJSON()).map((metric) => [metric.name, metric.type, metric.values.length]),
  )
}
