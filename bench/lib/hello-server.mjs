// The baseline: Fastify answering a constant, nothing else. An optional second argument makes
// each answer first spend that many microseconds of CPU (the cost of any real work, stood in for).
// A third argument `health` gives it the shape of the gateway's GET /health and nothing more: the
// original's body, as many hooks as /health passes through (1 onRequest: the request checks; 1
// onSend: unread bodies; 1 onResponse: the route's metrics), each doing nothing, and a fourth
// argument's number of other routes (the gateway's own count), each answering a constant: a router
// and route contexts as many as the gateway's.
import Fastify from 'fastify'

const port = Number(process.argv[2])
const workUs = Number(process.argv[3] ?? 0)
const healthShaped = process.argv[4] === 'health'
const otherRoutes = Number(process.argv[5] ?? 0)
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
  app.addHook('onRequest', (_req, _reply, done) => done())
  app.addHook('onSend', (_req, _reply, payload, done) => done(null, payload))
  app.addHook('onResponse', (_req, _reply, done) => done())
}
// Spread over the gateway's kinds of path: a few prefixes, a parameter, every method.
const PREFIXES = ['runs', 'agents', 'screenplays', 'personas', 'conversations']
const METHODS = ['get', 'post', 'put', 'delete']
for (let i = 0; i < otherRoutes; i++) {
  app[METHODS[i % METHODS.length]](`/api/${PREFIXES[i % PREFIXES.length]}/r${i}/:id`, async () => ({ route: i }))
}
app.get('/', async () => {
  if (workUs > 0) work()
  return answer
})
app.post('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port })
