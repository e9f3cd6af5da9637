// Many SSE readers of one run, in a process of their own (so their memory and sockets never
// count against the gateway). Protocol on stdout: one JSON line per milestone.
//   argv: <events url> <subscribers>
//   {"connected": n}                 once every reader has its first event
//   {"done": {...latency stats}}     when every reader has seen the final event
import http from 'node:http'

const [url, countArg] = process.argv.slice(2)
const count = Number(countArg)
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity })
const latencies: number[] = []
let connected = 0
let finished = 0
const received: number[] = new Array(count).fill(0)

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`)
}

function subscribe(index: number): void {
  http.get(url!, { agent, headers: { accept: 'text/event-stream' } }, (res) => {
    let buffer = ''
    let first = true
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      const now = Date.now()
      buffer += chunk
      let end
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const frame = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const type = /^event: (.+)$/m.exec(frame)?.[1]
        if (!type) continue
        received[index]!++
        if (first) {
          first = false
          if (++connected === count) send({ connected })
        }
        if (type === 'text.delta' || type === 'run.completed') {
          const at = /"at":"([^"]+)"/.exec(frame)?.[1]
          if (at) latencies.push(now - Date.parse(at))
        }
      }
    })
    res.on('end', () => {
      if (++finished === count) {
        const sorted = latencies.sort((a, b) => a - b)
        const pick = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
        send({ done: { samples: sorted.length, p50: pick(50), p99: pick(99), max: sorted.at(-1), minEvents: Math.min(...received), maxEvents: Math.max(...received) } })
        process.exit(0)
      }
    })
  }).on('error', (err) => {
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
