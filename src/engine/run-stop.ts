// The worker pool's side of a run's stop request (see StopRequest in executor.ts).
import type { StopReason, StopRequest } from './executor.js'

/**
 * A run's stop request. Its AbortSignal is made only when an executor asks for one: Node 20
 * spends about 5 µs making a signal (more under load), and an echo run that does not pause
 * between words never needs it.
 */
export class RunStop implements StopRequest {
  private stoppedFor: StopReason | undefined
  private controller: AbortController | undefined

  get aborted(): boolean {
    return this.stoppedFor !== undefined
  }

  get reason(): StopReason | undefined {
    return this.stoppedFor
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController()
      if (this.stoppedFor !== undefined) this.controller.abort(this.stoppedFor)
    }
    return this.controller.signal
  }

  /** The first reason wins. */
  stop(reason: StopReason): void {
    if (this.stoppedFor !== undefined) return
    this.stoppedFor = reason
    this.controller?.abort(reason)
  }
}
