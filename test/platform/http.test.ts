import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Writable } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import { connect } from 'node:net'
import { buildTestApp, listen } from '../helpers/build-test-app.js'
import { createLogger } from '../../src/platform/logger.js'
import { installErrorHandlers } from '../../src/platform/http/error-handler.js'
import { NotFoundError } from '../../src/platform/http/errors.js'

describe('unknown routes and errors', () => {
  it('answers 404 {"detail":"Not Found"} for an unknown path', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ url: '/api/does-not-exist' })
    assert.equal(res.statusCode, 404)
    assert.deepEqual(res.json(), { detail: 'Not Found' })
  })

  it('hides the message and stack of unexpected errors behind a 500', async () => {
    const app = Fastify()
    installErrorHandlers(app, 1000)
    app.get('/boom', async () => {
      throw new Error('secret connection string postgres://admin:pw@db')
    })
    app.get('/missing', async () => {
      throw new NotFoundError('Thing not found')
    })
    const boom = await app.inject({ url: '/boom' })
    assert.equal(boom.statusCode, 500)
    assert.deepEqual(boom.json(), { detail: 'Internal Server Error' })
    const missing = await app.inject({ url: '/missing' })
    assert.deepEqual([missing.statusCode, missing.json()], [404, { detail: 'Thing not found' }])
  })

  it('answers 414 with JSON for an absurdly long path parameter', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ url: `/api/screenplays/${'x'.repeat(1000)}` })
    assert.equal(res.statusCode, 414)
    assert.equal(typeof res.json().detail, 'string')
  })
})

describe('text no database can store', () => {
  // PostgreSQL refuses NUL characters and unpaired surrogates (a 500 before this guard); SQLite
  // would store them, so both are refused on every dialect with a 4xx naming what is wrong.
  it('answers 404 for a NUL in the path and 422 for one in the query string', async (t) => {
    const { app } = await buildTestApp(t)
    for (const url of ['/api/agents/a%00b', '/api/agents/instances/a%00b', '/api/agents/context/a%00b', '/api/screenplays/a%00b']) {
      const res = await app.inject({ url })
      assert.deepEqual([res.statusCode, res.json()], [404, { detail: 'Not Found' }], url)
    }
    const query = await app.inject({ url: '/api/agents/instances?agent_id=a%00b' })
    assert.equal(query.statusCode, 422)
    assert.equal(query.json().detail, 'Invalid request: the query string contains a NUL character (%00)')
  })

  it('answers 422 naming the field for a NUL or an unpaired surrogate in a JSON body, and stores nothing', async (t) => {
    const { app } = await buildTestApp(t)
    const cases: Array<[string, string, string, string]> = [
      [
        'POST',
        '/api/agents',
        '{"name":"A_Agent","description":"a long enough d\\u0000escription"}',
        'body.description: contains a NUL character (U+0000)',
      ],
      [
        'POST',
        '/api/agents',
        '{"name":"A_Agent","description":"long enough text","tags":["ok","b\\ud800"]}',
        'body.tags.1: contains an unpaired UTF-16 surrogate (not valid Unicode)',
      ],
      [
        'POST',
        '/api/agents/instances',
        '{"instance_id":"i1","agent_id":"A_Agent","position":{"x":1,"y":2},"config":{"k\\u0000":1}}',
        'body.config: has a key that contains a NUL character (U+0000)',
      ],
      ['POST', '/api/agents/suggest', '{"message":"\\udc00 alone"}', 'body.message: contains an unpaired UTF-16 surrogate (not valid Unicode)'],
    ]
    for (const [method, url, payload, detail] of cases) {
      const res = await app.inject({ method: method as 'POST', url, payload, headers: { 'content-type': 'application/json' } })
      assert.deepEqual([res.statusCode, res.json()], [422, { detail: `Invalid request: ${detail}` }], payload)
    }
    assert.deepEqual((await app.inject({ url: '/api/agents' })).json(), [])
    // A paired surrogate (an emoji written as an escape) and an escaped backslash are fine.
    const ok = await app.inject({
      method: 'POST',
      url: '/api/agents',
      payload: '{"name":"B_Agent","description":"emoji \\ud83e\\udd16 and \\\\u0000 text"}',
      headers: { 'content-type': 'application/json' },
    })
    assert.equal(ok.statusCode, 201, ok.body)
    assert.equal((await app.inject({ url: '/api/agents/B_Agent' })).json().description, 'emoji 🤖 and \\u0000 text')
  })
})

