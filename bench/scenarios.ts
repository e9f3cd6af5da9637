// One function per benchmark target. Each starts the servers it needs and stops them.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { cpuMeter, medianCpu, type CpuSplit } from './lib/cpu.js'
import { LoadClient } from './lib/http-client.js'
import { load, medianOf, type LoadResult } from './lib/load.js'
import { createBenchDatabase, vacuum } from './lib/postgres.js'
import { freePort, startGateway, startHello, type Server } from './lib/processes.js'
import { sqliteFloor, sqliteRunFloor } from './lib/sqlite-floor.js'
import { postgresRunFloor } from './lib/postgres-floor.js'
import { percentile } from './lib/stats.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const RUN = { input: 'hello benchmark world', ai_provider: 'echo', wait: true }

async function withServer<T>(server: Server, work: (server: Server) => Promise<T>): Promise<T> {
  try {
    return await work(server)
  } finally {
    await server.stop()
  }
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const REPS = Number(process.env.BENCH_REPS ?? 3)
const completed = (body: string) => body.includes('"status":"completed"')

/** CPU a hello answer spends first in the "hello + work" yardstick: how steep the ratio falls with any work. */
export const HELLO_WORK_US = 10

/**
 * Each gateway read path, the bare Fastify hello and hello + work, interleaved `REPS` times
 * (medians). The screenplay reads twice: as served (kept answers, the default) and from the
 * database on every request (a second gateway with READ_CACHE=false: every read after a write).
 */
export async function readPaths() {
  const hello = await startHello()
  const helloWork = await startHello(HELLO_WORK_US)
  const gw = await startGateway()
  const uncached = await startGateway({ READ_CACHE: 'false' })
  const gatewayRoutes = await documentedOperations(gw)
  const helloHealth = await startHello(0, 'health', gatewayRoutes - 1)
  try {
    const one = await seedScreenplays(gw)
    const uncachedOne = await seedScreenplays(uncached)
    const targets = {
      health: [gw, '/health'],
      one: [gw, `/api/screenplays/${one}`],
      list: [gw, '/api/screenplays?limit=20'],
      oneUncached: [uncached, `/api/screenplays/${uncachedOne}`],
      listUncached: [uncached, '/api/screenplays?limit=20'],
    } as const
    type Target = keyof typeof targets
    const runs: Record<'hello' | 'helloWork' | 'helloHealth' | Target, LoadResult[]> = {
      hello: [],
      helloWork: [],
      helloHealth: [],
      health: [],
      one: [],
      list: [],
      oneUncached: [],
      listUncached: [],
    }
    const loadOf = (name: Target, seconds: number) => {
      const [server, p] = targets[name]
      return load({ url: `${server.url}${p}`, connections: 50, seconds, pid: server.pid }).then(check(name))
    }
    await load({ url: `${hello.url}/`, connections: 50, seconds: 1 })
    for (const name of Object.keys(targets) as Target[]) await loadOf(name, 1)
    for (let rep = 0; rep < REPS; rep++) {
      runs.hello.push(check('hello')(await load({ url: `${hello.url}/`, connections: 50, seconds: SECONDS, pid: hello.pid })))
      runs.helloWork.push(check('hello + work')(await load({ url: `${helloWork.url}/`, connections: 50, seconds: SECONDS, pid: helloWork.pid })))
      runs.helloHealth.push(
        check('health-shaped hello')(await load({ url: `${helloHealth.url}/`, connections: 50, seconds: SECONDS, pid: helloHealth.pid })),
      )
      for (const name of Object.keys(targets) as Target[]) runs[name].push(await loadOf(name, SECONDS))
    }
    return {
      hello: medianOf(runs.hello),
      helloWork: medianOf(runs.helloWork),
      helloHealth: medianOf(runs.helloHealth),
      gatewayRoutes,
      health: medianOf(runs.health),
      one: medianOf(runs.one),
      list: medianOf(runs.list),
      oneUncached: medianOf(runs.oneUncached),
      listUncached: medianOf(runs.listUncached),
      floor: sqliteFloor(path.join(uncached.dir, 'data/gateway.db'), uncachedOne),
      helloRssMiB: hello.rssMiB(),
    }
  } finally {
    await uncached.stop()
    await gw.stop()
    await helloHealth.stop()
    await helloWork.stop()
    await hello.stop()
  }
}

/** 40 small screenplays; returns the id of the last. */
async function seedScreenplays(gw: Server): Promise<string> {
  const client = new LoadClient(gw.url)
  let one = ''
  for (let i = 0; i < 40; i++) {
    const res = await client.request('POST', '/api/screenplays', { name: `Bench screenplay ${i}`, content: `# Scene ${i}\n\nSome text.` })
    one = (JSON.parse(res.body) as { id: string }).id
  }
  client.close()
  return one
}

function check(name: string) {
  return (result: LoadResult) => {
    if (result.failures > 0) throw new Error(`${name}: ${result.failures} failed requests`)
    return result
  }
}

/** `POST /api/runs` echo with `wait: true` from `connections` keep-alive clients. */
function runLoad(gw: Server, connections: number, seconds = SECONDS) {
  return load({ url: `${gw.url}/api/runs`, method: 'POST', body: RUN, connections, seconds, accept: completed, pid: gw.pid })
}

/** Embedded profile (SQLite): c=50 and c=200 with default settings, and c=1 for the unloaded latency. */
export async function embeddedRuns() {
  const gw = await startGateway()
  const measured = await withServer(gw, async () => {
    await runLoad(gw, 50, 2)
    const c50: LoadResult[] = []
    const c200: LoadResult[] = []
    for (let rep = 0; rep < REPS; rep++) {
      c50.push(await runLoad(gw, 50))
      c200.push(await runLoad(gw, 200))
    }
    const single = await runLoad(gw, 1, 3)
    return { c50: medianOf(c50), c200: medianOf(c200), single }
  })
  // After the gateway stopped: the floor writes (to a copy of its file).
  return { ...measured, floorUs: sqliteRunFloor(path.join(gw.dir, 'data/gateway.db')) }
}

/** How many operations the gateway's OpenAPI document lists (its routes, near enough). */
async function documentedOperations(gw: Server): Promise<number> {
  const res = await fetch(`${gw.url}/openapi.json`)
  if (!res.ok) throw new Error(`openapi.json: ${res.status}`)
  const { paths } = (await res.json()) as { paths: Record<string, Record<string, unknown>> }
  return Object.values(paths).reduce((sum, operations) => sum + Object.keys(operations).length, 0)
}

/**
 * The server profile: `instanceRounds` on a fresh PostgreSQL database, then the floor on another:
 * PostgreSQL alone for the same writes (see postgres-floor.ts). Not on the rounds' database: with
 * autovacuum off on this machine, the dead rows the rounds left would be the floor's to step over.
 */
export async function postgresRuns(adminUrl: string) {
  const measured = await onFreshDatabase(adminUrl, (url) => instanceRounds(url))
  return { ...measured, floor: await onFreshDatabase(adminUrl, (url) => postgresRunFloor(url)) }
}

async function onFreshDatabase<T>(adminUrl: string, use: (url: string) => Promise<T>): Promise<T> {
  const database = await createBenchDatabase(adminUrl)
  try {
    return await use(database.url)
  } finally {
    await database.drop()
  }
}

/** How long a new second instance and the first run side by side before the pair is measured. */
const B_WARM_UP_SECONDS = 5

/**
 * One gateway at c=50, alone on the database, then beside a second instance (c=25 each), `REPS`
 * rounds, each next to an embedded gateway measured just before it (this machine's speed drifts by
 * tens of per cent in minutes). The second instance runs only during its own measurement: a peer
 * on the same two cores takes part in the queue and competes for the CPU, so "one instance" is one.
 */
async function instanceRounds(databaseUrl: string) {
  const env = { DATABASE_URL: databaseUrl }
  const embedded = await startGateway()
  const a = await startGateway(env)
  try {
    for (const gw of [embedded, a]) await runLoad(gw, 50, 2)
    const beside: LoadResult[] = []
    const one: LoadResult[] = []
    const two: LoadResult[] = []
    const oneCpu: CpuSplit[] = []
    const twoCpu: CpuSplit[] = []
    const vsEmbedded: number[] = []
    for (let rep = 0; rep < REPS; rep++) {
      beside.push(await runLoad(embedded, 50))
      await vacuum(databaseUrl)
      let meter = cpuMeter(a.pid)
      one.push(await runLoad(a, 50))
      oneCpu.push(meter())
      vsEmbedded.push(one.at(-1)!.rps / beside.at(-1)!.rps)
      const b = await startGateway(env)
      try {
        // A new process spends seconds compiling its hot code, on the cores the pair shares.
        await Promise.all([runLoad(a, 25, B_WARM_UP_SECONDS), runLoad(b, 25, B_WARM_UP_SECONDS)])
        await vacuum(databaseUrl)
        meter = cpuMeter(a.pid, b.pid)
        const [ra, rb] = await Promise.all([runLoad(a, 25), runLoad(b, 25)])
        twoCpu.push(meter())
        two.push({
          rps: ra.rps + rb.rps,
          p50Ms: Math.max(ra.p50Ms, rb.p50Ms),
          p99Ms: Math.max(ra.p99Ms, rb.p99Ms),
          failures: ra.failures + rb.failures,
          cpuUsPerRequest: (ra.cpuUsPerRequest * ra.rps + rb.cpuUsPerRequest * rb.rps) / (ra.rps + rb.rps),
        })
      } finally {
        await b.stop()
      }
    }
    return {
      embedded: medianOf(beside),
      one: medianOf(one),
      two: medianOf(two),
      /** Each round's PostgreSQL rate over the embedded rate taken just before it: the median and the range. */
      vsEmbedded: { median: percentile(vsEmbedded, 50), range: [Math.min(...vsEmbedded), Math.max(...vsEmbedded)] as const },
      oneCpu: medianCpu(oneCpu),
      twoCpu: medianCpu(twoCpu),
    }
  } finally {
    await a.stop()
    await embedded.stop()
  }
}

/**
 * SSE delivery through another instance: two gateways on one PostgreSQL, a reader on each of a run's
 * event stream. Per event, the lag of the reader on the instance that does not execute the run behind
 * the one that does (its events travel through the database and a notification).
 */
export async function postgresDelivery(adminUrl: string, runs = 30) {
  const database = await createBenchDatabase(adminUrl)
  try {
    const env = { DATABASE_URL: database.url, ECHO_DELAY_MS: '20' }
    const a = await startGateway(env)
    const b = await startGateway(env)
    try {
      const client = new LoadClient(a.url)
      const words = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ')
      const lags: number[] = []
      let missing = 0
      for (let i = 0; i < runs; i++) {
        const { run_id: runId } = JSON.parse((await client.request('POST', '/api/runs', { input: words, ai_provider: 'echo' })).body)
        const [onA, onB] = await Promise.all([sseArrivals(a.url, runId), sseArrivals(b.url, runId)])
        const diffs = [...onA].flatMap(([seq, at]) => (onB.has(seq) ? [onB.get(seq)! - at] : []))
        missing += Math.abs(onA.size - onB.size)
        // Whichever instance claimed the run hears each event first: the lag is the other one's.
        const sign = percentile(diffs, 50) >= 0 ? 1 : -1
        if (i >= 3) lags.push(...diffs.map((d) => d * sign))
      }
      client.close()
      return { runs, events: lags.length, missing, lagP50Ms: percentile(lags, 50), lagP99Ms: percentile(lags, 99) }
    } finally {
      await b.stop()
      await a.stop()
    }
  } finally {
    await database.drop()
  }
}

/** When each event (by its SSE id) of a run's stream arrived, in ms; resolves when the stream ends. */
function sseArrivals(baseUrl: string, runId: string): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    const arrivals = new Map<number, number>()
    http
      .get(`${baseUrl}/api/runs/${runId}/events`, (res) => {
        res.setEncoding('utf8')
        let buffered = ''
        res.on('data', (chunk: string) => {
          const now = performance.now()
          buffered += chunk
          const lines = buffered.split('\n')
          buffered = lines.pop() ?? ''
          for (const line of lines) if (line.startsWith('id: ')) arrivals.set(Number(line.slice(4)), now)
        })
        res.on('end', () => resolve(arrivals))
        res.on('error', reject)
      })
      .on('error', reject)
  })
}

