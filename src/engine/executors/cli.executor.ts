// Runs a provider CLI in the run's working directory the way the Conductor watcher does
// (conductor-backend.md §5.3): claude with stream-json on stdout, gemini and cursor-agent as
// plain text. Exit codes follow the watcher: the CLI's own, 124 timeout, 127 command not found,
// 1 for anything else.
import { randomBytes } from 'node:crypto'
import { stat, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ExecutorsConfig } from '../../config/executors.js'
import type { ExecutionRequest, ExecutionResult, Executor, ExecutorEvent, StopRequest } from '../executor.js'
import { runProcess, type ProcessOutcome } from './child-process.js'
import { ClaudeStreamParser } from './claude-stream.js'
import { McpServerError, serversOfRun, type McpServer, type McpServerResolver } from './mcp-servers.js'

type CliProvider = 'claude' | 'gemini' | 'cursor-agent'

const COMMAND_SETTING: Record<CliProvider, { key: 'claudeCommand' | 'geminiCommand' | 'cursorAgentCommand'; env: string }> = {
  claude: { key: 'claudeCommand', env: 'cli.claude_command / CLAUDE_COMMAND' },
  gemini: { key: 'geminiCommand', env: 'cli.gemini_command / GEMINI_COMMAND' },
  'cursor-agent': { key: 'cursorAgentCommand', env: 'cli.cursor_agent_command / CURSOR_AGENT_COMMAND' },
}

/** Keeps the end of stderr for error messages without holding a chatty CLI's whole log. */
const STDERR_KEPT = 4_000

export class CliExecutor implements Executor {
  readonly kind = 'cli' as const

  constructor(
    private readonly settings: ExecutorsConfig['cli'],
    private readonly mcpServers: McpServerResolver,
  ) {}

  async execute(request: ExecutionRequest, emit: (event: ExecutorEvent) => void, stop: StopRequest): Promise<ExecutionResult> {
    const { signal } = stop
    const provider = request.provider
    if (provider !== 'claude' && provider !== 'gemini' && provider !== 'cursor-agent') {
      return failed(1, `provider '${provider}' is not served by the cli executor`)
    }
    const cwdProblem = await checkCwd(request.cwd)
    if (cwdProblem) return failed(1, cwdProblem)

    let mcpConfig: string | null = null
    try {
      // The resolver may add servers the agent does not list (its instance's bindings).
      const servers = provider === 'claude' ? await serversOfRun(request, this.mcpServers) : []
      if (servers.length > 0) mcpConfig = await writeClaudeMcpConfig(servers)
      return await this.run(provider, request, mcpConfig, emit, signal)
    } catch (err) {
      if (err instanceof McpServerError) return failed(1, err.message)
      throw err
    } finally {
      if (mcpConfig) await unlink(mcpConfig).catch(() => {})
    }
  }

  private async run(
    provider: CliProvider,
    request: ExecutionRequest,
    mcpConfig: string | null,
    emit: (event: ExecutorEvent) => void,
    signal: AbortSignal,
  ): Promise<ExecutionResult> {
    const command = this.settings[COMMAND_SETTING[provider].key]
    const parser = provider === 'claude' ? new ClaudeStreamParser(emit) : null
    let plainOutput = ''
    const plain = (text: string) => {
      plainOutput += text
      emit({ type: 'text.delta', text })
    }
    let stderr = ''
    const outcome = await runProcess({
      command,
      args: this.argsFor(provider, request, mcpConfig),
      cwd: request.cwd!,
      // gemini takes the prompt as an argument (-p); the others read it from stdin.
      stdin: provider === 'gemini' ? '' : request.prompt,
      onStdout: (text) => (parser ? parser.write(text) : plain(text)),
      onStderr: (text) => {
        stderr = (stderr + text).slice(-STDERR_KEPT)
        if (!parser) plain(text)
      },
      signal,
      killGraceMs: this.settings.killGraceMs,
    })
    parser?.end()
    const output = parser ? parser.output : plainOutput
    const usage = parser?.usage
    return { output, ...resultOf(outcome, provider, command, stderr, signal), ...(usage && { usage }) }
  }

  private argsFor(provider: CliProvider, request: ExecutionRequest, mcpConfig: string | null): string[] {
    const unattended = this.settings.skipPermissions
    const model = request.model
    switch (provider) {
      case 'claude':
        return [
          '--print',
          '--verbose',
          '--output-format',
          'stream-json',
          ...(unattended ? ['--dangerously-skip-permissions'] : []),
          ...(model ? ['--model', model] : []),
          ...(mcpConfig ? ['--mcp-config', mcpConfig] : []),
        ]
      case 'gemini':
        return ['-p', request.prompt, ...(unattended ? ['--approval-mode', 'yolo'] : []), ...(model ? ['-m', model] : [])]
      case 'cursor-agent':
        return ['--print', ...(unattended ? ['--force'] : []), ...(model ? ['--model', model] : [])]
    }
  }
}

function resultOf(
  outcome: ProcessOutcome,
  provider: CliProvider,
  command: string,
  stderr: string,
  signal: AbortSignal,
): Omit<ExecutionResult, 'output'> {
  if (outcome.kind === 'not-started') {
    if (outcome.error.code === 'ENOENT') {
      return { exitCode: 127, error: `command not found: ${command} (set ${COMMAND_SETTING[provider].env})` }
    }
    return { exitCode: 1, error: `could not start ${command}: ${outcome.error.message}` }
  }
  if (outcome.stopped) {
    const timedOut = signal.reason === 'timeout'
    return { exitCode: timedOut ? 124 : 1, error: `${provider} was stopped (${timedOut ? 'timeout' : 'cancelled'})` }
  }
  if (outcome.code === 0) return { exitCode: 0 }
  const reason = stderr.trim().split('\n').slice(-5).join('\n')
  if (outcome.code === null) return { exitCode: 1, error: `${provider} was killed by ${outcome.signal ?? 'a signal'}${reason ? `: ${reason}` : ''}` }
  return { exitCode: outcome.code, error: `${provider} exited with code ${outcome.code}${reason ? `: ${reason}` : ''}` }
}

async function checkCwd(cwd: string | null): Promise<string | null> {
  if (!cwd) return 'a working directory (cwd) is required to run a CLI provider'
  const info = await stat(cwd).catch(() => null)
  if (!info) return `working directory ${cwd} does not exist`
  if (!info.isDirectory()) return `working directory ${cwd} is not a directory`
  return null
}

/** The file `claude --mcp-config` reads, in the shape the watcher writes (§2.5 /mcp/config). */
async function writeClaudeMcpConfig(servers: McpServer[]): Promise<string> {
  const file = path.join(tmpdir(), `gateway-mcp-${randomBytes(6).toString('hex')}.json`)
  const mcpServers = Object.fromEntries(servers.map((s) => [s.name, { type: s.transport, url: s.url, ...(s.headers && { headers: s.headers }) }]))
  await writeFile(file, JSON.stringify({ mcpServers }), { mode: 0o600 })
  return file
}

function failed(exitCode: number, error: string): ExecutionResult {
  return { output: '', exitCode, error }
}