describe('request bodies', () => {
  const post = (headers: Record<string, string>, payload: string) => ({ method: 'POST' as const, url: '/api/screenplays', headers, payload })

  it('reads JSON under any JSON media type, with parameters, and without a Content-Type', async (t) => {
    const { app } = await buildTestApp(t)
    for (const type of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/json;charset=UTF-8']) {
      const res = await app.inject(post({ 'content-type': type }, JSON.stringify({ name: `as ${type}` })))
      assert.equal(res.statusCode, 201, `${type}: ${res.body}`)
      assert.equal(res.json().name, `as ${type}`)
    }
    // light-my-request sets no Content-Type for a Buffer payload.
    const bare = await app.inject({ method: 'POST', url: '/api/screenplays', payload: Buffer.from(JSON.stringify({ name: 'no type' })) })
    assert.equal(bare.statusCode, 201, bare.body)
  })

  it('answers 415 naming the content type it refuses', async (t) => {
    const { app } = await buildTestApp(t)
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'multipart/form-data; boundary=x']) {
      const res = await app.inject(post({ 'content-type': type }, 'name=x'))
      assert.equal(res.statusCode, 415, type)
      assert.equal(res.json().detail, `Unsupported content type '${type}'; send application/json`)
    }
    assert.equal((await app.inject({ url: '/api/screenplays' })).json().total, 0, 'nothing was created')
  })

  it('answers 400 for malformed JSON without a Content-Type too', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', payload: Buffer.from('{"name":') })
    assert.equal(res.statusCode, 400)
    assert.match(res.json().detail, /^Request body is not valid JSON/)
  })
})

describe('requests the HTTP parser refuses', () => {
  /** Sends raw bytes and reads everything until the server closes the connection. */
  async function rawExchange(base: string, bytes: string): Promise<string> {
    const { hostname, port } = new URL(base)
    const socket = connect(Number(port), hostname)
    socket.write(bytes)
    let reply = ''
    socket.setEncoding('utf8').on('data', (chunk: string) => (reply += chunk))
    await new Promise((resolve) => socket.on('close', resolve))
    return reply
  }

  it('answers a malformed request with a JSON detail and closes the connection', async (t) => {
    const { app } = await buildTestApp(t)
    const base = await listen(app)
    const reply = await rawExchange(base, 'GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n')
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request/)
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))
    assert.match(body.detail, /^Malformed HTTP request/)
  })

  it('answers 431 with a JSON detail for headers that are too large', async (t) => {
    const { app } = await buildTestApp(t)
    const base = await listen(app)
    const reply = await rawExchange(base, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    assert.match(reply, /^HTTP\/1\.1 431 /)
    assert.deepEqual(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)), { detail: 'Request headers are too large' })
  })
})

