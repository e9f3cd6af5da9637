// Runs every benchmark against the compiled gateway (npm run build first; `npm run bench` does)
// and the bare Fastify baseline in the same run, then writes BENCHMARKS.md.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, totalmem } from 'node:os'
import { baseline, councilorTicks, fanOut, firstEvent, memory, rawFanOut, resume, runThroughputAndLatency } from './scenarios.js'
import { round } from './lib/stats.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const only = process.argv.slice(2)
const wanted = (name: string) => only.length === 0 || only.includes(name)

const HAND_WRITTEN = '<!-- Hand-written sections below: npm run bench keeps them. -->'

function log(name: string, value: unknown): void {
  process.stdout.write(`${name}: ${JSON.stringify(value)}\n`)
}

const hello = await baseline()
log('baseline', hello)
const results: Record<string, unknown> = { baseline: hello }
if (wanted('runs')) log('runs', (results.runs = await runThroughputAndLatency()))
if (wanted('first-event')) log('first-event', (results.firstEvent = await firstEvent()))
if (wanted('fan-out')) {
  log('raw-fan-out', (results.rawFanOut = await rawFanOut(5000)))
  log('fan-out', (results.fanOut = await fanOut(5000)))
}
if (wanted('resume')) log('resume', (results.resume = await resume(1000)))
if (wanted('memory')) log('memory', (results.memory = await memory(200)))
// Not in the generated table: its figures are written by hand in BENCHMARKS.md ("Councilor scheduler").
if (only.includes('councilors')) {
  log('councilors-interval', await councilorTicks(1000, { type: 'interval', value: '1m' }, 3))
  log('councilors-cron', await councilorTicks(1000, { type: 'cron', value: '* * * * *' }, 3))
}

if (only.length === 0) {
  const file = path.join(ROOT, 'BENCHMARKS.md')
  // Sections written by hand (measured with `npm run bench -- <name>`) follow the marker and are kept.
  const kept = existsSync(file) ? readFileSync(file, 'utf8').split(HAND_WRITTEN)[1] : undefined
  writeFileSync(file, report(results as Required<Results>) + (kept === undefined ? '' : `\n${HAND_WRITTEN}${kept}`))
  process.stdout.write('wrote BENCHMARKS.md\n')
}

type Results = {
  baseline: Awaited<ReturnType<typeof baseline>>
  runs: Awaited<ReturnType<typeof runThroughputAndLatency>>
  firstEvent: Awaited<ReturnType<typeof firstEvent>>
  fanOut: Awaited<ReturnType<typeof fanOut>>
  rawFanOut: Awaited<ReturnType<typeof rawFanOut>>
  resume: Awaited<ReturnType<typeof resume>>
  memory: Awaited<ReturnType<typeof memory>>
}