/** Time from sending a create request with stream=true to receiving its first SSE event. */
export async function firstEvent() {
  return withServer(await startGateway(), async (gw) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const once = () =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({ input: 'first event please', ai_provider: 'echo', stream: true })
        const started = process.hrtime.bigint()
        let seen = false
        const req = http.request(
          `${gw.url}/api/runs`,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => {
            res.setEncoding('utf8')
            res.on('data', (chunk: string) => {
              if (!seen && chunk.includes('event: ')) {
                seen = true
                resolve(Number(process.hrtime.bigint() - started) / 1e6)
              }
            })
            res.on('end', () => (seen ? undefined : reject(new Error('no event'))))
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    for (let i = 0; i < 50; i++) await once()
    const samples: number[] = []
    for (let i = 0; i < 500; i++) samples.push(await once())
    agent.destroy()
    return { p50Ms: percentile(samples, 50), p99Ms: percentile(samples, 99) }
  })
}

/** `subscribers` readers of one live run: delivery latency and memory per reader. */
async function fanOut(subscribers: number) {
  // Default coalescing (25 ms): what a streaming run looks like with the gateway as shipped.
  const gw = await startGateway({ RUN_CONCURRENCY: '1', ECHO_DELAY_MS: '20', SLOW_CLIENT_STALL_MS: '60000' })
  return withServer(gw, async () => {
    const client = new LoadClient(gw.url)
    const blocker = JSON.parse((await client.request('POST', '/api/runs', { input: 'block '.repeat(3000), ai_provider: 'echo' })).body)
    const words = Array.from({ length: 100 }, (_, i) => `w${i}`).join(' ')
    const target = JSON.parse((await client.request('POST', '/api/runs', { input: words, ai_provider: 'echo' })).body)
    await new Promise((resolve) => setTimeout(resolve, 500))
    const rssBefore = gw.rssMiB()
    const { hostname, port } = new URL(gw.url)
    const swarm = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(HERE, 'lib/sse-swarm.ts'), hostname, port, `/api/runs/${target.run_id}/events`, String(subscribers)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const lines = createInterface({ input: swarm.stdout! })
    let rssConnected = 0
    let peakRss = 0
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, gw.rssMiB())), 50)
    let result: { p50: number; p99: number; samples: number; minEvents: number; maxEvents: number } | undefined
    for await (const line of lines) {
      const message = JSON.parse(line) as { connected?: number; done?: typeof result; error?: string }
      if (message.error) throw new Error(message.error)
      if (message.connected) {
        await new Promise((resolve) => setTimeout(resolve, 300))
        rssConnected = gw.rssMiB()
        await client.request('POST', `/api/runs/${blocker.run_id}/cancel`)
      }
      if (message.done) {
        result = message.done
        break
      }
    }
    clearInterval(sampler)
    client.close()
    return {
      subscribers,
      deliveryP50Ms: result!.p50,
      deliveryP99Ms: result!.p99,
      eventsPerReader: [result!.minEvents, result!.maxEvents],
      kibPerSubscriber: ((rssConnected - rssBefore) * 1024) / subscribers,
      peakRssMiB: peakRss,
    }
  })
}

