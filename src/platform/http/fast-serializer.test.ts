// Compiled response serializers write the same bytes as zod's serializer did, and schemas they
// cannot mirror keep zod's.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { RunDto } from '../../modules/runs/runs.schemas.js'
import { ScreenplayListDto, ScreenplayReadDto } from '../../modules/screenplays/screenplays.schemas.js'
import { fastSerializerCompiler, jsonSchemaOf } from './fast-serializer.js'

const route = (schema: z.ZodType) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' })
const both = (schema: z.ZodType) => [fastSerializerCompiler(route(schema)), zodSerializerCompiler(route(schema))] as const

const screenplay = {
  id: 'sp1',
  name: 'A "quoted" name\nwith a line break and ünïcödé ✓',
  description: null,
  tags: ['a', 'b'],
  workingDirectory: '/srv/work',
  working_directory: '/srv/work',
  filePath: null,
  importPath: null,
  exportPath: null,
  fileKey: 'key',
  isDeleted: false,
  version: 3,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  lastUsedAt: '2026-01-01T00:00:00.000Z',
  content: '# Title\n\n\t<script>"\\u0000"</script>',
}

const run = {
  // Keys in another order than the schema's, and one the schema does not have.
  status: 'completed',
  run_id: 'r1',
  not_on_the_wire: 'dropped',
  source: 'api',
  agent_id: null,
  persona_version: null,
  instance_id: null,
  conversation_id: 'c1',
  screenplay_id: null,
  executor: 'echo',
  provider: 'echo',
  model: null,
  input: 'hello',
  output: 'hello',
  error: null,
  exit_code: 0,
  severity: null,
  usage: { tokens_in: 1, tokens_out: 1 },
  cwd: null,
  timeout_ms: 1000,
  cancel_requested: false,
  created_at: '2026-01-01T00:00:00.000Z',
  started_at: null,
  ended_at: null,
  duration_ms: null,
  last_seq: 4,
  events_url: '/api/runs/r1/events',
  metadata: { b: 1, a: { nested: [1, 'two', null] } },
}

describe('compiled response serializers', () => {
  it('write byte for byte what zod wrote, dropping keys the schema lacks and keeping its order', () => {
    const cases: Array<[z.ZodType, unknown]> = [
      [ScreenplayReadDto, { ...screenplay, screenplay: { ...screenplay, extra: 1 } }],
      [ScreenplayListDto, { items: [screenplay, { ...screenplay, id: 'sp2', description: 'd' }], total: 2, page: 1, pages: 1, more: true }],
      [RunDto, run],
      [RunDto, { ...run, usage: null, metadata: {} }],
      [RunDto, { ...run, usage: { tokens_in: 1.5, tokens_out: 2, cost_usd: 0.001 } }],
    ]
    for (const [schema, data] of cases) {
      assert.ok(jsonSchemaOf(schema), 'compiled, not left to zod')
      const [fast, zod] = both(schema)
      assert.equal(fast(data), zod(data))
    }
  })

  it('write literals as their plain type, as zod does for the values it accepts', () => {
    const Health = z.object({ status: z.literal('healthy'), ok: z.literal(true), code: z.literal(7), endpoints: z.object({ api: z.string() }) })
    assert.ok(jsonSchemaOf(Health), 'compiled, not left to zod')
    const [fast, zod] = both(Health)
    const body = { code: 7, status: 'healthy', ok: true, endpoints: { api: 'http://x/"y"' }, extra: 1 }
    assert.equal(fast(body), zod(body))
  })

  it('keep zod for what a JSON Schema cannot mirror (unions, transforms, defaults)', () => {
    assert.equal(jsonSchemaOf(z.union([z.object({ a: z.string() }), z.object({ b: z.number() })])), undefined)
    assert.equal(jsonSchemaOf(z.object({ a: z.string().transform((s) => s.length) })), undefined)
    assert.equal(jsonSchemaOf(z.object({ a: z.string().default('x') })), undefined)
    const [fast, zod] = both(z.object({ a: z.string().default('x') }))
    assert.equal(fast({ a: 'y', b: 1 }), zod({ a: 'y', b: 1 }))
  })
})