describe('GET /health and /ready', () => {
  it('answers the original health body for GET and OPTIONS', async (t) => {
    const { app } = await buildTestApp(t)
    for (const method of ['GET', 'OPTIONS'] as const) {
      const res = await app.inject({ method, url: '/health', headers: { 'x-api-key': 'test-api-key-123' } })
      assert.equal(res.statusCode, 200)
      assert.equal(res.json().status, 'healthy')
      assert.equal(res.json().service, 'conductor_gateway')
      assert.equal(res.json().version, '3.1.0')
      assert.match(res.json().endpoints.health, /:5006\/health$/)
      assert.deepEqual(Object.keys(res.json().endpoints), ['api', 'health', 'websocket_gamification', 'websocket_agent_stream', 'mcp'])
      assert.match(res.json().endpoints.mcp, /:5006\/mcp$/)
    }
  })

  it('is ready while the database answers and 503 once it does not', async (t) => {
    const { app, deps } = await buildTestApp(t)
    const ready = await app.inject({ url: '/ready' })
    assert.equal(ready.statusCode, 200)
    assert.equal(ready.json().status, 'ready')
    await deps.database.close()
    const down = await app.inject({ url: '/ready' })
    assert.equal(down.statusCode, 503)
    assert.deepEqual(down.json(), { detail: 'Database is unreachable' })
  })
})

describe('JSON request bodies', () => {
  it('answers 400 for a body that is not valid UTF-8, storing nothing', async (t) => {
    const { app } = await buildTestApp(t)
    const payload = Buffer.concat([Buffer.from('{"name":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])
    const res = await app.inject({ method: 'POST', url: '/api/screenplays', headers: { 'content-type': 'application/json' }, payload })
    assert.deepEqual([res.statusCode, res.json()], [400, { detail: 'Request body is not valid UTF-8' }])
    assert.equal((await app.inject({ url: '/api/screenplays' })).json().total, 0)
    const accented = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: Buffer.from('{"name":"Roteiro ação ✓"}'),
    })
    assert.equal(accented.statusCode, 201)
    assert.equal(accented.json().name, 'Roteiro ação ✓')
  })

  it('accepts application/json with parameters such as charset', async (t) => {
    const { app } = await buildTestApp(t)
    for (const type of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/vnd.api+json']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/conversations/',
        headers: { 'content-type': type },
        payload: '{"title":"With charset"}',
      })
      assert.equal(res.statusCode, 200, `${type}: ${res.body}`)
      assert.equal(res.json().title, 'With charset')
    }
  })

  it('names the refused content type in a 415', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ method: 'POST', url: '/api/conversations/', headers: { 'content-type': 'application/xml' }, payload: '<a/>' })
    assert.equal(res.statusCode, 415)
    assert.equal(res.json().detail, "Unsupported content type 'application/xml'; send application/json")
  })

  it('refuses NUL characters on the conversation routes the same way, storing nothing', async (t) => {
    const { app } = await buildTestApp(t)
    const cases: Array<[string, string]> = [
      ['{"title":"nul \\u0000 inside"}', 'body.title: contains a NUL character (U+0000)'],
      ['{"active_agent":{"agent_id":"a","instance_id":"i","name":"x\\u0000"}}', 'body.active_agent.name: contains a NUL character (U+0000)'],
      ['{"k\\u0000":1}', 'body: has a key that contains a NUL character (U+0000)'],
    ]
    for (const [payload, detail] of cases) {
      const res = await app.inject({ method: 'POST', url: '/api/conversations/', headers: { 'content-type': 'application/json' }, payload })
      assert.deepEqual([res.statusCode, res.json()], [422, { detail: `Invalid request: ${detail}` }], payload)
    }
    assert.equal((await app.inject({ url: '/api/conversations/%00' })).statusCode, 404)
    assert.equal((await app.inject({ url: '/api/conversations/?screenplay_id=a%00b' })).statusCode, 422)
    const list = (await app.inject({ url: '/api/conversations/' })).json()
    assert.equal(list.total, 0, 'nothing was stored')
    const escaped = await app.inject({ method: 'POST', url: '/api/conversations/', payload: { title: 'a literal \\u0000 is fine' } })
    assert.equal(escaped.statusCode, 200)
  })
})

