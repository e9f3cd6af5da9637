import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import type { Kysely } from 'kysely'
import { buildApp } from '../src/app.js'
import { createDeps } from '../src/deps.js'
import { CredentialSealer } from '../src/modules/mcp-registry/credentials.js'
import { importMongoExport } from '../src/modules/mongo-import/mongo-import.js'
import { openDatabase } from '../src/platform/db/database.js'
import { testConfig } from './helpers/build-test-app.js'
import { freshDatabase, snapshotOf, tablesOf } from './helpers/data-snapshot.js'
import { runCli } from './helpers/gateway-process.js'

const PERSONA_V1 = '# Reviewer\n\nYou review code changes and point out what is risky, one finding per line.'
const PERSONA_V2 = '# Reviewer\n\nYou review code changes, point out what is risky and suggest the smallest fix.'
const COMPLETE_PERSONA = '# Planner\n\nYou turn a vague request into a short, ordered plan with clear owners and dates.'

const oid = (hex: string) => ({ $oid: hex })
const date = (iso: string) => ({ $date: iso })
const canonicalDate = (iso: string) => ({ $date: { $numberLong: String(Date.parse(iso)) } })
/** mongoexport's default output: one document a line. */
const jsonLines = (docs: unknown[]) => `${docs.map((doc) => JSON.stringify(doc)).join('\n')}\n`

