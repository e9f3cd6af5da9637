// Run metrics from the engine's face only: end hooks (exactly once per run, on the instance that
// ends it), the live event feed (time to first event) and a census of the queue at scrape time.
import type { Logger } from 'pino'
import { durationOf } from '../../engine/run.js'
import { isFinalEvent, type RunEvent } from '../../engine/run-events.js'
import type { Runs } from '../../engine/runs.js'
import type { Metrics } from '../../platform/metrics.js'

/** Events that are a run's output, as opposed to its lifecycle. */
const OUTPUT_EVENTS: ReadonlySet<string> = new Set(['text.delta', 'tool.started', 'tool.finished', 'usage', 'provider.event'])
/** Bounds what is remembered about runs whose final event never arrives here. */
const MAX_TRACKED = 10_000

interface EndedHere {
  createdAt: number
  executor: string
  provider: string
}

export function recordRunMetrics(runs: Runs, metrics: Metrics, logger: Logger): void {
  const firstOutputAt = new Map<string, number>()
  const endedHere = new Map<string, EndedHere>()

  runs.afterEnded((run) => {
    metrics.runEnded(run.status, run.executor, run.provider, durationOf(run) / 1000)
    remember(endedHere, run.id, { createdAt: run.createdAt, executor: run.executor, provider: run.provider })
  })

  // The final event is published after the end commits, so the end hook has run by then; output
  // stored together with the end arrives in the same batch, before the final event.
  runs.followAll((events: readonly RunEvent[]) => {
    for (const event of events) {
      if (OUTPUT_EVENTS.has(event.type) && !firstOutputAt.has(event.runId)) remember(firstOutputAt, event.runId, event.at)
      if (!isFinalEvent(event)) continue
      const first = firstOutputAt.get(event.runId)
      const ended = endedHere.get(event.runId)
      if (first !== undefined && ended) metrics.runFirstEvent(ended.executor, ended.provider, Math.max(0, first - ended.createdAt) / 1000)
      firstOutputAt.delete(event.runId)
      endedHere.delete(event.runId)
    }
  })

  metrics.onScrape(async () => {
    try {
      metrics.runCensus(await runs.census())
    } catch (err) {
      logger.warn({ err }, 'counting runs for the metrics failed')
      metrics.runCensusUnavailable()
    }
  })
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  if (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!)
  map.set(key, value)
}
