// Runs the real CLI (`src/main.ts` through tsx) as a child process, for tests that need a whole
// gateway: start-up, signals, crashes, several instances.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const MAIN = path.join(ROOT, 'src/main.ts')
const TSX = import.meta.resolve('tsx')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs one CLI command to completion. */
export async function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliResult> {
  const child = spawnCli(args, options)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

export function spawnCli(args: string[], options: { cwd: string; env?: Record<string, string> }): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: options.cwd,
    // Process tests load a gateway from one address: the per-client limits would refuse that load.
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'info',
      RATE_LIMIT_EXPENSIVE_PER_MINUTE: '1000000',
      STREAMS_PER_CLIENT: '100000',
      ...options.env,
    },
  })
}

export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface RunningGateway {
  url: string
  child: ChildProcessWithoutNullStreams
  /** Everything the process has logged so far (JSON lines). */
  logs(): string
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  /** Resolves with the exit code once the process ends by itself (after a signal already sent). */
  exited(): Promise<number | null>
}

/** Starts `serve` and resolves once the gateway answers /ready. */
export async function startGateway(options: {
  cwd: string
  env?: Record<string, string>
  args?: string[]
  readyTimeoutMs?: number
}): Promise<RunningGateway> {
  const port = await freePort()
  const child = spawnCli(['serve', '--port', String(port), ...(options.args ?? [])], options)
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000)
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}: ${output}`)
    try {
      if ((await fetch(`${url}/ready`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`gateway did not become ready: ${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    child,
    logs: () => output,
    async stop(signal = 'SIGTERM') {
      if (hasExited(child)) return child.exitCode
      child.kill(signal)
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    },
    async exited() {
      if (hasExited(child)) return child.exitCode
      const [code] = (await once(child, 'exit')) as [number | null]
      return code
    },
  }
}

/** A process ended by a signal keeps exitCode null; its signalCode says it is gone. */
function hasExited(child: ChildProcessWithoutNullStreams): boolean {
  return child.exitCode !== null || child.signalCode !== null
}