/**
 * The bare TCP floor and the gateway's fan-out, interleaved `REPS` times; each figure the median
 * of its rounds (one stalled connection once put the floor's p99 at 1.7 s).
 */
export async function fanOutRounds(subscribers: number) {
  const floors: Array<Awaited<ReturnType<typeof rawFanOut>>> = []
  const gateways: Array<Awaited<ReturnType<typeof fanOut>>> = []
  for (let rep = 0; rep < REPS; rep++) {
    floors.push(await rawFanOut(subscribers))
    gateways.push(await fanOut(subscribers))
  }
  const median = <T>(rounds: T[], of: (round: T) => number) => percentile(rounds.map(of), 50)
  return {
    rawFanOut: { deliveryP50Ms: median(floors, (f) => f.deliveryP50Ms), deliveryP99Ms: median(floors, (f) => f.deliveryP99Ms) },
    fanOut: {
      subscribers,
      deliveryP50Ms: median(gateways, (g) => g.deliveryP50Ms),
      deliveryP99Ms: median(gateways, (g) => g.deliveryP99Ms),
      eventsPerReader: [Math.min(...gateways.map((g) => g.eventsPerReader[0]!)), Math.max(...gateways.map((g) => g.eventsPerReader[1]!))],
      kibPerSubscriber: median(gateways, (g) => g.kibPerSubscriber),
      peakRssMiB: Math.max(...gateways.map((g) => g.peakRssMiB)),
    },
  }
}

