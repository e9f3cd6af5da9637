// Hostile requests generated from /openapi.json: for every operation, path ids that do not exist
// or try to escape, query values of the wrong type, bodies with missing, extra, null, mistyped,
// huge, unicode and traversal values, broken JSON and wrong content types; each sent with and
// without credentials. Used by test/security/hostile-input.test.ts and bench/hostile.ts.

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are walked generically
type Json = any

export interface Operation {
  method: string
  path: string
  pathParams: string[]
  query: Array<{ name: string; schema: Json }>
  body: Json | undefined
}

export interface HostileRequest {
  method: string
  url: string
  headers: Record<string, string>
  body?: string
  label: string
}

/** Operations that open a stream which stays open for as long as the client wants (the legacy MCP transport). */
export const ENDLESS_STREAMS: ReadonlySet<string> = new Set(['GET /sse'])

export function operationsOf(spec: Json): Operation[] {
  const resolve = (schema: Json): Json => {
    if (schema?.$ref) return resolve(spec.components?.schemas?.[String(schema.$ref).split('/').pop()!])
    return schema
  }
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries<Json>(spec.paths)) {
    for (const [method, op] of Object.entries<Json>(methods)) {
      if (method === 'options' || method === 'head') continue
      // Past the gate an endless stream never answers in full: its gate is checked by the roles test.
      if (ENDLESS_STREAMS.has(`${method.toUpperCase()} ${path}`)) continue
      const params: Json[] = op.parameters ?? []
      ops.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema) })),
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
      })
    }
  }
  return ops
}

const HUGE = 'x'.repeat(200_000)
const UNICODE = '💥 ñ 漢字 \u202e evil \uffff'
const TRAVERSAL = ['../../../../etc/passwd', '/etc/../../root', '..\\..\\windows', '%2e%2e%2f%2e%2e%2fetc', '/tmp/../../etc/shadow']
const WRONG_VALUES: Json[] = [
  null,
  true,
  -1,
  -2_147_483_649,
  1e308,
  2 ** 53 + 2,
  'abc',
  '',
  [],
  {},
  [1, 'a'],
  { $gt: '' },
  HUGE,
  UNICODE,
  ...TRAVERSAL,
]
const PATH_VALUES = [
  'unknown-id',
  '000000000000000000000000',
  '..%2F..%2Fetc%2Fpasswd',
  '%2e%2e',
  'a'.repeat(300),
  encodeURIComponent(UNICODE),
  '-1',
  '99999999999999999999',
  '%00',
  '%ZZ',
]
const QUERY_VALUES = [
  'abc',
  '-1',
  '1e309',
  '99999999999999999999',
  '',
  'true',
  encodeURIComponent(HUGE.slice(0, 4000)),
  encodeURIComponent(UNICODE),
  '%00',
  '[]',
]

/** A plausible value for a schema, so mutations hit one field at a time. */
export function sample(schema: Json, depth = 0): Json {
  if (!schema || depth > 6) return null
  if (schema.enum) return schema.enum[0]
  if (schema.anyOf || schema.oneOf) return sample((schema.anyOf ?? schema.oneOf)[0], depth + 1)
  if (schema.allOf) return sample(schema.allOf[0], depth + 1)
  if (schema.default !== undefined) return schema.default
  switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
    case 'string':
      return schema.format === 'date-time'
        ? new Date(0).toISOString()
        : 'sample text'.slice(0, schema.maxLength ?? 11).padEnd(schema.minLength ?? 0, 'x')
    case 'integer':
    case 'number':
      return schema.minimum ?? 1
    case 'boolean':
      return true
    case 'array':
      return [sample(schema.items, depth + 1)]
    case 'object': {
      const out: Record<string, Json> = {}
      for (const [key, value] of Object.entries<Json>(schema.properties ?? {})) out[key] = sample(value, depth + 1)
      return out
    }
    default:
      return 'sample'
  }
}

