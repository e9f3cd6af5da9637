// Progress of a long data transfer. The CLI draws a bar on stderr when it is a terminal; everything
// else (pipes, the MCP tools, tests) gets no output at all.

export interface Progress {
  start(label: string, total: number): void
  /** `done` of the total so far; `detail` names what is being worked on. */
  update(done: number, detail?: string): void
  finish(): void
}

export const silentProgress: Progress = { start() {}, update() {}, finish() {} }

const WIDTH = 30
const REDRAW_MS = 100

/** A one-line bar redrawn in place at most ten times a second. */
export function progressBar(out: NodeJS.WriteStream, now: () => number = Date.now): Progress {
  let label = ''
  let total = 0
  let last = 0
  const draw = (done: number, detail: string) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1
    const filled = Math.round(fraction * WIDTH)
    const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${detail}`
    out.write(`\r${line.slice(0, Math.max(20, (out.columns ?? 100) - 1)).padEnd(Math.min(out.columns ?? 100, 100) - 1)}`)
  }
  return {
    start(newLabel, newTotal) {
      label = newLabel
      total = newTotal
      last = 0
      draw(0, '')
    },
    update(done, detail = '') {
      if (now() - last < REDRAW_MS) return
      last = now()
      draw(done, detail)
    },
    finish() {
      draw(total, 'done')
      out.write('\n')
    },
  }
}
