// Runs every benchmark against the compiled gateway (npm run build first; `npm run bench` does)
// beside the bare Fastify baseline from the same run, prints the table and writes BENCHMARKS.md.
// `npm run bench -- reads runs` runs only the named groups (and writes nothing).
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpus, totalmem } from 'node:os'
import {
  councilorTicks,
  embeddedRuns,
  fanOutRounds,
  firstEvent,
  memory,
  postgresDelivery,
  postgresRuns,
  HELLO_WORK_US,
  readPaths,
  resume,
} from './scenarios.js'
import { postgresReachable } from './lib/postgres.js'
import { FLOOR_RUNS_PER_COMMIT } from './lib/sqlite-floor.js'
import { POSTGRES_FLOOR_LANES } from './lib/postgres-floor.js'
import { round } from './lib/stats.js'
import type { CpuSplit } from './lib/cpu.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const GROUPS = ['reads', 'runs', 'postgres', 'first-event', 'fan-out', 'resume', 'memory'] as const
const only = process.argv.slice(2)
const wanted = (name: (typeof GROUPS)[number]) => only.length === 0 || only.includes(name)
const START = '<!-- bench:table -->'
const END = '<!-- /bench:table -->'
const PG_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

function log(name: string, value: unknown): void {
  process.stdout.write(`${name}: ${JSON.stringify(value)}\n`)
}

type Results = {
  reads: Awaited<ReturnType<typeof readPaths>>
  runs: Awaited<ReturnType<typeof embeddedRuns>>
  postgres: Awaited<ReturnType<typeof postgresRuns>>
  postgresDelivery: Awaited<ReturnType<typeof postgresDelivery>>
  firstEvent: Awaited<ReturnType<typeof firstEvent>>
  fanOut: Awaited<ReturnType<typeof fanOutRounds>>['fanOut']
  rawFanOut: Awaited<ReturnType<typeof fanOutRounds>>['rawFanOut']
  resume: Awaited<ReturnType<typeof resume>>
  memory: Awaited<ReturnType<typeof memory>>
}

type Load = { rps: number; p50Ms: number; p99Ms: number; cpuUsPerRequest: number; spread?: [number, number] }
const ok = (pass: boolean) => (pass ? 'met' : '**missed**')
/**
 * A ratio judged against its goal before rounding: as the table shows it (two decimals, three where
 * two would hide which side of the goal it falls on), the goal's words, and whether it is met.
 */
function ratioGoal(value: number, sign: '≥' | '≤', goal: number) {
  const two = round(value, 2)
  return {
    shown: two === goal && value !== goal ? round(value, 3) : two,
    goal: `goal ${sign} ${goal}`,
    status: ok(sign === '≥' ? value >= goal : value <= goal),
  }
}
const n = (value: number) => Math.round(value).toLocaleString('en-US')
const rate = (l: Load, unit = 'req/s') => `${n(l.rps)} ${unit}${l.spread ? ` (${n(l.spread[0])}–${n(l.spread[1])})` : ''}`
const lat = (l: { p50Ms: number; p99Ms: number; cpuUsPerRequest?: number }) =>
  `p50 ${round(l.p50Ms, 1)} ms, p99 ${round(l.p99Ms, 1)} ms${l.cpuUsPerRequest === undefined || Number.isNaN(l.cpuUsPerRequest) ? '' : `; server CPU ${round(l.cpuUsPerRequest, 0)} µs/req`}`
const cpu = (c: CpuSplit) =>
  `CPU: gateways ${c.gateways.map((g) => `${round(g, 0)} %`).join(' + ')}, PostgreSQL ${round(c.postgres, 0)} %, load generator ${round(c.loadGenerator, 0)} %`