/** Every hostile variant of one operation, without credentials (the caller adds them). */
export function* hostileVariants(op: Operation, pick: (n: number) => number): Generator<HostileRequest> {
  const path = (value: () => string) => op.path.replace(/\{[^}]+\}/g, () => value())
  const plain = path(() => 'unknown-id')
  const json = { 'content-type': 'application/json' }
  const hasBody = !['GET', 'DELETE'].includes(op.method)
  const base = hasBody && op.body ? sample(op.body) : undefined

  for (const value of PATH_VALUES)
    if (op.pathParams.length > 0) yield { method: op.method, url: path(() => value), headers: json, label: `path=${value.slice(0, 20)}` }
  for (const q of op.query) {
    for (const value of QUERY_VALUES) yield { method: op.method, url: `${plain}?${q.name}=${value}`, headers: {}, label: `query.${q.name}` }
  }
  yield { method: op.method, url: `${plain}?unknown=1&__proto__[x]=1`, headers: {}, label: 'extra query' }
  if (!hasBody) return
  const send = (body: Json, label: string): HostileRequest => ({ method: op.method, url: plain, headers: json, body: JSON.stringify(body), label })
  if (base && typeof base === 'object' && !Array.isArray(base)) {
    yield send(base, 'plausible body')
    for (const key of Object.keys(base)) {
      const { [key]: _dropped, ...rest } = base
      yield send(rest, `missing ${key}`)
      for (const wrong of WRONG_VALUES) yield send({ ...base, [key]: wrong }, `${key}=${JSON.stringify(wrong)?.slice(0, 20)}`)
    }
    yield send({ ...base, extra_field: UNICODE, constructor: { prototype: { polluted: true } } }, 'extra fields')
    yield {
      method: op.method,
      url: plain,
      headers: json,
      body: `{"__proto__": {"polluted": true}, ${JSON.stringify(base).slice(1)}`,
      label: '__proto__',
    }
  }
  for (const whole of [null, [], 'string', 42, HUGE, { a: { b: { c: { d: { e: [[[[[]]]]] } } } } }]) yield send(whole, `body=${typeof whole}`)
  const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
  for (const broken of ['{"a":', '{a:1}', '\u0000', '{"a":"\\ud800"}', deep, '\xff\xfe']) {
    yield { method: op.method, url: plain, headers: json, body: broken, label: 'broken JSON' }
  }
  const types = [
    'text/plain',
    'application/xml',
    'multipart/form-data',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin1',
    'image/png',
  ]
  yield { method: op.method, url: plain, headers: { 'content-type': types[pick(types.length)]! }, body: 'a=1&b=2', label: 'wrong content type' }
  for (const type of types)
    yield { method: op.method, url: plain, headers: { 'content-type': type }, body: JSON.stringify(base ?? {}), label: `content-type ${type}` }
}

export interface HostileOutcome {
  sent: number
  byStatus: Record<string, number>
  /** 5xx other than 502/503 with a detail, and network errors (resets): each is a failure. */
  failures: string[]
  /** The slowest answers, slowest first: where a run spends its time. */
  slowest: Array<{ ms: number; request: string }>
}

/** Sends `requests` with `concurrency` in flight; collects statuses and failures. */
export async function sendAll(baseUrl: string, requests: Iterable<HostileRequest>, concurrency: number): Promise<HostileOutcome> {
  const outcome: HostileOutcome = { sent: 0, byStatus: {}, failures: [], slowest: [] }
  const iterator = requests[Symbol.iterator]()
  const worker = async () => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) {
      const req = next.value
      outcome.sent++
      const started = performance.now()
      try {
        const res = await fetch(`${baseUrl}${req.url}`, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' })
        const text = await res.text()
        outcome.byStatus[res.status] = (outcome.byStatus[res.status] ?? 0) + 1
        const ms = Math.round(performance.now() - started)
        if (outcome.slowest.length < 10 || ms > outcome.slowest.at(-1)!.ms) {
          outcome.slowest.push({ ms, request: `${res.status} ${req.method} ${req.url.slice(0, 80)} [${req.label}]` })
          outcome.slowest.sort((a, b) => b.ms - a.ms).splice(10)
        }
        if (res.status >= 500 && !acceptable5xx(res.status, text)) {
          outcome.failures.push(`${res.status} ${req.method} ${req.url.slice(0, 120)} [${req.label}] ${text.slice(0, 200)}`)
        }
      } catch (err) {
        outcome.failures.push(`network error ${req.method} ${req.url.slice(0, 120)} [${req.label}]: ${String((err as Error).cause ?? err)}`)
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return outcome
}

function acceptable5xx(status: number, text: string): boolean {
  if (status !== 502 && status !== 503) return false
  try {
    return typeof JSON.parse(text).detail === 'string'
  } catch {
    return false
  }
}

/** A small deterministic random source, so a failing run can be replayed with its seed. */
export function seeded(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1
  return (n) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % n
  }
}
