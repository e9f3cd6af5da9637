import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { testConfig } from '../../../test/helpers/build-test-app.js'
import { RunStop } from '../run-stop.js'
import { execute, executionRequest, streamedText } from '../../../test/helpers/executor-harness.js'
import { fakeCliDir, isProcessRunning, waitUntil, type FakeCli } from '../../../test/helpers/fake-cli.js'
import type { ExecutionRequest } from '../executor.js'
import { CliExecutor } from './cli.executor.js'
import { ConfigMcpServerResolver } from './mcp-servers.js'

function workDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gw-cwd-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function executorFor(cli: Partial<Record<'claude' | 'gemini' | 'cursor-agent', FakeCli | string>>, env: Record<string, string> = {}) {
  const command = (fake: FakeCli | string | undefined) => (typeof fake === 'string' ? fake : fake?.command)
  const config = testConfig({
    CLI_KILL_GRACE_MS: '300',
    ...(cli.claude && { CLAUDE_COMMAND: command(cli.claude)! }),
    ...(cli.gemini && { GEMINI_COMMAND: command(cli.gemini)! }),
    ...(cli['cursor-agent'] && { CURSOR_AGENT_COMMAND: command(cli['cursor-agent'])! }),
    ...env,
  })
  return new CliExecutor(config.cli, new ConfigMcpServerResolver(config.mcp.servers))
}

function cliRequest(cwd: string, overrides: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return executionRequest({ provider: 'claude', cwd, input: 'list files', prompt: '<prompt>list files</prompt>', ...overrides })
}

describe('CliExecutor: claude', () => {
  it('runs claude in the cwd with the prompt on stdin and maps its stream-json', async (t) => {
    const claude = fakeCliDir(t).claude()
    const cwd = workDir(t)
    const run = await execute(executorFor({ claude }), cliRequest(cwd))

    assert.deepEqual(run.result, {
      output: 'I will list the files.\nThere is a.txt.',
      exitCode: 0,
      usage: { tokensIn: 105, tokensOut: 20, costUsd: 0.0123 },
    })
    const invocation = claude.invocation()!
    assert.deepEqual(invocation.argv, ['--print', '--verbose', '--output-format', 'stream-json'])
    assert.equal(invocation.cwd, cwd)
    assert.equal(invocation.stdin, '<prompt>list files</prompt>')

    const raw = run.of('provider.event')
    assert.ok(raw.every((e) => e.provider === 'claude'))
    assert.deepEqual(
      raw.map((e) => (e.event as { type: string }).type),
      ['system', 'assistant', 'assistant', 'user', 'stream_event', 'result'],
    )
    assert.equal(streamedText(run), 'I will list the files.\nThere is a.txt.')
    assert.deepEqual(run.of('tool.started'), [{ type: 'tool.started', toolCallId: 'toolu_1', name: 'Bash', input: { command: 'ls' } }])
    assert.deepEqual(run.of('tool.finished'), [{ type: 'tool.finished', toolCallId: 'toolu_1', name: 'Bash', output: 'a.txt', isError: false }])
    assert.deepEqual(run.of('usage'), [{ type: 'usage', usage: { tokensIn: 105, tokensOut: 20, costUsd: 0.0123 } }])
  })

  it('passes the model and, when configured, --dangerously-skip-permissions', async (t) => {
    const claude = fakeCliDir(t).claude()
    await execute(executorFor({ claude }, { CLI_SKIP_PERMISSIONS: 'true' }), cliRequest(workDir(t), { model: 'opus' }))
    assert.deepEqual(claude.invocation()!.argv, [
      '--print',
      '--verbose',
      '--output-format',
      'stream-json',
      '--dangerously-skip-permissions',
      '--model',
      'opus',
    ])
  })

  it('writes the agent’s MCP servers to a temp --mcp-config file and removes it afterwards', async (t) => {
    const claude = fakeCliDir(t).claude()
    const executor = executorFor({ claude }, { MCP_SERVERS: 'crm=http://127.0.0.1:9001/sse,docs=http://127.0.0.1:9002/mcp' })
    await execute(executor, cliRequest(workDir(t), { mcpServers: ['crm', 'docs'] }))
    const argv = claude.invocation()!.argv
    const file = argv[argv.indexOf('--mcp-config') + 1]!
    assert.ok(argv.includes('--mcp-config'))
    assert.equal(existsSync(file), false, 'the temp file is removed after the run')
  })

  it('hands claude the MCP config it can read while running', async (t) => {
    const dir = fakeCliDir(t)
    const copyTo = path.join(dir.dir, 'mcp-copy.json')
    const claude = dir.claude()
    const reader = `${claude.command}-reader`
    writeFileSync(
      reader,
      `#!/usr/bin/env node
const fs = require('node:fs'); fs.readFileSync(0)
const argv = process.argv.slice(2)
fs.copyFileSync(argv[argv.indexOf('--mcp-config') + 1], ${JSON.stringify(copyTo)})
`,
    )
    chmodSync(reader, 0o755)
    const executor = executorFor({ claude: reader }, { MCP_SERVERS: 'crm=http://127.0.0.1:9001/sse,docs=http://127.0.0.1:9002/mcp' })
    const run = await execute(executor, cliRequest(workDir(t), { mcpServers: ['crm', 'docs'] }))
    assert.equal(run.result.exitCode, 0)
    assert.deepEqual(JSON.parse(readFileSync(copyTo, 'utf8')), {
      mcpServers: { crm: { type: 'sse', url: 'http://127.0.0.1:9001/sse' }, docs: { type: 'http', url: 'http://127.0.0.1:9002/mcp' } },
    })
  })

  it('fails naming an MCP server that is not configured, without starting claude', async (t) => {
    const claude = fakeCliDir(t).claude()
    const run = await execute(executorFor({ claude }), cliRequest(workDir(t), { mcpServers: ['crm'] }))
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /MCP server 'crm' is not configured/)
    assert.equal(claude.invocation(), undefined)
  })

  it('keeps the CLI’s own exit code and stderr when it fails', async (t) => {
    const failing = fakeCliDir(t).failing(3)
    const run = await execute(executorFor({ claude: failing }), cliRequest(workDir(t)))
    assert.equal(run.result.exitCode, 3)
    assert.equal(run.result.error, 'claude exited with code 3: fatal: the fake CLI broke')
  })

  it('answers 127 when the command does not exist', async (t) => {
    const run = await execute(executorFor({ claude: '/nonexistent/bin/claude' }), cliRequest(workDir(t)))
    assert.equal(run.result.exitCode, 127)
    assert.equal(run.result.error, 'command not found: /nonexistent/bin/claude (set cli.claude_command / CLAUDE_COMMAND)')
  })

  it('answers 1 when the working directory does not exist', async (t) => {
    const claude = fakeCliDir(t).claude()
    const run = await execute(executorFor({ claude }), cliRequest('/nonexistent/work/dir'))
    assert.deepEqual(run.result, { output: '', exitCode: 1, error: 'working directory /nonexistent/work/dir does not exist' })
    assert.equal(claude.invocation(), undefined)
  })
})

