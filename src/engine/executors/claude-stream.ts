// Reads Claude CLI stream-json (`claude --print --verbose --output-format stream-json`), the way
// the Conductor watcher does (conductor-backend.md §5.3), and turns it into executor events.
// Used by the cli executor (its stdout) and the conductor executor (the watcher's
// `agent_stream` frames carry the same objects).
import type { ExecutorEvent } from '../executor.js'
import type { Usage } from '../run-events.js'

type Json = Record<string, unknown>

export class ClaudeStreamParser {
  private readonly texts: string[] = []
  private readonly rawLines: string[] = []
  private readonly toolNames = new Map<string, string>()
  private resultText: string | null = null
  private buffered = ''
  usage: Usage | undefined

  constructor(private readonly emit: (event: ExecutorEvent) => void) {}

  /** A chunk of NDJSON as it arrives; lines may be split across chunks. */
  write(chunk: string): void {
    this.buffered += chunk
    let newline = this.buffered.indexOf('\n')
    while (newline >= 0) {
      this.line(this.buffered.slice(0, newline))
      this.buffered = this.buffered.slice(newline + 1)
      newline = this.buffered.indexOf('\n')
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.buffered !== '') this.line(this.buffered)
    this.buffered = ''
  }

  line(text: string): void {
    const trimmed = text.trim()
    if (trimmed === '') return
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch {
      this.rawLines.push(trimmed)
      return
    }
    if (isObject(parsed)) this.event(parsed)
    else this.rawLines.push(trimmed)
  }

  /** One stream-json object: forwarded raw for debug consoles, then mapped. */
  event(raw: Json): void {
    this.emit({ type: 'provider.event', provider: 'claude', event: raw })
    const event = raw.type === 'stream_event' && isObject(raw.event) ? raw.event : raw
    switch (event.type) {
      case 'assistant':
        this.assistant(event)
        return
      case 'user':
        this.toolResults(event)
        return
      case 'result':
        this.result(event)
        return
    }
  }

  /** Assistant text joined with newlines, else the `result` text, else the raw lines (the watcher's rule). */
  get output(): string {
    if (this.texts.length > 0) return this.texts.join('\n')
    if (this.resultText !== null) return this.resultText
    return this.rawLines.join('\n')
  }

  private assistant(event: Json): void {
    for (const block of contentOf(event)) {
      if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
        this.emit({ type: 'text.delta', text: this.texts.length > 0 ? `\n${block.text}` : block.text })
        this.texts.push(block.text)
      } else if (block.type === 'tool_use' && typeof block.id === 'string') {
        const name = typeof block.name === 'string' ? block.name : ''
        this.toolNames.set(block.id, name)
        this.emit({ type: 'tool.started', toolCallId: block.id, name, input: block.input ?? null })
      }
    }
  }

  private toolResults(event: Json): void {
    for (const block of contentOf(event)) {
      if (block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue
      this.emit({
        type: 'tool.finished',
        toolCallId: block.tool_use_id,
        name: this.toolNames.get(block.tool_use_id) ?? '',
        output: block.content ?? null,
        isError: block.is_error === true,
      })
    }
  }

  private result(event: Json): void {
    if (typeof event.result === 'string') this.resultText = event.result
    const usage = isObject(event.usage) ? event.usage : {}
    // Every prompt token counts as input, whether the cache served it or not.
    const tokensIn = sumNumbers(usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens)
    const tokensOut = sumNumbers(usage.output_tokens)
    const cost = event.total_cost_usd
    this.usage = { tokensIn, tokensOut, ...(typeof cost === 'number' && { costUsd: cost }) }
    this.emit({ type: 'usage', usage: this.usage })
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function contentOf(event: Json): Json[] {
  const content = isObject(event.message) ? event.message.content : undefined
  return Array.isArray(content) ? content.filter(isObject) : []
}

function sumNumbers(...values: unknown[]): number {
  return values.reduce<number>((sum, value) => sum + (typeof value === 'number' ? value : 0), 0)
}
