// How a run ends: the one place that turns what happened (the executor's result, a cancel, a
// timeout, a lost worker) into the run's final columns, and those columns into its final event.
// Every path that ends a run (worker, reaper, cancel, shutdown, a reader of a purged log) uses it.
import type { ExecutionResult } from './executor.js'
import { durationOf, type Run } from './run.js'
import type { RunEventBody, RunStatus, Severity, Usage } from './run-events.js'
import { severityOf } from './severity.js'

export type RunOutcome =
  /** The executor finished by itself: completed, or failed with its exit code. */
  | { kind: 'finished'; result: ExecutionResult }
  | { kind: 'cancelled' }
  | { kind: 'timed_out' }
  /** The gateway could not let it finish (shutdown, lost worker, executor crash). */
  | { kind: 'abandoned'; error: string }

/** The columns a finished run gets. */
export interface RunEnding {
  status: RunStatus
  output: string
  error: string | null
  exitCode: number | null
  severity: Severity | null
  usage: Usage | null
  endedAt: number
}

export function endingOf(run: Pick<Run, 'timeoutMs'>, outcome: RunOutcome, output: string, usage: Usage | null, endedAt: number): RunEnding {
  // Plain literals: one that spreads a base and adds keys costs microseconds on Node 20's V8, once per run here.
  const ending = (status: RunStatus, error: string | null, exitCode: number | null, severity: Severity | null): RunEnding => ({
    status,
    output,
    error,
    exitCode,
    severity,
    usage,
    endedAt,
  })
  switch (outcome.kind) {
    case 'cancelled':
      return ending('cancelled', null, null, null)
    case 'timed_out':
      return ending('timed_out', `timed out after ${run.timeoutMs} ms`, 124, 'error')
    case 'abandoned':
      return ending('failed', outcome.error, 1, 'error')
    case 'finished': {
      const { exitCode } = outcome.result
      if (exitCode === 0) return ending('completed', null, exitCode, severityOf(output, 0))
      return ending('failed', outcome.result.error ?? `exited with code ${exitCode}`, exitCode, 'error')
    }
  }
}

type EndedRun = Pick<Run, 'status' | 'output' | 'error' | 'exitCode' | 'severity' | 'startedAt' | 'endedAt' | 'timeoutMs'>

/** The final event of an ended run, from its stored columns. */
export function finalEventOf(run: EndedRun): RunEventBody {
  const { output } = run
  const durationMs = durationOf(run)
  switch (run.status) {
    case 'completed':
      return { type: 'run.completed', data: { output, exitCode: 0, durationMs, severity: run.severity ?? 'success' } }
    case 'cancelled':
      return { type: 'run.cancelled', data: { output, durationMs } }
    case 'timed_out':
      return { type: 'run.timed_out', data: { output, durationMs, timeoutMs: run.timeoutMs } }
    default:
      return { type: 'run.failed', data: { error: run.error ?? 'failed', output, exitCode: run.exitCode ?? 1, durationMs } }
  }
}

/** The end state a final event tells, for readers that only see events (the live feeds). */
export interface EndState {
  status: RunStatus
  output: string
  error: string | null
  exitCode: number | null
  severity: Severity | null
  durationMs: number
}

export function endStateOf(event: RunEventBody): EndState | undefined {
  switch (event.type) {
    case 'run.completed':
      return {
        status: 'completed',
        output: event.data.output,
        error: null,
        exitCode: 0,
        severity: event.data.severity,
        durationMs: event.data.durationMs,
      }
    case 'run.failed':
      return { status: 'failed', ...event.data, severity: 'error' }
    case 'run.cancelled':
      return { status: 'cancelled', output: event.data.output, error: null, exitCode: null, severity: null, durationMs: event.data.durationMs }
    case 'run.timed_out':
      return {
        status: 'timed_out',
        output: event.data.output,
        error: `timed out after ${event.data.timeoutMs} ms`,
        exitCode: 124,
        severity: 'error',
        durationMs: event.data.durationMs,
      }
    default:
      return undefined
  }
}
