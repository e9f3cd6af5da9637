// A local HTTP server that answers like an LLM provider, streaming what the test scripted: the
// OpenAI chat completions protocol (any path ending in /chat/completions: OpenAI, Groq,
// Fireworks and other compatible servers), OpenAI's Responses API (/responses, text only), the
// Anthropic messages protocol (/messages), Google's streamGenerateContent (text only) and
// Ollama's NDJSON chat (/api/chat).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'

export interface ScriptedTurn {
  /** An HTTP error instead of a stream: answered with the provider's error body. */
  status?: number
  errorMessage?: string
  text?: string[]
  toolCalls?: Array<{ id: string; name: string; arguments: Record<string, unknown> }>
  usage?: { input: number; output: number }
  /** Pause before each chunk. */
  chunkDelayMs?: number
  /** After the chunks, keep the response open until the client goes away. */
  hang?: boolean
}

export interface RecordedRequest {
  path: string
  headers: IncomingMessage['headers']
  body: Record<string, unknown>
}

export interface FakeLlmServer {
  /** Base URL to configure a provider with, e.g. http://127.0.0.1:PORT/v1 */
  baseUrl: string
  requests: RecordedRequest[]
  /** Responses for the next requests, in order. */
  script(...turns: ScriptedTurn[]): void
  /** Resolves when a client disconnects before its response ended. */
  clientGone(): Promise<void>
}

export async function startFakeLlmServer(t: Pick<TestContext, 'after'>): Promise<FakeLlmServer> {
  const turns: ScriptedTurn[] = []
  const requests: RecordedRequest[] = []
  let onGone: () => void = () => {}
  let gone = new Promise<void>((resolve) => (onGone = resolve))

  const server = createServer((req, res) => {
    void readJson(req).then(async (body) => {
      requests.push({ path: req.url ?? '', headers: req.headers, body })
      res.on('close', () => {
        if (!res.writableFinished) onGone()
      })
      const turn = turns.shift()
      const url = req.url ?? ''
      const anthropic = url.endsWith('/messages')
      const ollama = url.endsWith('/api/chat')
      const responses = url.endsWith('/responses')
      const google = url.includes(':streamGenerateContent')
      if (!turn) return sendJson(res, 500, { error: { message: 'the test scripted no response for this request' } })
      if (turn.status) {
        const message = turn.errorMessage ?? 'scripted failure'
        const error = anthropic
          ? { type: 'error', error: { type: 'authentication_error', message } }
          : { error: { message, type: 'invalid_request_error', code: null } }
        return sendJson(res, turn.status, error)
      }
      res.writeHead(200, { 'content-type': ollama ? 'application/x-ndjson' : 'text/event-stream', 'cache-control': 'no-cache' })
      const model = String(body.model)
      const frames = anthropic
        ? anthropicFrames(turn)
        : ollama
          ? ollamaFrames(turn, model)
          : responses
            ? responsesFrames(turn, model)
            : google
              ? googleFrames(turn)
              : openAiFrames(turn, model)
      for (const frame of frames) {
        if (turn.chunkDelayMs) await sleep(turn.chunkDelayMs)
        if (res.destroyed) return
        res.write(frame)
      }
      if (!turn.hang) res.end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...more) => turns.push(...more),
    clientGone: () => gone.then(() => void (gone = new Promise<void>((resolve) => (onGone = resolve)))),
  }
}

function openAiFrames(turn: ScriptedTurn, model: string): string[] {
  const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1767225600, model }
  const chunk = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    sse({ ...base, choices: [{ index: 0, ...choice }], ...extra })
  const frames = [chunk({ delta: { role: 'assistant', content: '' }, finish_reason: null })]
  for (const text of turn.text ?? []) frames.push(chunk({ delta: { content: text }, finish_reason: null }))
  for (const [index, call] of (turn.toolCalls ?? []).entries()) {
    const toolCall = { index, id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } }
    frames.push(chunk({ delta: { tool_calls: [toolCall] }, finish_reason: null }))
  }
  if (!turn.hang) {
    frames.push(chunk({ delta: {}, finish_reason: turn.toolCalls?.length ? 'tool_calls' : 'stop' }))
    const usage = turn.usage ?? { input: 0, output: 0 }
    const total = usage.input + usage.output
    const tokens = { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: total }
    // OpenAI sends `usage`; Groq sends the same numbers under `x_groq`.
    frames.push(sse({ ...base, choices: [], usage: tokens, x_groq: { usage: tokens } }))
    frames.push('data: [DONE]\n\n')
  }
  return frames
}

function anthropicFrames(turn: ScriptedTurn): string[] {
  const usage = turn.usage ?? { input: 0, output: 0 }
  const event = (type: string, data: Record<string, unknown>) => `event: ${type}\n${sse({ type, ...data })}`
  const message = {
    id: 'msg_fake',
    type: 'message',
    role: 'assistant',
    model: 'fake',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: usage.input, output_tokens: 0 },
  }
  const frames = [event('message_start', { message }), event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })]
  for (const text of turn.text ?? []) frames.push(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }))
  if (!turn.hang) {
    frames.push(event('content_block_stop', { index: 0 }))
    frames.push(event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output } }))
    frames.push(event('message_stop', {}))
  }
  return frames
}

function responsesFrames(turn: ScriptedTurn, model: string): string[] {
  const usage = turn.usage ?? { input: 0, output: 0 }
  const item = { type: 'message', id: 'msg_fake' }
  const frames = [
    sse({ type: 'response.created', response: { id: 'resp_fake', created_at: 1767225600, model } }),
    sse({ type: 'response.output_item.added', output_index: 0, item }),
    ...(turn.text ?? []).map((delta) => sse({ type: 'response.output_text.delta', item_id: item.id, delta })),
  ]
  if (!turn.hang) {
    frames.push(sse({ type: 'response.output_item.done', output_index: 0, item }))
    frames.push(sse({ type: 'response.completed', response: { usage: { input_tokens: usage.input, output_tokens: usage.output } } }))
  }
  return frames
}

function googleFrames(turn: ScriptedTurn): string[] {
  const candidate = (text: string, extra: Record<string, unknown> = {}) => ({ content: { role: 'model', parts: [{ text }] }, index: 0, ...extra })
  const frames = (turn.text ?? []).map((text) => sse({ candidates: [candidate(text)] }))
  const usage = turn.usage ?? { input: 0, output: 0 }
  if (!turn.hang) {
    const usageMetadata = { promptTokenCount: usage.input, candidatesTokenCount: usage.output, totalTokenCount: usage.input + usage.output }
    frames.push(sse({ candidates: [candidate('', { finishReason: 'STOP' })], usageMetadata }))
  }
  return frames
}

function ollamaFrames(turn: ScriptedTurn, model: string): string[] {
  const line = (fields: Record<string, unknown>) => `${JSON.stringify({ model, created_at: '2026-01-01T00:00:00Z', ...fields })}\n`
  const frames = (turn.text ?? []).map((content) => line({ message: { role: 'assistant', content }, done: false }))
  const usage = turn.usage ?? { input: 0, output: 0 }
  if (!turn.hang)
    frames.push(
      line({
        message: { role: 'assistant', content: '' },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: usage.input,
        eval_count: usage.output,
      }),
    )
  return frames
}

function sse(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? (JSON.parse(text) as Record<string, unknown>) : {}
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