/** The same fan-out from a bare TCP server: what this machine's loopback sockets allow. */
async function rawFanOut(subscribers: number) {
  const port = await freePort()
  const server = spawn(process.execPath, [path.join(HERE, 'lib/raw-fanout-server.mjs'), String(port), String(subscribers), '54', '25'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  for await (const line of createInterface({ input: server.stdout! })) if (line === 'listening') break
  const swarm = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(HERE, 'lib/sse-swarm.ts'), '127.0.0.1', String(port), '/raw', String(subscribers)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  try {
    for await (const line of createInterface({ input: swarm.stdout! })) {
      const message = JSON.parse(line) as { done?: { p50: number; p99: number } }
      if (message.done) return { deliveryP50Ms: message.done.p50, deliveryP99Ms: message.done.p99 }
    }
    throw new Error('raw fan-out ended without a result')
  } finally {
    server.kill()
    swarm.kill()
  }
}

/** A reader that drops and reconnects `disconnects` times must see every event exactly once. */
export async function resume(disconnects: number) {
  const gw = await startGateway({ ECHO_DELAY_MS: '1', RUN_COALESCE_MS: '0' })
  return withServer(gw, async () => {
    const client = new LoadClient(gw.url)
    const words = Array.from({ length: 4000 }, (_, i) => `w${i}`)
    const run = JSON.parse((await client.request('POST', '/api/runs', { input: words.join(' '), ai_provider: 'echo' })).body)
    const seqs: number[] = []
    let text = ''
    const record = (seq: number, type: string, data: string) => {
      seqs.push(seq)
      if (type === 'text.delta') text += (JSON.parse(data) as { text: string }).text
    }
    const url = `${gw.url}/api/runs/${run.run_id}/events`
    let drops = 0
    let ended = false
    while (!ended && drops < disconnects) {
      const outcome = await readSome(url, seqs.at(-1), 1 + Math.floor(Math.random() * 5), record)
      if (outcome === 'dropped') drops++
      else ended = true
    }
    if (!ended) await readSome(url, seqs.at(-1), Infinity, record)
    client.close()
    const expected = Array.from({ length: seqs.length }, (_, i) => i + 1)
    return {
      disconnects: drops,
      events: seqs.length,
      lost: expected.filter((seq) => !seqs.includes(seq)).length,
      duplicated: seqs.length - new Set(seqs).size,
      inOrder: seqs.every((seq, i) => seq === i + 1),
      textIntact: text === words.join(' '),
    }
  })
}

function readSome(
  url: string,
  lastId: number | undefined,
  take: number,
  onEvent: (seq: number, type: string, data: string) => void,
): Promise<'dropped' | 'ended'> {
  return new Promise((resolve, reject) => {
    let got = 0
    const req = http.get(url, { headers: lastId === undefined ? {} : { 'last-event-id': String(lastId) } }, (res) => {
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const id = /^id: (\d+)$/m.exec(frame)?.[1]
          if (!id) continue
          onEvent(Number(id), /^event: (.+)$/m.exec(frame)![1]!, /^data: (.+)$/m.exec(frame)![1]!)
          if (++got >= take) {
            req.destroy()
            resolve('dropped')
            return
          }
        }
      })
      res.on('end', () => resolve('ended'))
    })
    req.on('error', (err) => (got >= take ? undefined : reject(err)))
  })
}

