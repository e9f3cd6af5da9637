// A run as OpenTelemetry spans, named and attributed as the GenAI semantic conventions say:
// `invoke_agent {agent}` for the run, `execute_tool {tool}` for each tool call an executor reports
// (children of the run span); executors that call models add their own `chat {model}` spans,
// which nest under the run span because it is the active context while the executor works.
import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { tracer } from '../platform/tracing.js'
import type { ExecutionResult, ExecutorEvent } from './executor.js'
import type { Run } from './run.js'

export interface RunTrace {
  /** Runs `work` with the run span active, so spans made inside are its children. */
  within<T>(work: () => Promise<T>): Promise<T>
  /** Sees each executor event (tool calls become spans). */
  observe(event: ExecutorEvent): void
  end(result: ExecutionResult, state: string): void
}

export function traceRun(run: Run): RunTrace {
  const agentName = run.options.agentName ?? null
  // Its own trace: a run outlives the request that created it. The request, when there is one, is linked.
  const creator = trace.getActiveSpan()
  const span = tracer().startSpan(agentName ? `invoke_agent ${agentName}` : 'invoke_agent', {
    root: true,
    kind: SpanKind.INTERNAL,
    ...(creator && { links: [{ context: creator.spanContext() }] }),
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.provider.name': run.provider,
      ...(run.model && { 'gen_ai.request.model': run.model }),
      ...(run.agentId && { 'gen_ai.agent.id': run.agentId }),
      ...(agentName && { 'gen_ai.agent.name': agentName }),
      ...(run.conversationId && { 'gen_ai.conversation.id': run.conversationId }),
      'conductor.run.id': run.id,
      'conductor.run.source': run.source,
      'conductor.run.executor': run.executor,
      ...(run.personaVersion !== null && { 'conductor.persona.version': run.personaVersion }),
      ...(run.instanceId && { 'conductor.instance.id': run.instanceId }),
    },
  })
  const spanContext = trace.setSpan(context.active(), span)
  const tools = new Map<string, Span>()

  return {
    within: (work) => context.with(spanContext, work),
    observe(event) {
      if (event.type === 'tool.started') {
        const tool = tracer().startSpan(
          `execute_tool ${event.name}`,
          {
            kind: SpanKind.INTERNAL,
            attributes: {
              'gen_ai.operation.name': 'execute_tool',
              'gen_ai.tool.name': event.name,
              'gen_ai.tool.call.id': event.toolCallId,
              'gen_ai.tool.type': 'function',
              'conductor.run.id': run.id,
            },
          },
          spanContext,
        )
        tools.set(event.toolCallId, tool)
      } else if (event.type === 'tool.finished') {
        const tool = tools.get(event.toolCallId)
        if (!tool) return
        if (event.isError) tool.setStatus({ code: SpanStatusCode.ERROR, message: 'the tool reported an error' })
        tool.end()
        tools.delete(event.toolCallId)
      }
    },
    end(result, state) {
      for (const tool of tools.values()) tool.end()
      if (result.usage) {
        span.setAttribute('gen_ai.usage.input_tokens', result.usage.tokensIn)
        span.setAttribute('gen_ai.usage.output_tokens', result.usage.tokensOut)
      }
      span.setAttribute('conductor.run.state', state)
      if (state !== 'completed') {
        span.setAttribute('error.type', state)
        span.setStatus({ code: SpanStatusCode.ERROR, ...(result.error && { message: result.error }) })
      }
      span.end()
    },
  }
}
