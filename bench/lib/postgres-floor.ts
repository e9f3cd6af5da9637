// What PostgreSQL alone costs for the writes of a run: the gateway's own runs repository (the same
// statements, the same sharing of one statement by the writes of an event-loop turn) driven from
// this process with no HTTP, no engine and no load generator. No gateway on this machine can write
// runs faster, and the CPU it leaves is what HTTP and the engine may use.
import { contextOf } from '../../src/engine/run.js'
import { endingOf, finalEventOf } from '../../src/engine/run-ending.js'
import type { RunEventBody } from '../../src/engine/run-events.js'
import { KyselyRunsRepo } from '../../src/engine/runs.repo.js'
import { openDatabase } from '../../src/platform/db/database.js'
import { migrateToLatest } from '../../src/platform/db/migrate.js'
import { newObjectId } from '../../src/platform/ids.js'
import { newRun } from '../../test/helpers/run-factories.js'
import { cpuMeter } from './cpu.js'

export interface PostgresFloor {
  runsPerSecond: number
  /** CPU of every PostgreSQL process, per run. */
  postgresUsPerRun: number
  /** CPU of this process (the repository, pg's client and protocol), per run. */
  clientUsPerRun: number
}

/**
 * Runs in flight in the floor: about as many as share one statement in a gateway at c=50 (its
 * HTTP requests arrive spread over event-loop turns, so about a dozen writes meet in each).
 */
export const POSTGRES_FLOOR_LANES = 12

const OUTPUT = 'hello benchmark world'
const USAGE = { tokensIn: 3, tokensOut: 3 }
const LEASE = { workerId: 'floor-worker', leaseMs: 30_000 }

/**
 * `lanes` runs in flight at once, each created running (with its `run.queued` and `run.started`
 * events) and then ended (with its output, usage and final events), the cheapest path an echo run
 * takes: no claim, no conversation, no end hook. Measured for `seconds` after one of warm-up.
 */
export async function postgresRunFloor(url: string, lanes = POSTGRES_FLOOR_LANES, seconds = 5): Promise<PostgresFloor> {
  const database = openDatabase(url)
  await migrateToLatest(database)
  const repo = new KyselyRunsRepo(database.db, 'postgres')
  let done = 0
  const lane = async (until: number) => {
    while (performance.now() < until) {
      const now = Date.now()
      const run = newRun(newObjectId(now), now, LEASE, { status: 'running', input: OUTPUT, lastSeq: 2 })
      const created: RunEventBody[] = [
        { type: 'run.queued', data: contextOf(run) },
        { type: 'run.started', data: { workerId: LEASE.workerId } },
      ]
      await repo.insert(run, undefined, created)
      const ending = endingOf(run, { kind: 'finished', result: { output: OUTPUT, exitCode: 0 } }, OUTPUT, USAGE, Date.now())
      const ended: RunEventBody[] = [
        { type: 'text.delta', data: { text: OUTPUT } },
        { type: 'usage', data: USAGE },
        finalEventOf(Object.assign(run, ending)),
      ]
      if (!(await repo.end(run.id, ['running'], ending, ended))) throw new Error(`floor: run ${run.id} did not end`)
      done++
    }
  }
  const inLanes = (ms: number) => Promise.all(Array.from({ length: lanes }, () => lane(performance.now() + ms)))
  try {
    await inLanes(1000)
    done = 0
    const meter = cpuMeter()
    const started = performance.now()
    await inLanes(seconds * 1000)
    const elapsed = (performance.now() - started) / 1000
    const split = meter()
    const usPerRun = (share: number) => ((share / 100) * elapsed * 1e6) / done
    return {
      runsPerSecond: done / elapsed,
      postgresUsPerRun: usPerRun(split.postgres),
      clientUsPerRun: usPerRun(split.loadGenerator),
    }
  } finally {
    await database.close()
  }
}
