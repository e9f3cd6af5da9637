import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { createDeps, type Deps } from '../src/deps.js'
import { testConfig } from './helpers/build-test-app.js'
import { runCli } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

const PERSONA = '# Persona: Readme\n\nYou read README files and summarise them.'

/** A database both the CLI child process and the test can open. */
async function sharedDatabase(t: TestContext, cwd: string): Promise<{ env: Record<string, string>; open(): Promise<Deps> }> {
  if (testDialect() === 'sqlite') {
    const url = `sqlite:${path.join(cwd, 'gw.db')}`
    return { env: { DATABASE_URL: url }, open: () => createDeps(testConfig({}, url)) }
  }
  const db = await createTestDatabase()
  t.after(() => db.drop())
  return {
    env: { DATABASE_URL: urlWithSchema(db.url, db.schema!) },
    open: () => createDeps(testConfig({}, db.url), { database: { schema: db.schema!, poolSize: 2 } }),
  }
}

function writeAgent(root: string, name: string, files: Record<string, string | Buffer>): void {
  mkdirSync(path.join(root, name), { recursive: true })
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(root, name, file), content)
}

describe('conductor-gateway import-agents', () => {
  it('imports a Conductor agents directory, reports every entry and skips bad ones', async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-import-'))
    const agents = path.join(cwd, 'agents')
    writeAgent(agents, 'ReadmeResume_Agent', {
      'definition.yaml':
        'name: ReadmeResume_Agent\ndescription: Summarises README files\nemoji: "📘"\ntags: [docs, summary]\nmcp_configs: [git]\nai_provider: claude\nmodel: claude\ngroup: documentation\nversion: "1.2"\ncapabilities: [read]\n',
      'persona.md': PERSONA,
    })
    writeAgent(agents, 'NoPersona_Agent', { 'definition.yaml': 'description: Works without a persona\nai_provider: mystery\n' })
    writeAgent(agents, 'BrokenYaml_Agent', { 'definition.yaml': 'name: [unclosed\n', 'persona.md': PERSONA })
    writeAgent(agents, 'BadTags_Agent', { 'definition.yaml': 'name: BadTags_Agent\ntags: just-a-string\n' })
    writeAgent(agents, 'Binary_Agent', { 'definition.yaml': 'name: Binary_Agent\n', 'persona.md': Buffer.from([0xff, 0xfe, 0x00]) })
    writeAgent(agents, 'Empty_Agent', { 'notes.txt': 'no definition here' })
    writeFileSync(path.join(agents, 'README.md'), 'not an agent')
    const db = await sharedDatabase(t, cwd)

    const first = await runCli(['import-agents', agents], { cwd, env: { ...db.env, LOG_LEVEL: 'silent' } })
    assert.equal(first.code, 1, first.stderr)
    const lines = first.stdout.trim().split('\n')
    assert.deepEqual(lines, [
      'skipped   BadTags_Agent: definition.yaml: tags must be an array',
      'skipped   Binary_Agent: persona.md is not valid UTF-8',
      `skipped   BrokenYaml_Agent: definition.yaml is not valid YAML: ${lines[2]!.split('is not valid YAML: ')[1]}`,
      'skipped   Empty_Agent: no definition.yaml',
      "imported  NoPersona_Agent (no persona.md; unknown ai_provider 'mystery' ignored)",
      'imported  ReadmeResume_Agent (persona v1)',
      'done: 2 imported, 0 updated, 0 unchanged, 4 skipped',
    ])

    writeFileSync(path.join(agents, 'ReadmeResume_Agent', 'persona.md'), `${PERSONA}\nKeep it short.`)
    const second = await runCli(['import-agents', agents], { cwd, env: db.env })
    assert.match(second.stdout, /^updated {3}ReadmeResume_Agent \(changed persona_content; persona v2\)$/m)
    assert.match(second.stdout, /^unchanged NoPersona_Agent \(no persona\.md; unknown ai_provider 'mystery' ignored\)$/m)
    assert.match(second.stdout, /done: 0 imported, 1 updated, 1 unchanged, 4 skipped/)

    const deps = await db.open()
    try {
      const agent = await deps.agents.get('ReadmeResume_Agent')
      assert.deepEqual(
        [agent.name, agent.emoji, agent.tags, agent.mcpConfigs, agent.aiProvider, agent.model, agent.group, agent.extra],
        ['ReadmeResume_Agent', '📘', ['docs', 'summary'], ['git'], 'claude', 'claude', 'documentation', { version: '1.2', capabilities: ['read'] }],
      )
      assert.deepEqual(await deps.personas.current('ReadmeResume_Agent'), { content: `${PERSONA}\nKeep it short.`, version: 2 })
      const bare = await deps.agents.get('NoPersona_Agent')
      assert.deepEqual([bare.name, bare.aiProvider, bare.group], ['NoPersona_Agent', null, 'other'])
      assert.equal(await deps.agents.find('BrokenYaml_Agent'), undefined)
    } finally {
      await deps.close()
    }
  })

  it('prints a progress line every 100 entries', async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-import-'))
    const agents = path.join(cwd, 'agents')
    for (let i = 0; i < 205; i++)
      writeAgent(agents, `Bulk${String(i).padStart(3, '0')}_Agent`, { 'definition.yaml': `description: Bulk agent number ${i}\n` })
    const db = await sharedDatabase(t, cwd)
    const result = await runCli(['import-agents', agents], { cwd, env: db.env })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(
      result.stdout.split('\n').filter((line) => line.startsWith('progress')),
      ['progress: 100/205 entries', 'progress: 200/205 entries'],
    )
    assert.match(result.stdout, /done: 205 imported, 0 updated, 0 unchanged, 0 skipped/)
  })

  it('exits 2 with one readable line for a missing directory or none given', async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'gw-import-'))
    const db = await sharedDatabase(t, cwd)
    const missing = await runCli(['import-agents', path.join(cwd, 'nope')], { cwd, env: db.env })
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /^conductor-gateway: cannot read agents directory .*nope: ENOENT\n$/)
    const none = await runCli(['import-agents'], { cwd, env: db.env })
    assert.equal(none.code, 2)
    assert.match(none.stderr, /import-agents needs a directory/)
  })
})
