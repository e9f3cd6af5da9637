// The executor port: turns one run into events. Implementations: llm (AI SDK providers),
// cli (claude / gemini / cursor-agent processes), conductor (a Python Conductor), echo.
import type { ExecutorKind, Provider } from '../platform/providers.js'
import type { Run } from './run.js'
import type { Usage } from './run-events.js'

/** A turn of earlier conversation, oldest first. */
export interface HistoryTurn {
  role: 'user' | 'assistant'
  content: string
}

/** Everything an executor may use; assembled by the engine before the run starts. */
export interface ExecutionRequest {
  runId: string
  agentId: string | null
  agentName: string | null
  provider: Provider
  model: string | null
  /** System prompt: persona, screenplay and conversation context, already assembled. */
  system: string
  history: HistoryTurn[]
  input: string
  /** The whole prompt as one text, for executors that take a single document (CLIs). */
  prompt: string
  cwd: string | null
  mcpServers: string[]
  timeoutMs: number
  instanceId: string | null
  conversationId: string | null
  screenplayId: string | null
  /** Whether conversation history was wanted; executors that build their own prompt pass it on. */
  contextMode: 'stateless' | 'stateful'
}

/**
 * Builds what an executor needs from a run: persona, screenplay and conversation as a prompt.
 * Served by a module (the engine does not know where they are kept); called once per run, when
 * a worker starts it.
 */
export interface RunPreparer {
  prepare(run: Run): Promise<ExecutionRequest>
}

/** What an executor reports while it works. Text deltas are coalesced by the engine. */
export type ExecutorEvent =
  | { type: 'text.delta'; text: string }
  /** `server`: the MCP server the tool belongs to, when the executor knows it. */
  | { type: 'tool.started'; toolCallId: string; name: string; input: unknown; server?: string }
  | { type: 'tool.finished'; toolCallId: string; name: string; output: unknown; isError: boolean; server?: string }
  | { type: 'usage'; usage: Usage }
  | { type: 'provider.event'; provider: string; event: unknown }

export interface ExecutionResult {
  /** The final answer text. */
  output: string
  /** 0 = success, like the Conductor's CLIs (1 error, 124 timeout, 127 command not found). */
  exitCode: number
  usage?: Usage
  /** Set when exitCode ≠ 0: what went wrong, in words. */
  error?: string
}

/** Why a run is told to stop. */
export type StopReason = 'cancel' | 'timeout' | 'shutdown'

/** How an executor learns that its run must stop. */
export interface StopRequest {
  readonly aborted: boolean
  readonly reason: StopReason | undefined
  /** Aborted with the reason when the run must stop: for calls that take an AbortSignal. */
  readonly signal: AbortSignal
}

/**
 * Contract:
 * - `execute` resolves with the result (a provider error is a result with exitCode ≠ 0 and an
 *   `error`, not a rejection); it rejects only on a bug.
 * - When `stop` is aborted (cancel or timeout) it stops promptly — killing child processes,
 *   aborting HTTP calls — and resolves with what it has so far.
 * - `emit` may be called any number of times before `execute` settles, never after.
 */
export interface Executor {
  readonly kind: ExecutorKind
  execute(request: ExecutionRequest, emit: (event: ExecutorEvent) => void, stop: StopRequest): Promise<ExecutionResult>
}