describe('CliExecutor: stopping', () => {
  for (const reason of ['cancel', 'timeout'] as const) {
    it(`kills the whole process group on ${reason} and keeps the partial output`, async (t) => {
      const slow = fakeCliDir(t).slow()
      const stop = new RunStop()
      const run = await execute(executorFor({ claude: slow }), cliRequest(workDir(t)), {
        stop,
        onEvent: (event) => event.type === 'text.delta' && stop.stop(reason),
      })
      assert.equal(run.result.output, 'started, now waiting')
      assert.equal(run.result.exitCode, reason === 'timeout' ? 124 : 1)
      const pids = slow.pids()!
      assert.equal(isProcessRunning(pids.self), false, 'the CLI is gone once execute resolves')
      await waitUntil(() => !isProcessRunning(pids.child!), 5_000, 'the CLI’s own child is gone')
    })
  }

  it('sends SIGKILL after the grace period when the CLI ignores SIGTERM', async (t) => {
    const stubborn = fakeCliDir(t).slow({ ignoreSigterm: true })
    const stop = new RunStop()
    const run = await execute(executorFor({ claude: stubborn }), cliRequest(workDir(t)), {
      stop,
      onEvent: (event) => event.type === 'text.delta' && stop.stop('cancel'),
    })
    assert.equal(run.result.output, 'started, now waiting')
    assert.equal(isProcessRunning(stubborn.pids()!.self), false)
  })
})

describe('CliExecutor: gemini and cursor-agent', () => {
  it('runs gemini with the prompt as -p and streams stdout and stderr as text', async (t) => {
    const gemini = fakeCliDir(t).plain()
    const run = await execute(executorFor({ gemini }), cliRequest(workDir(t), { provider: 'gemini', prompt: 'P' }))
    assert.deepEqual(gemini.invocation()!.argv, ['-p', 'P'])
    assert.equal(run.result.exitCode, 0)
    assert.match(run.result.output, /^answer to: P/)
    assert.match(run.result.output, /\(note on stderr\)/)
    assert.equal(streamedText(run), run.result.output)
    assert.equal(run.of('provider.event').length, 0)
  })

  it('runs cursor-agent with the prompt on stdin, --force only when permissions are skipped', async (t) => {
    const dir = fakeCliDir(t)
    const cursor = dir.plain()
    const run = await execute(executorFor({ 'cursor-agent': cursor }), cliRequest(workDir(t), { provider: 'cursor-agent', prompt: 'Q' }))
    assert.deepEqual(cursor.invocation()!.argv, ['--print'])
    assert.equal(cursor.invocation()!.stdin, 'Q')
    assert.match(run.result.output, /^answer to: Q/)
    const forced = dir.plain()
    await execute(executorFor({ 'cursor-agent': forced }, { CLI_SKIP_PERMISSIONS: 'true' }), cliRequest(workDir(t), { provider: 'cursor-agent' }))
    assert.deepEqual(forced.invocation()!.argv, ['--print', '--force'])
  })
})
