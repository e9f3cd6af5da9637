// The baseline: Fastify answering a constant, nothing else. An optional second argument makes
// each answer first spend that many microseconds of CPU (the cost of any real work, stood in for).
import Fastify from 'fastify'

const workUs = Number(process.argv[3] ?? 0)
const work = () => {
  const until = performance.now() + workUs / 1000
  while (performance.now() < until);
}

const app = Fastify()
app.get('/', async () => {
  if (workUs > 0) work()
  return { hello: 'world' }
})
app.post('/', async () => ({ hello: 'world' }))
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) })
