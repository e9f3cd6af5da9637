// One `chat {model}` span per model call (each step of a streamed, tool-using answer), attributed
// as the OpenTelemetry GenAI semantic conventions say. A child of the active span (the run's).
import { type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { tracer } from '../../platform/tracing.js'

export interface StepUsage {
  inputTokens?: number | undefined
  outputTokens?: number | undefined
}

export class ChatSpans {
  private current: Span | null = null

  constructor(
    private readonly provider: string,
    private readonly model: string,
  ) {}

  /** A model call began. */
  start(): void {
    this.current?.end()
    this.current = tracer().startSpan(`chat ${this.model}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': this.provider, 'gen_ai.request.model': this.model },
    })
  }

  /** The model call answered. */
  finish(step: { responseModel?: string | undefined; usage: StepUsage; finishReason: string }): void {
    const span = this.current
    if (!span) return
    if (step.responseModel) span.setAttribute('gen_ai.response.model', step.responseModel)
    if (step.usage.inputTokens !== undefined) span.setAttribute('gen_ai.usage.input_tokens', step.usage.inputTokens)
    if (step.usage.outputTokens !== undefined) span.setAttribute('gen_ai.usage.output_tokens', step.usage.outputTokens)
    span.setAttribute('gen_ai.response.finish_reasons', [step.finishReason])
    span.end()
    this.current = null
  }

  /** The model call failed (or was stopped). */
  fail(message: string): void {
    const span = this.current
    if (!span) return
    span.setAttribute('error.type', 'model_error')
    span.setStatus({ code: SpanStatusCode.ERROR, message })
    span.end()
    this.current = null
  }
}
