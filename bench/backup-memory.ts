// Does `backup` (and `restore`) keep memory flat whatever the size of the data? Fills SQLite
// databases with 0, 10,000 and 100,000 conversation messages of ~1 KiB each, runs the real CLI on
// each (a child process) and reads its peak RSS (VmHWM) from /proc while it runs. Flat means the
// 100,000-message peak is about the empty-database peak, although the data is ~100 MiB.
//   node --import tsx bench/backup-memory.ts [largest=100000]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../src/platform/db/database.js'
import { migrateToLatest } from '../src/platform/db/migrate.js'
import { openSqlite } from '../src/platform/db/sqlite.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MAIN = path.join(ROOT, 'src/main.ts')
const TSX = import.meta.resolve('tsx')
const PER_CONVERSATION = 100
const HEAP_CAP_MIB = 48
const TEXT = 'All work and no play makes a gateway a dull program. '.repeat(19).slice(0, 1000)

async function fill(file: string, messages: number): Promise<void> {
  const database = openDatabase(`sqlite:${file}`)
  await migrateToLatest(database)
  await database.close()
  const { raw } = openSqlite(file)
  const now = Date.now()
  const conversation = raw.prepare(
    `insert into conversations (id, title, active_agent, participants, allowed_agents, auto_delegate, display_order, message_count, last_seq, is_deleted, created_at, updated_at)
     values (?, ?, 'null', '[]', 'null', 0, 0, ?, ?, 0, ?, ?)`,
  )
  const message = raw.prepare(
    `insert into conversation_messages (id, conversation_id, seq, type, content, agent, is_deleted, is_hidden, created_at)
     values (?, ?, ?, 'user', ?, 'null', 0, 0, ?)`,
  )
  raw.transaction(() => {
    for (let c = 0; c * PER_CONVERSATION < messages; c++) {
      const id = `conv-${c}`
      const count = Math.min(PER_CONVERSATION, messages - c * PER_CONVERSATION)
      conversation.run(id, `Conversation ${c}`, count, count, now, now)
      for (let s = 1; s <= count; s++) message.run(`msg-${c}-${s}`, id, s, `${s}: ${TEXT}`, now + s)
    }
  })()
  raw.close()
}

/** Runs the CLI and samples its peak RSS (VmHWM, which only grows) until it exits. */
async function peakRssOf(args: string[], databaseUrl: string, nodeFlags: string[] = []): Promise<{ peakMiB: number; seconds: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, [...nodeFlags, '--import', TSX, MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  let peakKiB = 0
  const sample = () => {
    try {
      const kib = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0)
      peakKiB = Math.max(peakKiB, kib)
    } catch {
      // exited between two samples
    }
  }
  const timer = setInterval(sample, 20)
  const [code] = await once(child, 'exit')
  clearInterval(timer)
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`)
  return { peakMiB: peakKiB / 1024, seconds: (performance.now() - started) / 1000 }
}

const largest = Number(process.argv[2] ?? 100_000)
const sizes = [0, Math.round(largest / 10), largest]
const results: string[] = []
for (const messages of sizes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-bench-backup-'))
  try {
    const source = path.join(dir, 'source.db')
    await fill(source, messages)
    const file = path.join(dir, 'backup.jsonl')
    const backup = await peakRssOf(['backup', file], `sqlite:${source}`)
    const restore = await peakRssOf(['restore', file], `sqlite:${path.join(dir, 'restored.db')}`)
    // The proof that nothing grows with the data: the same backup in a heap far smaller than the data.
    const capped = await peakRssOf(['backup', path.join(dir, 'capped.jsonl')], `sqlite:${source}`, [`--max-old-space-size=${HEAP_CAP_MIB}`])
    const dataMiB = statSync(source).size / 2 ** 20
    const fileMiB = statSync(file).size / 2 ** 20
    results.push(
      `| ${messages.toLocaleString('en')} | ${dataMiB.toFixed(1)} MiB | ${fileMiB.toFixed(1)} MiB | ${backup.peakMiB.toFixed(0)} MiB (${backup.seconds.toFixed(1)} s) | ${restore.peakMiB.toFixed(0)} MiB (${restore.seconds.toFixed(1)} s) | ${capped.peakMiB.toFixed(0)} MiB |`,
    )
    process.stderr.write(`${results[results.length - 1]}\n`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
process.stdout.write(
  `| messages | SQLite file | backup file | backup: peak RSS (time) | restore: peak RSS (time) | backup, heap capped at ${HEAP_CAP_MIB} MiB: peak RSS |\n|---|---|---|---|---|---|\n${results.join('\n')}\n`,
)