function writeExport(dir: string): void {
  mkdirSync(dir, { recursive: true })
  const file = (name: string, text: string) => writeFileSync(path.join(dir, name), text)
  file(
    'screenplays.json',
    jsonLines([
      {
        _id: oid('65f0a1b2c3d4e5f601234567'),
        name: 'Launch plan',
        description: '',
        tags: ['launch'],
        content: '# Launch\n',
        workingDirectory: '/srv/launch',
        filePath: 'plans/launch.md',
        isDeleted: false,
        version: 3,
        createdAt: date('2025-01-02T03:04:05.000Z'),
        updatedAt: canonicalDate('2025-01-03T00:00:00.000Z'),
        lastUsedAt: date('2025-01-04T00:00:00Z'),
      },
      // A councilor-created screenplay: no lastUsedAt, a snake_case working directory.
      {
        _id: oid('65f0a1b2c3d4e5f601234568'),
        name: 'Councilor notes',
        content: 'x',
        working_directory: '/srv/c',
        createdAt: date('2025-02-01T00:00:00Z'),
      },
      { _id: oid('65f0a1b2c3d4e5f601234567'), name: 'Launch plan (again)', content: 'duplicate' },
      { _id: oid('65f0a1b2c3d4e5f601234569'), content: 'no name' },
      // The original's unique index on live files never got created: two live screenplays of one file.
      { _id: oid('65f0a1b2c3d4e5f60123456a'), name: 'Launch copy', content: 'y', fileKey: 'k-launch', isDeleted: false },
      { _id: oid('65f0a1b2c3d4e5f60123456b'), name: 'Launch copy 2', content: 'z', fileKey: 'k-launch', isDeleted: false },
    ]),
  )
  // --jsonArray output, both agent shapes of the original.
  file(
    'agents.json',
    JSON.stringify([
      {
        _id: oid('65f0a1b2c3d4e5f60123aaaa'),
        agent_id: 'Planner_Agent',
        definition: {
          name: 'Planner',
          emoji: '🗺️',
          description: 'Plans',
          tags: ['plan'],
          group: 'planning',
          mcp_configs: ['git'],
          model: 'claude',
          version: '2.0',
        },
        persona: { content: COMPLETE_PERSONA, updated_at: '2025-01-05T10:00:00', reason: 'first cut' },
        created_at: '2025-01-05T09:00:00',
        updated_at: date('2025-01-06T00:00:00Z'),
      },
      {
        _id: oid('65f0a1b2c3d4e5f60123bbbb'),
        name: 'Reviewer_Agent',
        emoji: '🔍',
        description: 'Reviews',
        prompt: 'Review it',
        tags: ['review'],
        author: 'me',
      },
      { _id: oid('65f0a1b2c3d4e5f60123cccc'), description: 'no id at all' },
    ]),
  )
  file(
    'personas.json',
    jsonLines([
      {
        _id: oid('65f0a1b2c3d4e5f60123dddd'),
        agent_id: 'Reviewer_Agent',
        content: PERSONA_V2,
        metadata: { source: 'ui' },
        version: 2,
        created_at: date('2025-01-07T00:00:00Z'),
        updated_at: date('2025-01-08T00:00:00Z'),
      },
      { _id: oid('65f0a1b2c3d4e5f60123eeee'), agent_id: 'Ghost_Agent', content: PERSONA_V1, version: 1 },
    ]),
  )
  file(
    'persona_versions.json',
    jsonLines([
      {
        agent_id: 'Reviewer_Agent',
        version: 1,
        timestamp: date('2025-01-07T00:00:00Z'),
        data: { content: PERSONA_V1 },
        created_by: 'ana',
        change_description: 'initial',
      },
    ]),
  )
  file(
    'agent_instances.json',
    jsonLines([
      {
        _id: oid('65f0a1b2c3d4e5f60123ffff'),
        instance_id: 'instance-1700000000-abc',
        agent_id: 'Reviewer_Agent',
        screenplay_id: '65f0a1b2c3d4e5f601234567',
        conversation_id: 'c0ffee00-0000-4000-8000-000000000001',
        position: { x: 10, y: 20.5 },
        status: 'completed',
        statistics: {
          task_count: 4,
          total_execution_time: 1234.5,
          average_execution_time: 308.6,
          last_task_duration: 100,
          last_task_completed_at: '2025-03-01T10:00:00.123456',
          success_count: 3,
          error_count: 1,
          last_exit_code: 0,
          total_executions: 4,
          success_rate: 75,
        },
        created_at: '2025-03-01T09:00:00.5',
        updated_at: '2025-03-01T10:00:00',
      },
      // The legacy `stats` alias, a councilor instance, no position.
      {
        instance_id: 'councilor_Planner_Agent_1700000000000',
        agent_id: 'Planner_Agent',
        status: 'idle',
        is_councilor_instance: true,
        councilor_config: { title: 'Daily', schedule: { type: 'interval', value: '1h', enabled: true } },
        stats: { total_executions: 2, success_rate: 50 },
      },
      { agent_id: 'Reviewer_Agent', position: { x: 0, y: 0 } },
    ]),
  )
  file(
    'conversations.json',
    jsonLines([
      {
        _id: oid('65f0a1b2c3d4e5f601230001'),
        conversation_id: 'c0ffee00-0000-4000-8000-000000000001',
        title: 'Review chat',
        screenplay_id: '65f0a1b2c3d4e5f601234567',
        participants: [{ instance_id: 'instance-1700000000-abc', agent_id: 'Reviewer_Agent', name: 'Reviewer', emoji: '🔍' }],
        active_agent: { instance_id: 'instance-1700000000-abc', agent_id: 'Reviewer_Agent' },
        messages: [
          { id: 'm-1', type: 'user', content: 'Please review', timestamp: '2025-03-01T09:30:00' },
          {
            id: 'm-2',
            type: 'bot',
            content: 'Looks fine',
            timestamp: '2025-03-01T09:31:00',
            status: 'completed',
            task_id: '65f0a1b2c3d4e5f601239999',
            agent: { agent_id: 'Reviewer_Agent', instance_id: 'instance-1700000000-abc', name: 'Reviewer', emoji: '🔍' },
          },
          { id: 'm-3', type: 'user', timestamp: '2025-03-01T09:32:00' },
        ],
        display_order: 2,
        created_at: '2025-03-01T09:29:00',
        updated_at: '2025-03-01T09:31:00',
      },
    ]),
  )
  file(
    'tasks.json',
    `${jsonLines([
      {
        _id: oid('65f0a1b2c3d4e5f601239999'),
        task_id: '65f0a1b2c3d4e5f601239999',
        agent_id: 'Reviewer_Agent',
        instance_id: 'instance-1700000000-abc',
        conversation_id: 'c0ffee00-0000-4000-8000-000000000001',
        status: 'completed',
        prompt: '<prompt>Please review</prompt>',
        input_text: 'Please review',
        provider: 'claude',
        result: 'Looks fine',
        exit_code: 0,
        severity: 'success',
        timeout: 600,
        created_at: date('2025-03-01T09:30:00Z'),
        started_at: date('2025-03-01T09:30:01Z'),
        completed_at: date('2025-03-01T09:31:00Z'),
      },
      {
        _id: oid('65f0a1b2c3d4e5f601238888'),
        agent_id: 'Planner_Agent',
        status: 'processing',
        prompt: 'plan',
        created_at: date('2025-03-02T00:00:00Z'),
      },
    ])}{"_id": {"$oid": "broken"\n`,
  )
  file('history.json', jsonLines([{ instance_id: 'instance-1700000000-abc', timestamp: '2025-03-01T09:30:00' }, { instance_id: 'x' }]))
  file(
    'mcp_registry.json',
    jsonLines([
      {
        _id: oid('65f0a1b2c3d4e5f60123c001'),
        name: 'git',
        type: 'external',
        url: 'http://git:9000/sse',
        host_url: 'http://localhost:13001/sse',
        backend_url: 'http://git:9001',
        auth: 'tok-git',
        status: 'healthy',
        tools_count: { $numberInt: '7' },
        last_heartbeat: canonicalDate('2025-04-01T10:00:00Z'),
        registered_at: date('2025-01-01T00:00:00Z'),
        last_used: '2025-04-01T09:00:00',
        metadata: { category: 'dev', description: 'Git tools', version: '1.2', tags: ['git', 3], owner: 'ops', since: date('2024-12-01T00:00:00Z') },
      },
      // A sidecar the on-demand manager had stopped: naive registration time, a host_url without a scheme.
      {
        name: 'notes',
        type: 'external',
        url: 'http://notes:9100/sse',
        host_url: 'localhost:13002/sse',
        status: 'stopped',
        registered_at: '2025-02-01T08:00:00.250',
        docker_compose_path: '/srv/notes/docker-compose.yml',
        shutdown_after: date('2025-02-02T00:00:00Z'),
        auto_shutdown_minutes: 30,
      },
      { name: 'git', type: 'external', url: 'http://git-copy:9000/sse', status: 'healthy' },
      { name: 'broken', type: 'external', url: 'git:9000/sse', status: 'healthy' },
      { name: 'nourl', type: 'external', status: 'healthy' },
      { type: 'external', url: 'http://anonymous:1/sse' },
      { name: 'conductor', type: 'internal', url: 'http://localhost:5007/sse', status: 'unknown' },
      { name: 'stats', type: 'external', url: 'http://stats:1/sse', status: 'healthy' },
      { name: 'bad name!', type: 'external', url: 'http://bad:1/sse', status: 'healthy' },
      { name: 'search', type: 'external', url: 'http://search:1/sse', status: 'healthy' },
      { name: 'weird', type: 'external', url: 'https://weird.example/mcp', status: 'sleeping' },
    ]),
  )
}