function tableOf(r: Partial<Results>): string {
  const rows: string[][] = []
  if (r.reads) {
    const { hello, helloWork, helloHealth, health, one, list } = r.reads
    const ratio = (l: Load) => l.rps / hello.rps
    const goals = { health: ratioGoal(ratio(health), '≥', 0.8), one: ratioGoal(ratio(one), '≥', 0.5), list: ratioGoal(ratio(list), '≥', 0.3) }
    const cpuRatio = (l: Load) => `; by server CPU per request ${round(hello.cpuUsPerRequest / l.cpuUsPerRequest, 2)} ×`
    rows.push(['bare Fastify 5 hello `GET /`, c=50 (the yardstick)', rate(hello), lat(hello), '', ''])
    rows.push([
      `the same hello spending ${HELLO_WORK_US} µs of CPU per answer first, c=50`,
      rate(helloWork),
      lat(helloWork),
      `${round(ratio(helloWork), 2)} × hello${cpuRatio(helloWork)}: how far any work per request moves a ratio here`,
      'yardstick',
    ])
    rows.push([
      `the same hello shaped like \`/health\`: its body, its 3 hooks each doing nothing, and ${r.reads.gatewayRoutes} routes like the gateway's, c=50`,
      rate(helloHealth),
      lat(helloHealth),
      `${round(ratio(helloHealth), 2)} × hello${cpuRatio(helloHealth)}: what that body, that many hooks and that many routes cost alone (noisy here: read beside the other rows)`,
      'yardstick',
    ])
    rows.push([
      '`GET /health`, c=50',
      rate(health),
      lat(health),
      `${goals.health.shown} × hello (${goals.health.goal})${cpuRatio(health)}`,
      goals.health.status,
    ])
    rows.push([
      '`GET /api/screenplays/{id}`, c=50, as served (a kept answer)',
      rate(one),
      lat(one),
      `${goals.one.shown} × hello (${goals.one.goal})${cpuRatio(one)}`,
      goals.one.status,
    ])
    rows.push([
      '`GET /api/screenplays?limit=20`, c=50, as served (a kept answer)',
      rate(list),
      lat(list),
      `${goals.list.shown} × hello (${goals.list.goal})${cpuRatio(list)}`,
      goals.list.status,
    ])
    const { oneUncached, listUncached } = r.reads
    for (const [label, l] of [
      ['`GET /api/screenplays/{id}` from the database every time (`READ_CACHE=false`), c=50', oneUncached],
      ['`GET /api/screenplays?limit=20` from the database every time (`READ_CACHE=false`), c=50', listUncached],
    ] as const) {
      rows.push([label, rate(l), lat(l), `${round(ratio(l), 2)} × hello${cpuRatio(l)}: what a read right after a write costs`, 'reference'])
    }
    // A ratio goal caps the server CPU a request may take: hello's, divided by the ratio.
    const cap = (goal: number) => round(hello.cpuUsPerRequest / goal, 0)
    const { floor } = r.reads
    rows.push([
      'SQLite alone for the same reads (better-sqlite3 in one process, same file and SQL, no HTTP)',
      '',
      `one screenplay ${round(floor.oneUs, 1)} µs; a page of 20 and its count ${round(floor.listUs, 1)} µs`,
      `the goals allow ${cap(0.5)} µs (one) and ${cap(0.3)} µs (list) of server CPU per request, everything included`,
      'floor',
    ])
  }
  if (r.runs) {
    const { c50, c200, single } = r.runs
    const tail = (l: Load) => l.p99Ms / l.p50Ms
    rows.push([
      '`POST /api/runs` echo `wait:true`, SQLite, c=50',
      rate(c50, 'runs/s'),
      lat(c50),
      `goal ≥ 5,000 runs/s, p99 ≤ 5 × p50 (${round(tail(c50), 1)} ×)`,
      ok(c50.rps >= 5000 && tail(c50) <= 5),
    ])
    rows.push(['same, c=200, default settings', rate(c200, 'runs/s'), lat(c200), `p99 ≤ 5 × p50 (${round(tail(c200), 1)} ×)`, ok(tail(c200) <= 5)])
    rows.push(['same, c=1 (unloaded latency)', rate(single, 'runs/s'), lat(single), '', ''])
    rows.push([
      `SQLite alone for the writes of one run created running (better-sqlite3 in one process, same SQL, ${FLOOR_RUNS_PER_COMMIT} runs a commit)`,
      '',
      `${round(r.runs.floorUs, 1)} µs per run`,
      `5,000 runs/s on one core allows 200 µs of server CPU per run, HTTP and engine included`,
      'floor',
    ])
  }
  if (r.postgres) {
    const { embedded, one, two, vsEmbedded, oneCpu, twoCpu } = r.postgres
    const oneGoal = ratioGoal(vsEmbedded.median, '≥', 0.5)
    const twoGoal = ratioGoal(two.rps / one.rps, '≥', 1.3)
    const [low, high] = vsEmbedded.range
    rows.push([
      '`POST /api/runs` echo `wait:true`, SQLite, c=50, measured just before each PostgreSQL round below',
      rate(embedded, 'runs/s'),
      lat(embedded),
      'what the PostgreSQL rows are compared with',
      'reference',
    ])
    rows.push([
      '`POST /api/runs`, PostgreSQL, one instance, c=50',
      rate(one, 'runs/s'),
      lat(one),
      `${oneGoal.shown} × embedded c=50 (${oneGoal.goal}; median of the rounds' ratios, range ${round(low, 2)}–${round(high, 2)}); ${cpu(oneCpu)}`,
      oneGoal.status,
    ])
    rows.push([
      'same, two instances, c=25 each',
      rate(two, 'runs/s'),
      lat(two),
      `${twoGoal.shown} × one instance (${twoGoal.goal}); ${cpu(twoCpu)}`,
      twoGoal.status,
    ])
    const { floor } = r.postgres
    const cores = cpus().length
    // CPU microseconds a second, on every core, shared by the runs that 0.5 × embedded makes.
    const budget = round((cores * 1e6) / (0.5 * embedded.rps), 0)
    rows.push([
      `PostgreSQL alone for the writes of one run created running (the gateway's runs repository in one process, ${POSTGRES_FLOOR_LANES} runs in flight, no HTTP)`,
      `${n(floor.runsPerSecond)} runs/s`,
      `PostgreSQL ${round(floor.postgresUsPerRun, 0)} µs + client ${round(floor.clientUsPerRun, 0)} µs of CPU per run`,
      `0.5 × embedded allows ${budget} µs of CPU per run on the ${cores} cores, gateway, PostgreSQL and load generator together`,
      'floor',
    ])
  }
  if (r.postgresDelivery) {
    const d = r.postgresDelivery
    rows.push([
      'SSE delivery through the other instance, PostgreSQL, two instances',
      `${n(d.events)} events of ${d.runs - 3} runs, ${d.missing} missing`,
      `lag behind the executing instance's reader: p50 ${round(d.lagP50Ms, 1)} ms, p99 ${round(d.lagP99Ms, 1)} ms`,
      'measured (no goal)',
      '',
    ])
  }
  if (r.firstEvent)
    rows.push(['First SSE event after creating a run (`stream:true`), sequential', '', lat(r.firstEvent), '≤ 5 ms p50', ok(r.firstEvent.p50Ms <= 5)])
  if (r.fanOut && r.rawFanOut) {
    const f = r.fanOut
    const floor = r.rawFanOut
    const goal = ratioGoal(f.deliveryP99Ms / floor.deliveryP99Ms, '≤', 1.1)
    rows.push([
      `SSE fan-out to ${f.subscribers} readers of one run`,
      `every reader got ${f.eventsPerReader.join('–')} events`,
      `delivery p50 ${f.deliveryP50Ms} ms, p99 ${f.deliveryP99Ms} ms`,
      `bare TCP floor p50 ${floor.deliveryP50Ms} ms, p99 ${floor.deliveryP99Ms} ms: ${goal.shown} × (${goal.goal})`,
      goal.status,
    ])
    rows.push([
      'Memory per SSE reader',
      `${round(f.kibPerSubscriber, 1)} KiB`,
      `peak RSS ${round(f.peakRssMiB, 0)} MiB`,
      '< 50 KB',
      ok(f.kibPerSubscriber * 1.024 < 50),
    ])
  }
  if (r.resume) {
    const s = r.resume
    rows.push([
      `Resume after ${s.disconnects} forced disconnects`,
      `${s.lost} lost, ${s.duplicated} duplicated of ${s.events}`,
      s.inOrder && s.textIntact ? 'in order, text intact' : 'ORDER OR TEXT BROKEN',
      '0 lost, 0 duplicated',
      ok(s.lost === 0 && s.duplicated === 0 && s.inOrder && s.textIntact),
    ])
  }
  if (r.memory) {
    const m = r.memory
    const hello = r.reads ? ` (hello: ${round(r.reads.helloRssMiB, 0)} MiB)` : ''
    rows.push(['RSS idle (after 300 runs)', `${round(m.idleRssMiB, 0)} MiB${hello}`, '', '≤ 120 MiB', ok(m.idleRssMiB <= 120)])
    rows.push([
      `RSS peak with ${m.inFlight} runs in flight`,
      `${round(m.peakRssMiB, 0)} MiB`,
      `${m.completed} runs completed`,
      '≤ 250 MiB',
      ok(m.peakRssMiB <= 250),
    ])
  }
  return ['| measure | rate | latency | goal / relative | |', '|---|---|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')
}