/** RSS at rest after warm-up, and at its peak with `inFlight` runs executing at once. */
export async function memory(inFlight: number) {
  const idle = await withServer(await startGateway(), async (gw) => {
    const client = new LoadClient(gw.url)
    for (let i = 0; i < 300; i++) await client.request('POST', '/api/runs', RUN)
    await client.request('GET', '/openapi.json')
    client.close()
    await new Promise((resolve) => setTimeout(resolve, 3000))
    return gw.rssMiB()
  })
  const loaded = await withServer(await startGateway({ RUN_CONCURRENCY: String(inFlight), ECHO_DELAY_MS: '50' }), async (gw) => {
    const client = new LoadClient(gw.url, inFlight)
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ')
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, gw.rssMiB())), 50)
    await Promise.all(Array.from({ length: inFlight }, () => client.request('POST', '/api/runs', { input: words, ai_provider: 'echo', wait: true })))
    clearInterval(sampler)
    const running = JSON.parse((await client.request('GET', '/api/runs?status=completed&limit=1')).body).total as number
    client.close()
    return { peak, completed: running }
  })
  return { idleRssMiB: idle, inFlight, peakRssMiB: loaded.peak, completed: loaded.completed }
}

/** CPU time (user + system) the process has used, from /proc. */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/**
 * `count` councilors (one agent each) on one gateway, every one on `schedule`, for `minutes`, while
 * their runs execute (echo, about half a second each). Lateness of a tick = when its run was created
 * (claimed) / started, minus the tick's scheduled time. Scheduler CPU = process CPU during its passes.
 */