describe('request ids', () => {
  it('echoes a caller request id and makes one otherwise', async (t) => {
    const { app } = await buildTestApp(t)
    const given = await app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } })
    assert.equal(given.headers['x-request-id'], 'abc-123')
    const made = await app.inject({ url: '/health' })
    assert.match(String(made.headers['x-request-id']), /^[0-9a-f-]{36}$/)
  })

  it('names the request in answers refused before any route runs', async (t) => {
    const { app } = await buildTestApp(t)
    const refused = await app.inject({ url: '/api/screenplays/a%00b', headers: { 'x-request-id': 'nul-1' } })
    assert.deepEqual([refused.statusCode, refused.headers['x-request-id']], [404, 'nul-1'])
  })
})

describe('request logs', () => {
  /** A pino logger at `level` whose JSON lines land in the returned array. */
  function capturingLogger(level: string) {
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    return { logger: createLogger(level, sink), lines }
  }

  it('logs each request as JSON with its request id, never its body or credentials', async (t) => {
    const { logger, lines } = capturingLogger('info')
    const { app } = await buildTestApp(t, { logger })
    const secret = 'body-marker-7f3a'
    const res = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      headers: { 'x-request-id': 'req-42', authorization: 'Bearer token-marker-9c1d' },
      payload: { name: 'Logged', content: `# ${secret}`, description: secret },
    })
    assert.equal(res.statusCode, 201)
    const mine = lines.filter((line) => line.reqId === 'req-42')
    assert.deepEqual(
      mine.map((line) => line.msg),
      ['incoming request', 'request completed'],
    )
    assert.equal((mine[0]!.req as { url: string }).url, '/api/screenplays')
    assert.equal((mine[1]!.res as { statusCode: number }).statusCode, 201)
    const everything = JSON.stringify(lines)
    assert.ok(!everything.includes(secret), 'no request body in the logs')
    assert.ok(!everything.includes('token-marker-9c1d'), 'no credentials in the logs')
  })

  it('logs a 500 with its request id and the cause, while the client sees no details', async (t) => {
    const { logger, lines } = capturingLogger('info')
    const { app, deps } = await buildTestApp(t, { logger })
    await deps.database.close()
    const res = await app.inject({ url: '/api/screenplays', headers: { 'x-request-id': 'req-500' } })
    assert.equal(res.statusCode, 500)
    assert.deepEqual(res.json(), { detail: 'Internal Server Error' })
    const failure = lines.find((line) => line.reqId === 'req-500' && line.level === 50)
    assert.ok(failure, 'the failure is logged at error level with the request id')
    assert.ok((failure.err as { stack?: string }).stack, 'the log keeps the stack for operators')
  })
})

describe('CORS', () => {
  it('allows no cross-origin callers by default', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/api/screenplays',
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    })
    assert.equal(res.headers['access-control-allow-origin'], undefined)
    assert.equal(res.statusCode, 404)
    assert.deepEqual(res.json(), { detail: 'Not Found' })
  })

  it('allows the configured origins', async (t) => {
    const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: 'http://localhost:4200' } })
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/api/screenplays',
      headers: { origin: 'http://localhost:4200', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    assert.equal(res.statusCode, 204)
    assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:4200')
    const other = await app.inject({ url: '/health', headers: { origin: 'http://other.test' } })
    assert.equal(other.headers['access-control-allow-origin'], undefined)
  })
})

describe('Hooks', () => {
  /** The hooks a route passes through, as Fastify lists them (app-wide ones included). */
  async function hooksOf(app: FastifyInstance, route: string): Promise<string> {
    await app.ready()
    const routes = app.printRoutes({ includeHooks: true, commonPrefix: false })
    const start = routes.indexOf(`── ${route} (`)
    assert.notEqual(start, -1, `${route} is listed`)
    return routes.slice(start, routes.indexOf('\n│   /', start))
  }

  // Every hook costs each request about what the checks inside one cost together.
  it('leave a plain route with only what it needs: the request checks, unread bodies, its metrics', async (t) => {
    const { app } = await buildTestApp(t)
    const health = await hooksOf(app, '/health')
    assert.match(health, /\(onRequest\) \["runRequestChecks\(\)"\]/)
    assert.match(health, /\(onSend\) \["closeIfBodyUnread\(\)"\]/)
    assert.match(health, /\(onResponse\) \["countAnswer\(\)"\]/)
  })

  it('add CORS where cross-origin callers are allowed', async (t) => {
    const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: 'http://localhost:4200' } })
    assert.match(await hooksOf(app, '/health'), /\(onRequest\) \["runRequestChecks\(\)","handleCors\(\)"\]/)
  })
})

