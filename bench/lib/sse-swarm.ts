// Many SSE readers of one run, in a process of their own (so their memory and sockets never
// count against the gateway). The load generator shares the machine's two cores with the
// gateway it measures, so it does as little as it can while the run streams: every
// `SAMPLE_EVERY`th reader (spread evenly over the connection order, so readers served first and
// last are both in the sample) reads live and timestamps each event; the others take their
// first event, then let the kernel hold what arrives (a few KB each) and count it all once the
// sampled readers have seen the end. Delivery is checked for every reader.
//   argv: <host> <port> <path> <subscribers>
//   stdout, one JSON line each: {"connected": n} once every reader has its first event,
//   {"done": {...latency stats}} when every reader's stream has ended.
import { connect } from 'node:net'

const SAMPLE_EVERY = 10
const [host, portArg, path, countArg] = process.argv.slice(2)
const count = Number(countArg)
const latencies: number[] = []
const received = new Array<number>(count).fill(0)
const EVENT = Buffer.from('\nevent: ')
const parked: Array<{ resume(): void }> = []
let connected = 0
let finished = 0
let sampledDone = 0
const sampledCount = Math.ceil(count / SAMPLE_EVERY)

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}

function countEvents(chunk: Buffer): number {
  let n = 0
  for (let at = chunk.indexOf(EVENT); at !== -1; at = chunk.indexOf(EVENT, at + EVENT.length)) n++
  return n
}

function subscribe(index: number): void {
  const sampled = index % SAMPLE_EVERY === 0
  const socket = connect(Number(portArg), host!)
  let text = ''
  // The end of the previous chunk, so a marker split across two chunks still counts once.
  let tail: Buffer = Buffer.alloc(0)
  socket.on('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`))
  socket.on('data', (chunk: Buffer) => {
    const now = Date.now()
    const scanned: Buffer = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk
    tail = scanned.subarray(Math.max(0, scanned.length - (EVENT.length - 1)))
    const before = received[index]!
    received[index] = before + countEvents(scanned)
    if (before === 0 && received[index]! > 0 && ++connected === count) send({ connected })
    if (!sampled) {
      if (received[index]! > 0 && connected < count) {
        socket.pause()
        parked.push(socket)
      }
      return
    }
    text += chunk.toString('utf8')
    let end: number
    while ((end = text.indexOf('\n\n')) !== -1) {
      const frame = text.slice(0, end)
      text = text.slice(end + 2)
      if (frame.includes('event: text.delta') || frame.includes('event: run.completed')) {
        const stamp = /"at":"([^"]+)"/.exec(frame)?.[1]
        if (stamp) latencies.push(now - Date.parse(stamp))
      }
      if (frame.includes('event: run.completed') && ++sampledDone === sampledCount) {
        for (const other of parked.splice(0)) other.resume()
      }
    }
  })
  socket.on('close', () => {
    if (++finished < count) return
    const sorted = latencies.sort((a, b) => a - b)
    const pick = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
    send({
      done: {
        samples: sorted.length,
        p50: pick(50),
        p99: pick(99),
        max: sorted.at(-1),
        minEvents: Math.min(...received),
        maxEvents: Math.max(...received),
      },
    })
    process.exit(0)
  })
  socket.on('error', (err) => {
    send({ error: String(err) })
    process.exit(1)
  })
}

// Open in batches so the listen backlog is never overrun.
let opened = 0
function openBatch(): void {
  for (let i = 0; i < 250 && opened < count; i++) subscribe(opened++)
  if (opened < count) setTimeout(openBatch, 20)
}
openBatch()
