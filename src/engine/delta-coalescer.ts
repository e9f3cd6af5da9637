// Turns an executor's stream of events into log writes: everything an executor reports within a
// short window is written together, consecutive text deltas merged into one `text.delta`, order
// kept. Writes happen one at a time, in order; what is pending when the run ends is written
// with its final event. After a failed write (the database went away) nothing more is tried:
// that batch and every later one wait, in order, for the final write.
import type { ExecutorEvent } from './executor.js'
import type { RunEventBody } from './run-events.js'

export class DeltaCoalescer {
  private pendingText = ''
  private pending: RunEventBody[] = []
  private timer: NodeJS.Timeout | null = null
  private writing: Promise<void> = Promise.resolve()
  /** Events of the failed write and of every one after it, in order. */
  private unwritten: RunEventBody[] | null = null
  /** All text seen so far: the run's output if it stops early. */
  text = ''

  constructor(
    private readonly write: (bodies: RunEventBody[]) => Promise<unknown>,
    private readonly windowMs: number,
  ) {}

  push(event: ExecutorEvent): void {
    if (event.type === 'text.delta') {
      if (event.text === '') return
      this.pendingText += event.text
      this.text += event.text
      this.timer ??= setTimeout(() => this.flush(), this.windowMs)
      return
    }
    this.takeText()
    this.pending.push(toBody(event))
    this.timer ??= setTimeout(() => this.flush(), this.windowMs)
  }

  /** Waits for every write so far; returns what is still unwritten for the caller to store itself. */
  async drain(): Promise<RunEventBody[]> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.writing
    this.takeText()
    const rest = [...(this.unwritten ?? []), ...this.pending]
    this.unwritten = null
    this.pending = []
    return rest
  }

  private takeText(): void {
    if (this.pendingText === '') return
    this.pending.push({ type: 'text.delta', data: { text: this.pendingText } })
    this.pendingText = ''
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.takeText()
    if (this.pending.length === 0) return
    const batch = this.pending
    this.pending = []
    this.writing = this.writing.then(async () => {
      if (this.unwritten) {
        this.unwritten.push(...batch)
        return
      }
      try {
        await this.write(batch)
      } catch {
        this.unwritten = [...batch]
      }
    })
  }
}

function toBody(event: Exclude<ExecutorEvent, { type: 'text.delta' }>): RunEventBody {
  switch (event.type) {
    case 'tool.started':
      return { type: 'tool.started', data: { toolCallId: event.toolCallId, name: event.name, input: event.input, ...serverOf(event) } }
    case 'tool.finished':
      return {
        type: 'tool.finished',
        data: { toolCallId: event.toolCallId, name: event.name, output: event.output, isError: event.isError, ...serverOf(event) },
      }
    case 'usage':
      return { type: 'usage', data: event.usage }
    case 'provider.event':
      return { type: 'provider.event', data: { provider: event.provider, event: event.event } }
  }
}

function serverOf(event: { server?: string }): { server?: string } {
  return event.server === undefined ? {} : { server: event.server }
}