/** Replaces the measured part of BENCHMARKS.md (between its markers); the prose around it stays. */
function report(table: string): string {
  const file = path.join(ROOT, 'BENCHMARKS.md')
  const current = readFileSync(file, 'utf8')
  const measured = `${START}
Measured by \`npm run bench\` on ${cpus().length} cores and ${round(totalmem() / 2 ** 30, 0)} GiB, Node ${process.version},
${new Date().toISOString().slice(0, 10)}. HTTP load from autocannon (keep-alive, one request in flight per connection),
medians of ${process.env.BENCH_REPS ?? 3} interleaved runs of ${process.env.BENCH_SECONDS ?? 5} s each (the spread of the rates in brackets).

${table}
${END}`
  const from = current.indexOf(START)
  const to = current.indexOf(END)
  return from >= 0 && to > from ? current.slice(0, from) + measured + current.slice(to + END.length) : `${measured}\n\n${current}`
}

async function main(): Promise<void> {
  const started = Date.now()
  const r: Partial<Results> = {}
  if (wanted('reads')) log('reads', (r.reads = await readPaths()))
  if (wanted('runs')) log('runs', (r.runs = await embeddedRuns()))
  if (wanted('postgres')) {
    if (await postgresReachable(PG_ADMIN_URL)) {
      log('postgres', (r.postgres = await postgresRuns(PG_ADMIN_URL)))
      log('postgres-delivery', (r.postgresDelivery = await postgresDelivery(PG_ADMIN_URL)))
    } else process.stdout.write(`postgres: skipped, nothing answers at ${PG_ADMIN_URL} (set BENCH_DATABASE_URL)\n`)
  }
  if (wanted('first-event')) log('first-event', (r.firstEvent = await firstEvent()))
  if (wanted('fan-out')) {
    const rounds = await fanOutRounds(5000)
    log('raw-fan-out', (r.rawFanOut = rounds.rawFanOut))
    log('fan-out', (r.fanOut = rounds.fanOut))
  }
  if (wanted('resume')) log('resume', (r.resume = await resume(1000)))
  if (wanted('memory')) log('memory', (r.memory = await memory(200)))
  // Not in the generated table: measured on request, written by hand in BENCHMARKS.md ("Councilor scheduler").
  if (only.includes('councilors')) {
    log('councilors-interval', await councilorTicks(1000, { type: 'interval', value: '1m' }, 3))
    log('councilors-cron', await councilorTicks(1000, { type: 'cron', value: '* * * * *' }, 3))
  }

  const table = tableOf(r)
  process.stdout.write(`\n${table}\n\n(${round((Date.now() - started) / 60000, 1)} min)\n`)
  if (only.length === 0) {
    writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), report(table))
    process.stdout.write('wrote BENCHMARKS.md\n')
  }
}

await main()
