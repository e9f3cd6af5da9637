// Fake provider CLIs: executable node scripts written to a temp dir, standing in for claude,
// gemini and cursor-agent. Each records how it was invoked (argv, cwd, stdin) next to itself.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'

export interface FakeCli {
  command: string
  /** What the last invocation received, once it ran. */
  invocation(): { argv: string[]; cwd: string; stdin: string } | undefined
  /** Pids the script (and its background child) wrote, once it ran. */
  pids(): { self: number; child?: number } | undefined
}

export interface FakeCliDir {
  dir: string
  /** A claude that prints stream-json: init, text, a tool use and its result, more text, result. */
  claude(): FakeCli
  /** Prints one assistant line, starts a background child, then waits forever (optionally ignoring SIGTERM). */
  slow(options?: { ignoreSigterm?: boolean }): FakeCli
  /** Writes to stderr and exits with `code`. */
  failing(code: number): FakeCli
  /** Answers in plain text on stdout and a note on stderr (gemini, cursor-agent). */
  plain(): FakeCli
  /** Prints `chunk` on stdout `chunks` times, one a millisecond at most, then waits forever (gemini, cursor-agent). */
  flood(chunk: string, chunks: number): FakeCli
}

/** A temp dir of fake CLIs, removed when the test ends. */
export function fakeCliDir(t: Pick<TestContext, 'after'>): FakeCliDir {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-fake-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  let count = 0
  const write = (body: string): FakeCli => {
    const name = `cli-${++count}`
    const command = path.join(dir, name)
    const record = path.join(dir, `${name}.invocation.json`)
    const pidFile = path.join(dir, `${name}.pids.json`)
    const prelude = `
const fs = require('node:fs')
const { spawn } = require('node:child_process')
const input = fs.readFileSync(0, 'utf8')
fs.writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd(), stdin: input }))
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\\n')
const pidFile = ${JSON.stringify(pidFile)}
`
    writeFileSync(command, `#!/usr/bin/env node\n${prelude}\n${body}\n`)
    chmodSync(command, 0o755)
    const read = (file: string) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined)
    return { command, invocation: () => read(record), pids: () => read(pidFile) }
  }
  return {
    dir,
    claude: () => write(CLAUDE),
    slow: (options = {}) => write(`${options.ignoreSigterm ? "process.on('SIGTERM', () => {})" : ''}\n${SLOW}`),
    failing: (code) => write(`process.stderr.write('fatal: the fake CLI broke\\n'); process.exit(${code})`),
    plain: () => write(PLAIN),
    flood: (chunk, chunks) =>
      write(`
let left = ${chunks}
const next = () => {
  if (left-- <= 0) return
  if (process.stdout.write(${JSON.stringify(chunk)})) setTimeout(next, 1)
  else process.stdout.once('drain', next)
}
next()
setInterval(() => {}, 1000)
`),
  }
}

const CLAUDE = `
out({ type: 'system', subtype: 'init', session_id: 's-1', tools: ['Bash'], mcp_servers: [] })
out({ type: 'assistant', message: { content: [{ type: 'text', text: 'I will list the files.' }], usage: { input_tokens: 10, output_tokens: 5 } } })
out({ type: 'assistant', message: { content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] } })
out({ type: 'user', message: { content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.txt' }] } })
process.stdout.write('not json, kept only as a fallback\\n')
process.stderr.write('a warning on stderr\\n')
out({ type: 'stream_event', event: { type: 'assistant', message: { content: [{ type: 'text', text: 'There is a.txt.' }] } } })
out({ type: 'result', subtype: 'success', result: 'There is a.txt.', duration_ms: 12, num_turns: 2, total_cost_usd: 0.0123,
      usage: { input_tokens: 100, cache_read_input_tokens: 5, output_tokens: 20 } })
`

const SLOW = `
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
fs.writeFileSync(pidFile, JSON.stringify({ self: process.pid, child: child.pid }))
out({ type: 'assistant', message: { content: [{ type: 'text', text: 'started, now waiting' }] } })
setInterval(() => {}, 1000)
`

const PLAIN = `
const pIndex = process.argv.indexOf('-p')
const prompt = pIndex >= 0 ? process.argv[pIndex + 1] : input
process.stdout.write('answer to: ' + prompt)
process.stderr.write(' (note on stderr)')
`

/** True while the process exists and is not a zombie waiting to be reaped by whoever inherited it. */
export function isProcessRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Kept under its old name for the CLI tests. */
export { waitFor as waitUntil } from './wait.js'