describe('API documentation', () => {
  const documented: Array<[string, string, { body?: boolean; status: string }]> = [
    ['post', '/api/screenplays', { body: true, status: '201' }],
    ['get', '/api/screenplays', { status: '200' }],
    ['get', '/api/screenplays/{screenplay_id}', { status: '200' }],
    ['put', '/api/screenplays/{screenplay_id}', { body: true, status: '200' }],
    ['delete', '/api/screenplays/{screenplay_id}', { status: '204' }],
    ['post', '/api/screenplays/{screenplay_id}/restore', { status: '200' }],
    ['post', '/api/screenplays/validate-markdown', { body: true, status: '200' }],
    ['post', '/api/screenplays/check-duplicate', { body: true, status: '200' }],
    ['put', '/api/screenplays/{screenplay_id}/rename', { body: true, status: '200' }],
    ['patch', '/api/screenplays/{screenplay_id}/working-directory', { body: true, status: '200' }],
    ['patch', '/api/screenplays/{screenplay_id}/mark-as-used', { status: '204' }],
    ['get', '/api/navigation', { status: '200' }],
    ['get', '/api/navigation/last', { status: '200' }],
    ['put', '/api/navigation', { body: true, status: '200' }],
    ['delete', '/api/navigation', { status: '200' }],
    ['get', '/health', { status: '200' }],
    ['get', '/ready', { status: '200' }],
  ]

  it('documents every route with its request, response and error schemas in /openapi.json', async (t) => {
    const { app } = await buildTestApp(t)
    const doc = (await app.inject({ url: '/openapi.json' })).json()
    assert.equal(doc.openapi, '3.0.3')
    for (const [method, path, expect] of documented) {
      const op = doc.paths[path]?.[method]
      assert.ok(op, `${method.toUpperCase()} ${path} is documented`)
      assert.ok(op.responses[expect.status], `${method} ${path} documents ${expect.status}`)
      if (expect.status !== '204') {
        assert.ok(op.responses[expect.status].content['application/json'].schema, `${method} ${path} response schema`)
      }
      if (expect.body) assert.ok(op.requestBody?.content['application/json'].schema, `${method} ${path} body schema`)
      const refused = op.responses['4XX']?.content['application/json'].schema
      assert.deepEqual(Object.keys(refused?.properties ?? {}), ['detail', 'errors'], `${method} ${path} documents its error body`)
      assert.ok(op.responses['5XX'], `${method} ${path} documents 5XX`)
    }
    const screenplay = doc.paths['/api/screenplays/{screenplay_id}'].get.responses['200'].content['application/json'].schema
    assert.ok(screenplay.properties.workingDirectory && screenplay.properties.lastUsedAt)
  })

  it('serves Swagger UI at /docs and Redoc at /redoc without any CDN', async (t) => {
    const { app } = await buildTestApp(t)
    const swagger = await app.inject({ url: '/docs/' })
    assert.equal(swagger.statusCode, 200)
    assert.match(String(swagger.headers['content-type']), /text\/html/)
    const redoc = await app.inject({ url: '/redoc' })
    assert.equal(redoc.statusCode, 200)
    assert.match(redoc.body, /<script src="\/redoc\/redoc.standalone.js">/)
    assert.doesNotMatch(redoc.body + swagger.body, /https?:\/\/(cdn|unpkg|fonts)/)
    const bundle = await app.inject({ url: '/redoc/redoc.standalone.js' })
    assert.equal(bundle.statusCode, 200)
    assert.ok(bundle.body.length > 100_000)
  })
})
