// Runs one command as the leader of its own process group, so stopping it stops everything it
// started: SIGTERM to the group, SIGKILL after a grace period. Node reaps the child itself, so
// nothing is left behind as a zombie.
import { spawn } from 'node:child_process'

export interface ProcessOptions {
  command: string
  args: string[]
  cwd: string
  /** Written to stdin, which is then closed. */
  stdin: string
  onStdout(text: string): void
  onStderr(text: string): void
  signal: AbortSignal
  /** Between SIGTERM and SIGKILL when stopping. */
  killGraceMs: number
}

export type ProcessOutcome =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stopped: boolean }
  | { kind: 'not-started'; error: NodeJS.ErrnoException }

/** How long output pipes may stay open after the command exited (a background grandchild holding them). */
const PIPE_LINGER_MS = 2_000

export function runProcess(options: ProcessOptions): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    const child = spawn(options.command, options.args, { cwd: options.cwd, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
    let stopped = false
    let killTimer: NodeJS.Timeout | undefined
    let lingerTimer: NodeJS.Timeout | undefined
    let settled = false
    const settle = (outcome: ProcessOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(killTimer)
      clearTimeout(lingerTimer)
      options.signal.removeEventListener('abort', stop)
      resolve(outcome)
    }
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal)
      } catch {
        // ESRCH: the whole group is already gone.
      }
    }
    function stop() {
      if (settled || stopped) return
      stopped = true
      killGroup('SIGTERM')
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs)
      killTimer.unref()
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) settle({ kind: 'not-started', error })
    })
    child.stdout.setEncoding('utf8').on('data', options.onStdout)
    child.stderr.setEncoding('utf8').on('data', options.onStderr)
    child.stdin.on('error', () => {
      // EPIPE: the command exited without reading its input; its exit code tells the story.
    })
    child.stdin.end(options.stdin)
    child.on('exit', () => {
      lingerTimer = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, PIPE_LINGER_MS)
      lingerTimer.unref()
    })
    child.on('close', (code, signal) => settle({ kind: 'exited', code, signal, stopped }))

    if (options.signal.aborted) stop()
    else options.signal.addEventListener('abort', stop, { once: true })
  })
}
