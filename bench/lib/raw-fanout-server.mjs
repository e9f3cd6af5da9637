// The floor for fan-out on this machine: a bare TCP server that sends the same SSE frames as the
// gateway (one write per reader per event, frames built once) to every reader, with no
// framework, no log, no run. Usage: node raw-fanout-server.mjs <port> <readers> <events> <intervalMs>
import net from 'node:net'

const [port, readers, events, interval] = process.argv.slice(2).map(Number)
const sockets = []
const frame = (seq, type, extra) =>
  Buffer.from(`id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ run_id: 'raw', seq, at: new Date().toISOString(), ...extra })}\n\n`)

const server = net.createServer((socket) => {
  socket.setNoDelay(true)
  socket.once('data', () => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\nretry: 3000\n\n')
    socket.write(frame(1, 'run.queued', {}))
    sockets.push(socket)
    if (sockets.length === readers) setTimeout(stream, 500)
  })
})
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'))

function stream() {
  let seq = 1
  const tick = () => {
    seq++
    const last = seq === events
    const buffer = frame(seq, last ? 'run.completed' : 'text.delta', { text: 'word ' })
    for (const socket of sockets) socket.write(buffer)
    if (!last) setTimeout(tick, interval)
    else
      setImmediate(() => {
        for (const socket of sockets) socket.end()
        server.close()
      })
  }
  tick()
}
