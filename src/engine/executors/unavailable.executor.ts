// Stands in for an executor kind this build does not provide, so a run naming it fails with
// a clear error instead of hanging or crashing.
import type { ExecutionResult, Executor } from '../executor.js'
import type { ExecutorKind } from '../run.js'

export class UnavailableExecutor implements Executor {
  constructor(readonly kind: ExecutorKind) {}

  async execute(): Promise<ExecutionResult> {
    return { output: '', exitCode: 1, error: `the ${this.kind} executor is not available in this gateway build` }
  }
}