export async function councilorTicks(count: number, schedule: { type: 'interval' | 'cron'; value: string }, minutes: number) {
  return withServer(await startGateway({ ECHO_DELAY_MS: '100', RUN_COALESCE_MS: '25' }), async (gw) => {
    const client = new LoadClient(gw.url, 16)
    const persona = '# Persona: Watcher\n\nYou look at the project on a schedule and say briefly what you find.'
    const ids = Array.from({ length: count }, (_, i) => `Watcher_${i}_Agent`)
    await inBatches(ids, 16, async (name) => {
      const created = await client.request('POST', '/api/agents', {
        name,
        description: 'Scheduled watcher',
        persona_content: persona,
        ai_provider: 'echo',
      })
      if (created.status !== 201) throw new Error(`agent: ${created.status} ${created.body}`)
      const agentId = JSON.parse(created.body).agent_id as string
      const promoted = await client.request('POST', `/api/councilors/${agentId}/promote-councilor`, {
        councilor_config: { title: name, schedule: { ...schedule, enabled: true }, task: { name: 'watch', prompt: 'all five checks passed' } },
      })
      if (promoted.status !== 200) throw new Error(`promote: ${promoted.status} ${promoted.body}`)
    })
    const jobs = async () => JSON.parse((await client.request('GET', '/api/councilors/scheduler/jobs')).body)
    const startedAt = Date.now()
    const cpuStart = cpuMsOf(gw.pid)
    const schedulerStart = (await jobs()).scheduler
    await new Promise((resolve) => setTimeout(resolve, minutes * 60_000))
    const cpuEnd = cpuMsOf(gw.pid)
    const schedulerEnd = (await jobs()).scheduler
    const endedAt = Date.now()
    const all = (await jobs()).jobs as Array<{ agent_id: string; skipped_overlap: number; skipped_missed: number }>
    await inBatches(all, 16, async (job) => {
      await client.request('PATCH', `/api/councilors/${job.agent_id}/councilor-schedule`, { enabled: false })
    })
    // Ticks due in the window; the last seconds are left out so late ones are not cut off.
    const claimLate: number[] = []
    const startLate: number[] = []
    for (let offset = 0; ; offset += 200) {
      const page = JSON.parse((await client.request('GET', `/api/runs?source=councilor&limit=200&offset=${offset}`)).body).runs as Array<{
        created_at: string
        started_at: string | null
        metadata: { tick_at: string }
      }>
      for (const run of page) {
        const tick = Date.parse(run.metadata.tick_at)
        if (tick < startedAt || tick > endedAt - 5000) continue
        claimLate.push(Date.parse(run.created_at) - tick)
        if (run.started_at) startLate.push(Date.parse(run.started_at) - tick)
      }
      if (page.length < 200) break
    }
    client.close()
    const wallMs = endedAt - startedAt
    const schedulerCpuMs = schedulerEnd.cpu_ms - schedulerStart.cpu_ms
    return {
      councilors: count,
      schedule: `${schedule.type} ${schedule.value}`,
      minutes,
      ticks: claimLate.length,
      claimLateP50Ms: percentile(claimLate, 50),
      claimLateP99Ms: percentile(claimLate, 99),
      claimLateMaxMs: Math.max(...claimLate),
      startLateP50Ms: percentile(startLate, 50),
      startLateP99Ms: percentile(startLate, 99),
      skippedOverlap: all.reduce((n, j) => n + j.skipped_overlap, 0),
      skippedMissed: all.reduce((n, j) => n + j.skipped_missed, 0),
      processCpuShare: (cpuEnd - cpuStart) / wallMs,
      schedulerCpuShare: schedulerCpuMs / wallMs,
      schedulerShareOfProcessCpu: schedulerCpuMs / (cpuEnd - cpuStart),
      schedulerPasses: schedulerEnd.passes - schedulerStart.passes,
    }
  })
}

async function inBatches<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!)
    }),
  )
}
