// Runs an executor the way the worker pool does, collecting what it emits.
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorEvent } from '../../src/engine/executor.js'
import { RunStop } from '../../src/engine/run-stop.js'

export function executionRequest(overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  const input = overrides.input ?? 'hello'
  return {
    runId: '65a1b2c3d4e5f60718293a4b',
    agentId: null,
    agentName: null,
    provider: 'openai',
    model: null,
    system: '',
    history: [],
    input,
    prompt: input,
    cwd: null,
    mcpServers: [],
    timeoutMs: 60_000,
    instanceId: null,
    conversationId: null,
    screenplayId: null,
    contextMode: 'stateful',
    ...overrides,
  }
}

export interface Execution {
  result: ExecutionResult
  events: ExecutorEvent[]
  /** Events of one type, narrowed. */
  of<T extends ExecutorEvent['type']>(type: T): Array<Extract<ExecutorEvent, { type: T }>>
}

/**
 * Executes and collects events; fails the test if the executor emits after settling.
 * `onEvent` sees each event as it arrives (e.g. to abort mid-stream).
 */
export async function execute(
  executor: Executor,
  request: ExecutionRequest,
  options: { stop?: RunStop; onEvent?: (event: ExecutorEvent) => void } = {},
): Promise<Execution> {
  const events: ExecutorEvent[] = []
  let settled = false
  const result = await executor.execute(
    request,
    (event) => {
      if (settled) throw new Error(`emitted ${event.type} after execute settled`)
      events.push(event)
      options.onEvent?.(event)
    },
    options.stop ?? new RunStop(),
  )
  settled = true
  return {
    result,
    events,
    of: <T extends ExecutorEvent['type']>(type: T) => events.filter((e): e is Extract<ExecutorEvent, { type: T }> => e.type === type),
  }
}

/** Joined text of the text deltas. */
export function streamedText(execution: Execution): string {
  return execution
    .of('text.delta')
    .map((e) => e.text)
    .join('')
}
