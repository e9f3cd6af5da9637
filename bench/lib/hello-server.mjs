// The baseline: Fastify answering a constant, nothing else. An optional second argument makes
// each answer first spend that many microseconds of CPU (the cost of any real work, stood in for).
// A third argument `health` gives it the shape of the gateway's GET /health and nothing more: the
// original's body, and as many hooks as /health passes through (6 onRequest, 1 onSend,
// 3 onResponse: request id, closing, CORS, access, limits, metrics…), each doing nothing.
import Fastify from 'fastify'

const port = Number(process.argv[2])
const workUs = Number(process.argv[3] ?? 0)
const healthShaped = process.argv[4] === 'health'
const work = () => {
  const until = performance.now() + workUs / 1000
  while (performance.now() < until);
}

const base = `http://127.0.0.1:${port}`
const ws = `ws://127.0.0.1:${port}`
const answer = healthShaped
  ? {
      status: 'healthy',
      service: 'conductor_gateway',
      version: '3.1.0',
      mode: 'embedded',
      endpoints: {
        api: `${base}/api/v1`,
        health: `${base}/health`,
        websocket_gamification: `${ws}/ws/gamification`,
        websocket_agent_stream: `${ws}/ws/agent-stream`,
        mcp: `${base}/mcp`,
      },
    }
  : { hello: 'world' }

const app = Fastify()
if (healthShaped) {
  for (let i = 0; i < 6; i++) app.addHook('onRequest', (_req, _reply, done) => done())
  app.addHook('onSend', (_req, _reply, payload, done) => done(null, payload))
  for (let i = 0; i < 3; i++) app.addHook('onResponse', (_req, _reply, done) => done())
}
app.get('/', async () => {
  if (workUs > 0) work()
  return answer
})
app.post('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port })