function report(r: Results): string {
  const b = r.baseline
  const ok = (pass: boolean) => (pass ? 'met' : '**missed**')
  const rows = [
    [
      'Runs created and completed end to end (echo, 32 clients)',
      `${round(r.runs.runsPerSecond, 0)} runs/s`,
      '≥ 1,000 runs/s',
      ok(r.runs.runsPerSecond >= 1000),
      `${round(r.runs.runsPerSecond / b.rps, 3)} × hello req/s (${round(b.rps, 0)})`,
    ],
    [
      'Run latency p50, concurrency 1',
      `${round(r.runs.p50Ms)} ms (p99 ${round(r.runs.p99Ms)})`,
      '≤ 5 ms',
      ok(r.runs.p50Ms <= 5),
      `${round(r.runs.p50Ms / b.p50Ms, 1)} × hello p50 (${round(b.p50Ms, 3)} ms)`,
    ],
    [
      'First SSE event after creating a run, p50',
      `${round(r.firstEvent.p50Ms)} ms (p99 ${round(r.firstEvent.p99Ms)})`,
      '≤ 5 ms',
      ok(r.firstEvent.p50Ms <= 5),
      `${round(r.firstEvent.p50Ms / b.p50Ms, 1)} × hello p50`,
    ],
    [
      `Delivery to ${r.fanOut.subscribers} SSE subscribers of a live run, p99`,
      `${r.fanOut.deliveryP99Ms} ms (p50 ${r.fanOut.deliveryP50Ms})`,
      '< 100 ms',
      ok(r.fanOut.deliveryP99Ms < 100),
      `bare TCP server, same frames: p99 ${r.rawFanOut.deliveryP99Ms} ms (p50 ${r.rawFanOut.deliveryP50Ms}); every reader got ${r.fanOut.eventsPerReader.join('–')} events`,
    ],
    [
      'Memory per SSE subscriber',
      `${round(r.fanOut.kibPerSubscriber, 1)} KiB`,
      '< 50 KB',
      ok(r.fanOut.kibPerSubscriber * 1.024 < 50),
      `peak RSS ${round(r.fanOut.peakRssMiB, 0)} MiB`,
    ],
    [
      `Resume after ${r.resume.disconnects} forced disconnects`,
      `${r.resume.lost} lost, ${r.resume.duplicated} duplicated of ${r.resume.events}`,
      '0 lost, 0 duplicated',
      ok(r.resume.lost === 0 && r.resume.duplicated === 0 && r.resume.inOrder && r.resume.textIntact),
      r.resume.inOrder && r.resume.textIntact ? 'in order, text intact' : 'ORDER OR TEXT BROKEN',
    ],
    [
      'RSS idle (after 300 runs)',
      `${round(r.memory.idleRssMiB, 0)} MiB`,
      '≤ 120 MiB',
      ok(r.memory.idleRssMiB <= 120),
      `${round(r.memory.idleRssMiB / b.idleRssMiB, 2)} × hello RSS (${round(b.idleRssMiB, 0)} MiB)`,
    ],
    [
      `RSS peak with ${r.memory.inFlight} runs in flight`,
      `${round(r.memory.peakRssMiB, 0)} MiB`,
      '≤ 250 MiB',
      ok(r.memory.peakRssMiB <= 250),
      `${r.memory.completed} runs completed`,
    ],
  ]
  const table = [
    '| measure | result | target | | relative to the baseline |',
    '|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n')
  return `# Benchmarks

Measured by \`npm run bench\` (\`bench/run.ts\`) on ${cpus().length} cores and ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version},
embedded profile (SQLite file, WAL), \`echo\` executor, LOG_LEVEL=warn, the gateway started with the
same Node flags as \`npm start\`. The load generator runs on the same machine (it competes for
the same two cores). Every figure sits next to a bare Fastify hello-world (\`bench/lib/hello-server.mjs\`)
measured in the same run: ${round(b.rps, 0)} req/s with 32 clients, p50 ${round(b.p50Ms, 3)} ms sequential, ${round(b.idleRssMiB, 0)} MiB RSS.

${table}

Measured ${new Date().toISOString().slice(0, 10)}.

## How each figure is taken

- **Runs/s**: 32 keep-alive clients loop \`POST /api/runs {ai_provider:"echo", wait:true}\` for 10 s; a run counts when
  its response says \`completed\`. Latency: 1,000 sequential such requests.
- **First SSE event**: \`POST /api/runs {stream:true}\`, time from sending the request to the first \`event:\` frame
  (the run's \`run.queued\`), 500 sequential samples after 50 warm-up.
- **Fan-out**: one worker is held busy so the measured run stays queued while 5,000 readers (a separate process)
  open \`GET /api/runs/{id}/events\`; then the run streams 100 words 20 ms apart. Delivery latency = arrival time minus
  the event's own timestamp, over every event of every reader. Memory = gateway RSS growth from before the readers
  connected to when all were connected, divided by their number.
- **Resume**: a run streams 4,000 events; one reader takes 1–5 events, drops the connection, reconnects with
  \`Last-Event-ID\`, 1,000 times, then reads to the end; the seqs must be exactly 1…N and the text intact.
- **Memory**: RSS from /proc of the gateway process: at rest 3 s after 300 runs, and the peak while 200 runs of
  3 s each execute at once. \`npm start\` runs Node with \`--max-semi-space-size=4\` (a smaller young generation):
  without it the idle figure was 123 MiB, with the same run throughput.
- **Bare TCP fan-out**: \`bench/lib/raw-fanout-server.mjs\` sends the same frames at the same pace to the same 5,000
  readers with nothing else (no HTTP framework, no log, no run): the floor of this machine for one write per reader
  per event, measured in the same run.

## Why the 5,000-reader fan-out misses its target

A CPU profile of the gateway during the fan-out (\`BENCH_GATEWAY_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run
bench -- fan-out\`) puts about 85 % of the fan-out's time in the socket write itself (libuv \`writeBuffer\`); the
gateway's own code (hub, reader cursor, frame cache, stall guard) is a few percent. Every event is one write per
reader, and on loopback the kernel does the receiving side's TCP work on the sending core, so one round of 5,000
writes costs about 85 ms here while the load generator holds the other core. The bare TCP server above, which does
only those writes, misses the target by the same margin. A fan-out that serves readers in slices and merges events
published meanwhile was tried: it keeps the event loop free, but by this measure it is worse (p99 about 550 ms),
because the run keeps its pace while a round is under way and events wait for the next round. On this machine the
target needs fewer writes per reader (a larger \`RUN_COALESCE_MS\`) or readers spread over several instances (the
PostgreSQL profile, where any instance serves any run's stream).
`
}
