// Hands a run to an existing Python Conductor (conductor-backend.md §2.3): a synchronous
// `POST /agents/{agent_id}/execute` whose answer is the finished task document. While it runs,
// the Conductor's watcher calls the gateway back (§2.5); those frames reach this run through the
// ConductorCallbackRouter and become live events.
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorEvent, StopRequest } from '../executor.js'
import { ClaudeStreamParser } from './claude-stream.js'
import type { Frame } from '../../platform/events/frame.js'
import type { ConductorCallbackRouter } from './conductor-callbacks.js'

export interface ConductorExecutorOptions {
  /** Base URL of the Conductor API, without a trailing slash. */
  apiUrl: string
  callbacks: ConductorCallbackRouter
  /** Pauses before each retry of a connection that could not be opened (original gateway: 1 s, 3 s). */
  retryDelaysMs?: number[]
  fetch?: typeof fetch
}

/** Errors raised before a connection existed, so the Conductor cannot have seen the request. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])

type Attempt = { response: Response } | { notConnected: string } | { failed: string } | { aborted: true }

export class ConductorExecutor implements Executor {
  readonly kind = 'conductor' as const
  private readonly retryDelaysMs: number[]
  private readonly fetch: typeof fetch

  constructor(private readonly options: ConductorExecutorOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? [1_000, 3_000]
    this.fetch = options.fetch ?? globalThis.fetch
  }

  async execute(request: ExecutionRequest, emit: (event: ExecutorEvent) => void, stop: StopRequest): Promise<ExecutionResult> {
    const { signal } = stop
    const agentId = request.agentId ?? request.agentName
    if (!agentId) return { output: '', exitCode: 1, error: 'the conductor provider runs a Conductor agent: the run names no agent' }
    let open = true
    const guarded = (event: ExecutorEvent) => open && emit(event)
    const parser = new ClaudeStreamParser(guarded)
    const unsubscribe = this.options.callbacks.subscribe(request.runId, (frame) => onFrame(frame, parser))
    try {
      const attempt = await this.post(agentId, request, signal)
      const streamed = () => ({ output: parser.output, ...(parser.usage && { usage: parser.usage }) })
      if ('response' in attempt) return await resultOf(attempt.response, streamed)
      const partial = streamed()
      if ('aborted' in attempt) {
        // The Conductor has no cancel: its task may still run to the end; we only stop waiting.
        const timedOut = signal.reason === 'timeout'
        return { ...partial, exitCode: timedOut ? 124 : 1, error: 'stopped waiting for the Conductor (its task cannot be cancelled)' }
      }
      if ('notConnected' in attempt) {
        const tries = this.retryDelaysMs.length + 1
        return {
          ...partial,
          exitCode: 1,
          error: `cannot connect to the Conductor at ${this.options.apiUrl} after ${tries} attempts: ${attempt.notConnected}`,
        }
      }
      return { ...partial, exitCode: 1, error: `the Conductor call failed: ${attempt.failed}` }
    } finally {
      open = false
      unsubscribe()
    }
  }

  private async post(agentId: string, request: ExecutionRequest, signal: AbortSignal): Promise<Attempt> {
    const url = `${this.options.apiUrl}/agents/${encodeURIComponent(agentId)}/execute`
    const body = JSON.stringify({
      task_id: request.runId,
      user_input: request.input,
      cwd: request.cwd,
      timeout: Math.max(1, Math.ceil(request.timeoutMs / 1000)),
      // compat: conductor-backend.md §2.3: null lets the agent's own provider apply ("claude" would override it).
      provider: null,
      instance_id: request.instanceId,
      conversation_id: request.conversationId,
      screenplay_id: request.screenplayId,
      context_mode: request.contextMode,
    })
    let attempt: Attempt = { notConnected: 'no attempt made' }
    for (const delay of [0, ...this.retryDelaysMs]) {
      if (delay > 0 && !(await pause(delay, signal))) return { aborted: true }
      attempt = await this.once(url, body, signal)
      if (!('notConnected' in attempt)) return attempt
    }
    return attempt
  }

  private async once(url: string, body: string, signal: AbortSignal): Promise<Attempt> {
    try {
      return { response: await this.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal }) }
    } catch (err) {
      if (signal.aborted) return { aborted: true }
      const code = errorCode(err)
      if (code && NOT_CONNECTED.has(code)) return { notConnected: code }
      return { failed: code ?? (err as Error).message }
    }
  }
}

/**
 * Only `agent_stream` frames carry something the run does not already say itself: the lifecycle
 * frames (task_picked, stream_start/end, task_completed…) repeat what the run's own events
 * report, and the gateway derives those broadcasts from the run.
 */
function onFrame(frame: Frame, parser: ClaudeStreamParser): void {
  const event = frame.data.event
  if (frame.type === 'agent_stream' && typeof event === 'object' && event !== null && !Array.isArray(event)) {
    parser.event(event as Record<string, unknown>)
  }
}

/** Maps the task document: `result`, `exit_code` (0 = success; absent counts as 0, as the original did). */
async function resultOf(response: Response, streamed: () => Pick<ExecutionResult, 'output' | 'usage'>): Promise<ExecutionResult> {
  const text = await response.text().catch(() => '')
  const partial = streamed()
  let doc: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>
  } catch {
    doc = undefined
  }
  if (!response.ok) {
    const detail = doc?.detail === undefined ? text.slice(0, 500) : typeof doc.detail === 'string' ? doc.detail : JSON.stringify(doc.detail)
    return { ...partial, exitCode: 1, error: `Conductor API error (HTTP ${response.status}): ${detail || response.statusText}` }
  }
  if (!doc) return { ...partial, exitCode: 1, error: 'the Conductor answered with something that is not a task document' }
  const result = typeof doc.result === 'string' ? doc.result : doc.result == null ? '' : JSON.stringify(doc.result)
  const exitCode = typeof doc.exit_code === 'number' ? doc.exit_code : 0
  const output = result || partial.output
  if (exitCode !== 0) return { ...partial, output, exitCode, error: `the Conductor task ended with exit code ${exitCode}` }
  return { ...partial, output, exitCode: 0 }
}

function errorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string; errors?: Array<{ code?: string }> } }).cause
  return cause?.code ?? cause?.errors?.[0]?.code
}

/** False when the signal aborted during the pause. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