const CREDENTIALS_KEY = 'a'.repeat(64)
const mcpSettings = (key: string | null = CREDENTIALS_KEY) => ({
  sealer: key ? new CredentialSealer(Buffer.from(key, 'hex')) : null,
  configured: new Set(['search']),
})

async function database(t: TestContext) {
  const db = await freshDatabase()
  t.after(() => db.drop())
  return db.url
}

async function importInProcess(url: string, dir: string, mcp = mcpSettings()) {
  const database = openDatabase(url, { poolSize: 2 })
  try {
    const { migrateToLatest } = await import('../src/platform/db/migrate.js')
    await migrateToLatest(database)
    const lines: string[] = []
    const summary = await importMongoExport(dir, database, mcp, (line) => lines.push(line))
    return { summary, output: lines.join('\n') }
  } finally {
    await database.close()
  }
}

// biome-ignore lint/suspicious/noExplicitAny: rows read back field by field
async function rows(url: string, table: string): Promise<any[]> {
  const database = openDatabase(url, { poolSize: 1 })
  try {
    // biome-ignore lint/suspicious/noExplicitAny: any table
    return await (database.db as Kysely<any>).selectFrom(table).selectAll().execute()
  } finally {
    await database.close()
  }
}

const json = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

describe('conductor-gateway import-mongo', () => {
  it('imports every collection of a mongoexport, maps ids, fields and times, and reports what it skipped and why', async (t) => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gw-mongo-')), 'dump')
    writeExport(dir)
    const url = await database(t)
    // The configuration the MCP registry's documents are read with: a credentials key, and a server of mcp.servers.
    writeFileSync(path.join(path.dirname(dir), 'config.yaml'), 'mcp:\n  servers:\n    search: http://search:1/mcp\n')
    // A zone far from UTC: naive times must still be read as UTC.
    const cli = await runCli(['import-mongo', dir], {
      cwd: path.dirname(dir),
      env: { DATABASE_URL: url, TZ: 'America/Sao_Paulo', MCP_CREDENTIALS_KEY: CREDENTIALS_KEY },
    })
    assert.equal(cli.code, 1, `some documents were skipped: ${cli.stderr}`)
    const out = cli.stdout
    assert.match(out, /^screenplays: 3 imported, 0 already present, 3 skipped$/m)
    assert.match(
      out,
      /skipped line 6 \(65f0a1b2c3d4e5f60123456b\): another row already has one of its unique values \(the file of a live screenplay: fileKey\)/,
    )
    assert.match(out, /skipped line 3 \(65f0a1b2c3d4e5f601234567\): duplicate id \(first at line 1, which was kept\)/)
    assert.match(out, /skipped line 4: no name/)
    assert.match(out, /^agents: 2 imported, 0 already present, 1 skipped$/m)
    assert.match(out, /skipped line 3: no agent_id or name to take the agent id from/)
    assert.match(out, /^personas: 2 imported, 0 already present, 1 skipped$/m)
    assert.match(out, /skipped line 2 \(Ghost_Agent\): no agent Ghost_Agent in the export or the database/)
    assert.match(out, /^agent_instances: 2 imported, 0 already present, 1 skipped$/m)
    assert.match(out, /skipped line 3: no instance_id/)
    assert.match(out, /note line 2 \(councilor_Planner_Agent_1700000000000\): no position: placed at 0,0/)
    assert.match(out, /^conversations: 1 imported/m)
    assert.match(out, /message 3 skipped: no content/)
    assert.match(out, /^tasks: 2 imported, 0 already present, 1 skipped$/m)
    assert.match(out, /skipped line 3: not valid JSON/)
    assert.match(out, /status 'processing' imported as failed/)
    assert.match(out, /^history: 0 imported, 0 already present, 1 skipped$/m)
    assert.match(out, /skipped: 2 document\(s\): the gateway keeps no separate per-instance history/)
    assert.match(out, /^mcp_registry: 3 imported, 0 already present, 8 skipped$/m)
    assert.match(out, /skipped line 3 \(git\): duplicate id \(first at line 1, which was kept\)/)
    assert.match(out, /skipped line 4: url "git:9000\/sse" is not an http\(s\) URL/)
    assert.match(out, /skipped line 5: no url/)
    assert.match(out, /skipped line 6: no name/)
    assert.match(out, /skipped line 7: an internal MCP of the original gateway/)
    assert.match(out, /skipped line 8: 'stats' is a route of \/mcp and cannot name a server/)
    assert.match(out, /skipped line 9: name 'bad name!' must start with a letter or digit/)
    assert.match(out, /skipped line 10: 'search' is a server configured in mcp.servers/)
    assert.match(out, /note line 2 \(notes\): host_url "localhost:13002\/sse" is not an http\(s\) URL: left out/)
    assert.match(out, /note line 2 \(notes\): docker_compose_path, shutdown_after, auto_shutdown_minutes not imported/)
    assert.match(out, /note line 11 \(weird\): status "sleeping" imported as unknown/)
    assert.match(out, /^done: 15 imported, 0 already present, 16 skipped$/m)

    const screenplays = await rows(url, 'screenplays')
    const launch = screenplays.find((s) => s.id === '65f0a1b2c3d4e5f601234567')
    assert.deepEqual(
      [launch.name, launch.working_directory, launch.file_path, launch.version, launch.created_at, launch.updated_at, launch.last_used_at],
      [
        'Launch plan',
        '/srv/launch',
        'plans/launch.md',
        3,
        Date.parse('2025-01-02T03:04:05Z'),
        Date.parse('2025-01-03T00:00:00Z'),
        Date.parse('2025-01-04T00:00:00Z'),
      ],
    )
    const councilorNotes = screenplays.find((s) => s.id === '65f0a1b2c3d4e5f601234568')
    assert.equal(councilorNotes.working_directory, '/srv/c')
    assert.equal(councilorNotes.last_used_at, Date.parse('2025-02-01T00:00:00Z'), 'no lastUsedAt: the last update stands in')

    const instances = await rows(url, 'agent_instances')
    const reviewer = instances.find((i) => i.instance_id === 'instance-1700000000-abc')
    assert.deepEqual(json(reviewer.position), { x: 10, y: 20.5 })
    assert.equal(reviewer.created_at, Date.parse('2025-03-01T09:00:00.500Z'), 'naive ISO times are UTC')
    assert.equal(reviewer.last_task_completed_at, Date.parse('2025-03-01T10:00:00.123Z'))
    assert.deepEqual([reviewer.task_count, reviewer.success_count, reviewer.error_count, reviewer.success_rate], [4, 3, 1, 75])
    const councilor = instances.find((i) => i.instance_id === 'councilor_Planner_Agent_1700000000000')
    assert.deepEqual([councilor.total_executions, councilor.success_rate, Boolean(councilor.is_councilor_instance)], [2, 50, true])

    const runs = await rows(url, 'runs')
    const done = runs.find((r) => r.id === '65f0a1b2c3d4e5f601239999')
    assert.deepEqual(
      [done.status, done.source, done.provider, done.executor, done.input, done.output, done.timeout_ms, done.ended_at],
      ['completed', 'chat', 'claude', 'cli', 'Please review', 'Looks fine', 600_000, Date.parse('2025-03-01T09:31:00Z')],
    )
    const stuck = runs.find((r) => r.id === '65f0a1b2c3d4e5f601238888')
    assert.deepEqual([stuck.status, stuck.provider], ['failed', 'conductor'])
    assert.match(stuck.error, /imported from the original gateway while 'processing'/)

    const servers = await rows(url, 'mcp_servers')
    assert.deepEqual(servers.map((row) => row.name).sort(), ['git', 'notes', 'weird'])
    const git = servers.find((row) => row.name === 'git')
    assert.deepEqual(
      [git.status, git.transport, git.tools_count, git.registered_at, git.last_heartbeat, git.last_used],
      ['healthy', 'sse', 7, Date.parse('2025-01-01T00:00:00Z'), Date.parse('2025-04-01T10:00:00Z'), Date.parse('2025-04-01T09:00:00Z')],
    )
    assert.ok(!String(git.credentials).includes('tok-git'), 'the auth token is stored sealed')
    const notes = servers.find((row) => row.name === 'notes')
    assert.deepEqual(
      [notes.status, notes.host_url, notes.registered_at, notes.last_heartbeat],
      ['stopped', null, Date.parse('2025-02-01T08:00:00.250Z'), null],
    )

    // The gateway reads what was imported through its own API.
    const deps = await createDeps(testConfig({ MCP_CREDENTIALS_KEY: CREDENTIALS_KEY }, url), { database: { poolSize: 2 } })
    const app = await buildApp(deps, { logger: false })
    t.after(async () => {
      await app.close()
      await deps.close()
    })
    const conversationRes = await app.inject({ url: '/api/conversations/c0ffee00-0000-4000-8000-000000000001' })
    assert.equal(conversationRes.statusCode, 200, conversationRes.body)
    const conversation = conversationRes.json()
    assert.deepEqual(
      conversation.messages.map((m: { id: string; content: string }) => [m.id, m.content]),
      [
        ['m-1', 'Please review'],
        ['m-2', 'Looks fine'],
      ],
    )
    for (const [route, expected] of [
      ['/api/agents/instances', 'councilor_Planner_Agent_1700000000000'],
      ['/api/agents/instances/instance-1700000000-abc', '"success_rate":75'],
      ['/api/screenplays/65f0a1b2c3d4e5f601234567', 'Launch plan'],
      ['/api/screenplays', 'Councilor notes'],
      ['/api/runs/65f0a1b2c3d4e5f601239999', 'Looks fine'],
      ['/api/tasks', '65f0a1b2c3d4e5f601238888'],
      ['/api/conversations/', 'Review chat'],
    ] as const) {
      const res = await app.inject({ url: route })
      assert.equal(res.statusCode, 200, `${route}: ${res.body}`)
      assert.ok(res.body.includes(expected), `${route} shows ${expected}: ${res.body.slice(0, 300)}`)
    }
    const agents = (await app.inject({ url: '/api/agents' })).json()
    const flat = JSON.stringify(agents)
    assert.match(flat, /Reviewer_Agent/)
    assert.match(flat, /Planner_Agent/)
    const reviewerPersona = (await app.inject({ url: '/api/agents/Reviewer_Agent/persona' })).json()
    assert.match(JSON.stringify(reviewerPersona), /suggest the smallest fix/)
    const versions = (await rows(url, 'persona_versions')).filter((v) => v.agent_id === 'Reviewer_Agent').sort((a, b) => a.version - b.version)
    assert.deepEqual(
      versions.map((v) => [v.version, v.created_by]),
      [
        [1, 'ana'],
        [2, null],
      ],
    )
    const plannerPersona = (await app.inject({ url: '/api/agents/Planner_Agent/persona' })).json()
    assert.match(JSON.stringify(plannerPersona), /ordered plan/)

    const gitEntry = (await app.inject({ url: '/mcp/git' })).json()
    assert.deepEqual(
      [gitEntry.url, gitEntry.host_url, gitEntry.backend_url, gitEntry.has_auth, gitEntry.registered_at, gitEntry.last_used],
      ['http://git:9000/sse', 'http://localhost:13001/sse', 'http://git:9001', true, '2025-01-01T00:00:00.000Z', '2025-04-01T09:00:00.000Z'],
    )
    assert.deepEqual(gitEntry.metadata, {
      category: 'dev',
      description: 'Git tools',
      version: '1.2',
      tags: ['git'],
      owner: 'ops',
      since: '2024-12-01T00:00:00.000Z',
    })
    assert.equal(gitEntry.status, 'unhealthy', 'its last heartbeat is long past the TTL')
    // Once the sidecar beats again, the Planner (mcp_configs: git) gets it with the imported token.
    assert.equal((await app.inject({ method: 'POST', url: '/mcp/heartbeat/git' })).statusCode, 204)
    const claude = (await app.inject({ url: '/mcp/config?agent_id=Planner_Agent' })).json()
    assert.deepEqual(claude.mcpServers.git, { type: 'sse', url: 'http://localhost:13001/sse', headers: { Authorization: 'Bearer tok-git' } })
  })

  it('is idempotent: a second import of the same export changes nothing', async (t) => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'gw-mongo-')), 'dump')
    writeExport(dir)
    const url = await database(t)
    const first = await importInProcess(url, dir)
    assert.equal(first.summary.imported, 15)
    const tables = (await tablesOf(url)).filter((table) => table !== 'schema_migrations')
    const before = await snapshotOf(url, tables)

    const second = await importInProcess(url, dir)
    assert.equal(second.summary.imported, 0)
    assert.equal(second.summary.present, 15)
    assert.match(second.output, /^screenplays: 0 imported, 3 already present, 3 skipped$/m)
    assert.match(second.output, /^mcp_registry: 0 imported, 3 already present, 8 skipped$/m)
    assert.deepEqual(await snapshotOf(url, tables), before)
  })

  it('skips an MCP server with an auth token while no credentials key is configured, and imports it once there is one', async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gw-mongo-mcp-'))
    writeFileSync(
      path.join(dir, 'mcp_registry.json'),
      JSON.stringify([
        {
          name: 'crm',
          type: 'external',
          url: 'http://crm:9000/sse',
          auth: 'tok-crm',
          status: 'healthy',
          registered_at: date('2025-01-01T00:00:00Z'),
        },
        { name: 'docs', type: 'external', url: 'http://docs:9000/sse', status: 'healthy', registered_at: date('2025-01-01T00:00:00Z') },
      ]),
    )
    const url = await database(t)
    const keyless = await importInProcess(url, dir, mcpSettings(null))
    assert.match(keyless.output, /^mcp_registry: 1 imported, 0 already present, 1 skipped$/m)
    assert.match(
      keyless.output,
      /skipped line 1: it has an auth token and no MCP_CREDENTIALS_KEY is configured to store it encrypted: set the key and import again/,
    )
    assert.equal(keyless.summary.rejected, 1)

    const keyed = await importInProcess(url, dir)
    assert.match(keyed.output, /^mcp_registry: 1 imported, 1 already present, 0 skipped$/m)
    const crm = (await rows(url, 'mcp_servers')).find((row) => row.name === 'crm')
    assert.deepEqual(new CredentialSealer(Buffer.from(CREDENTIALS_KEY, 'hex')).open('crm', crm.credentials), { auth: 'tok-crm' })
  })

  it('refuses a directory with no export files', async (t) => {
    const url = await database(t)
    const empty = mkdtempSync(path.join(tmpdir(), 'gw-mongo-empty-'))
    const result = await runCli(['import-mongo', empty], { cwd: empty, env: { DATABASE_URL: url } })
    assert.equal(result.code, 2)
    assert.match(result.stderr, /holds none of screenplays\.json, agents\.json/)
  })
})
