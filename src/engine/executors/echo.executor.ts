// Deterministic, offline: answers with the input, word by word. For trying the gateway without
// any provider and for tests; only ever chosen explicitly (provider "echo").
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorEvent, StopRequest } from '../executor.js'

export class EchoExecutor implements Executor {
  readonly kind = 'echo' as const

  /** @param chunkDelayMs pause between words, to make runs observable while running. */
  constructor(private readonly chunkDelayMs = 0) {}

  async execute(request: ExecutionRequest, emit: (event: ExecutorEvent) => void, stop: StopRequest): Promise<ExecutionResult> {
    const words = request.input.split(/(?<=\s)/)
    let output = ''
    for (const word of words) {
      if (stop.aborted) break
      // Only a paced echo waits, so only it needs the signal.
      if (this.chunkDelayMs > 0) await sleep(this.chunkDelayMs, stop.signal)
      if (stop.aborted) break
      output += word
      emit({ type: 'text.delta', text: word })
    }
    const usage = { tokensIn: countWords(request.prompt), tokensOut: countWords(output) }
    emit({ type: 'usage', usage })
    return { output, exitCode: 0, usage }
  }
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}
