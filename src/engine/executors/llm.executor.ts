// Runs an agent against a model through the Vercel AI SDK: system prompt + history + input,
// streamed, with the agent's MCP tools available for a bounded number of steps.
import type { ModelMessage, TextStreamPart, ToolSet } from 'ai'
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorEvent, StopRequest } from '../executor.js'
import type { Usage } from '../run-events.js'
import { ChatSpans } from './chat-spans.js'
import type { LlmModelSource } from './llm-models.js'
import { McpServerError, serversOfRun, type McpServerResolver } from './mcp-servers.js'
import { openMcpTools, type McpTools } from './mcp-tools.js'

export interface LlmExecutorOptions {
  models: LlmModelSource
  mcpServers: McpServerResolver
  /** Model calls per run when tools are used (each tool round trip is one more step). */
  maxSteps: number
  /** Retries of a failed provider call (429, 5xx); 4xx errors are never retried. */
  maxRetries: number
}

export class LlmExecutor implements Executor {
  readonly kind = 'llm' as const

  constructor(private readonly options: LlmExecutorOptions) {}

  async execute(request: ExecutionRequest, emit: (event: ExecutorEvent) => void, stop: StopRequest): Promise<ExecutionResult> {
    const { signal } = stop
    const choice = await this.options.models.model(request.provider, request.model)
    if ('error' in choice) return failed(choice.error)
    // Loaded on first use, like the provider packages.
    const { streamText, stepCountIs } = await import('ai')
    if (signal.aborted) return stopped(signal, '', undefined)
    let mcp: McpTools
    try {
      mcp = await openMcpTools(await serversOfRun(request, this.options.mcpServers), signal)
    } catch (err) {
      if (err instanceof McpServerError) return failed(err.message)
      throw err
    }
    try {
      const stream = streamText({
        model: choice.model,
        ...(request.system !== '' && { system: request.system }),
        messages: messagesOf(request),
        tools: mcp.tools,
        stopWhen: stepCountIs(this.options.maxSteps),
        maxRetries: this.options.maxRetries,
        abortSignal: signal,
        // Errors arrive as `error` parts below; the default handler would print them to stderr.
        onError: () => {},
      })
      const chats = new ChatSpans(request.provider, choice.modelId)
      return await consume(stream.fullStream, emit, signal, `${request.provider} (${choice.modelId})`, mcp.serverOf, chats)
    } finally {
      await mcp.close()
    }
  }
}

function messagesOf(request: ExecutionRequest): ModelMessage[] {
  return [...request.history.map((turn): ModelMessage => ({ role: turn.role, content: turn.content })), { role: 'user', content: request.input }]
}

async function consume(
  parts: AsyncIterable<TextStreamPart<ToolSet>>,
  emit: (event: ExecutorEvent) => void,
  signal: AbortSignal,
  source: string,
  serverOf: ReadonlyMap<string, string>,
  chats: ChatSpans,
): Promise<ExecutionResult> {
  const server = (tool: string) => {
    const name = serverOf.get(tool)
    return name === undefined ? {} : { server: name }
  }
  let output = ''
  let usage: Usage | undefined
  let error: string | undefined
  try {
    for await (const part of parts) {
      switch (part.type) {
        case 'start-step':
          chats.start()
          break
        case 'finish-step':
          chats.finish({ responseModel: part.response.modelId, usage: part.usage, finishReason: part.finishReason })
          break
        case 'text-delta':
          output += part.text
          emit({ type: 'text.delta', text: part.text })
          break
        case 'tool-call':
          emit({ type: 'tool.started', toolCallId: part.toolCallId, name: part.toolName, input: part.input, ...server(part.toolName) })
          break
        case 'tool-result':
          emit({
            type: 'tool.finished',
            toolCallId: part.toolCallId,
            name: part.toolName,
            output: part.output,
            isError: isErrorResult(part.output),
            ...server(part.toolName),
          })
          break
        case 'tool-error':
          emit({
            type: 'tool.finished',
            toolCallId: part.toolCallId,
            name: part.toolName,
            output: readableError(part.error),
            isError: true,
            ...server(part.toolName),
          })
          break
        case 'finish':
          usage = { tokensIn: part.totalUsage.inputTokens ?? 0, tokensOut: part.totalUsage.outputTokens ?? 0 }
          emit({ type: 'usage', usage })
          break
        case 'error':
          error ??= `${source} failed: ${readableError(part.error)}`
          break
      }
    }
  } catch (err) {
    if (!signal.aborted) error ??= `${source} failed: ${readableError(err)}`
  }
  chats.fail(error ?? 'stopped before the model finished')
  if (signal.aborted) return stopped(signal, output, usage)
  if (error) return { output, exitCode: 1, error, ...(usage && { usage }) }
  return { output, exitCode: 0, ...(usage && { usage }) }
}

function stopped(signal: AbortSignal, output: string, usage: Usage | undefined): ExecutionResult {
  return { output, exitCode: signal.reason === 'timeout' ? 124 : 1, error: 'stopped before the model finished', ...(usage && { usage }) }
}

/** MCP tools report failures as results with `isError: true` rather than throwing. */
function isErrorResult(output: unknown): boolean {
  return typeof output === 'object' && output !== null && (output as { isError?: unknown }).isError === true
}

/** The provider's own words when it sent any (e.g. "Incorrect API key provided"), with the HTTP status. */
function readableError(err: unknown): string {
  const error = (err ?? {}) as { message?: string; statusCode?: number; lastError?: unknown; cause?: { code?: string } }
  if (error.lastError) return readableError(error.lastError)
  const status = error.statusCode ? `HTTP ${error.statusCode}: ` : ''
  const code = error.cause?.code ? ` (${error.cause.code})` : ''
  return `${status}${error.message || String(err)}${code}`
}

function failed(error: string): ExecutionResult {
  return { output: '', exitCode: 1, error }
}
