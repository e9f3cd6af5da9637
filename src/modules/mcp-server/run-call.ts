// One execution tool call: follows the run it started, reports its progress to the client (when
// the call carries a progressToken), cancels it when the call is cancelled, and answers the run
// as it ended, or as it is when the wait runs out (the run goes on; `get_run` reads it later).
import type { Run } from '../../engine/run.js'
import type { Runs } from '../../engine/runs.js'
import { isTerminal, type RunEvent } from '../../engine/run-events.js'

export interface CallControl {
  /** Aborted when the client cancels the call or goes away. */
  signal: AbortSignal
  /** Sends one progress notification (absent when the call asked for none). */
  progress?: (progress: number, message: string) => Promise<void>
}

/** How long an ended run's answer waits for its last progress notifications to be sent first. */
const PROGRESS_DRAIN_MS = 10_000

export async function followRun(runs: Runs, run: Run, waitMs: number, control: CallControl): Promise<Run> {
  let followed: Promise<void> = Promise.resolve()
  let stopFollowing = () => {}
  if (control.progress) {
    const reader = progressReader(control.progress)
    followed = reader.ended
    stopFollowing = runs.follow(run.id, 0, reader)
  }
  const cancel = () => void runs.cancel(run.id).catch(() => {})
  if (control.signal.aborted) cancel()
  else control.signal.addEventListener('abort', cancel, { once: true })
  try {
    const ended = await runs.waitForEnd(run, waitMs)
    // The answer goes after the run's last progress notifications, which are sent asynchronously.
    if (isTerminal(ended.status)) await Promise.race([followed, new Promise((resolve) => setTimeout(resolve, PROGRESS_DRAIN_MS).unref())])
    return ended
  } finally {
    control.signal.removeEventListener('abort', cancel)
    stopFollowing()
  }
}

/** Progress counts the run's events; the message says what the run is doing. */
function progressReader(send: (progress: number, message: string) => Promise<void>) {
  let end = () => {}
  let sending: Promise<unknown> = Promise.resolve()
  const ended = new Promise<void>((resolve) => {
    end = () => void sending.then(() => resolve())
  })
  return {
    ended,
    onEvents(events: readonly RunEvent[]) {
      for (const event of events) sending = sending.then(() => send(event.seq, describe(event)).catch(() => {}))
    },
    onEnd: () => end(),
    onError: () => end(),
  }
}

function describe(event: RunEvent): string {
  switch (event.type) {
    case 'run.queued':
      return 'queued'
    case 'run.started':
      return 'started'
    case 'text.delta':
      return `writing: ${event.data.text.slice(-80)}`
    case 'tool.started':
      return `calling tool ${event.data.name}`
    case 'tool.finished':
      return `tool ${event.data.name} ${event.data.isError ? 'failed' : 'answered'}`
    case 'usage':
      return `tokens in ${event.data.tokensIn}, out ${event.data.tokensOut}`
    case 'provider.event':
      return 'working'
    default:
      return event.type.replace('run.', '')
  }
}

/** The tool answer for a run: its output; an error for a run that failed; its id while it goes on. */
export function runAnswer(run: Run, extra: Record<string, unknown> = {}) {
  const data = { run_id: run.id, status: run.status, ...extra }
  if (!isTerminal(run.status)) {
    return {
      isError: false,
      text: `Run ${run.id} is still ${run.status}; it goes on. Read its result later with get_run {"run_id": "${run.id}"}.`,
      data,
    }
  }
  if (run.status === 'completed') return { isError: false, text: run.output, data: { ...data, output: run.output } }
  const why = run.status === 'failed' ? (run.error ?? 'no error text') : run.status === 'timed_out' ? 'it ran out of time' : 'it was cancelled'
  return {
    isError: true,
    text: `Run ${run.id} ${run.status.replace('_', ' ')}: ${why}${run.output ? `\n\nPartial output:\n${run.output}` : ''}`,
    data,
  }
}
