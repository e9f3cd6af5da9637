// Child processes under measurement: the gateway (compiled, as `npm start` runs it) and the
// bare Fastify baseline. RSS is read from /proc so the load generator's memory never counts.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface Server {
  url: string
  pid: number
  /** The working directory (a gateway keeps its SQLite file under it, in data/). */
  dir: string
  rssMiB(): number
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

/** The gateway from dist/ with the same flags `npm start` uses, on a fresh SQLite file. */
export async function startGateway(env: Record<string, string> = {}): Promise<Server> {
  const port = await freePort()
  const cwd = mkdtempSync(path.join(tmpdir(), 'gw-bench-'))
  // BENCH_GATEWAY_FLAGS adds Node flags for a look inside (e.g. --cpu-prof); figures are taken without it.
  const flags = [...startFlags(), ...(process.env.BENCH_GATEWAY_FLAGS?.split(' ').filter(Boolean) ?? [])]
  const child = spawn(process.execPath, [...flags, path.join(ROOT, 'dist/main.js'), 'serve', '--port', String(port)], {
    cwd,
    // One load generator is one client: lift the per-client limits so they do not cap the figures.
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', RATE_LIMIT_EXPENSIVE_PER_MINUTE: '100000000', STREAMS_PER_CLIENT: '100000', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  return waitReady(child, `http://127.0.0.1:${port}`, '/ready', cwd)
}

/**
 * A bare Fastify hello-world: the yardstick every figure is divided by; `workUs` of CPU per answer
 * if given; `shape` 'health': the gateway's /health body and hook count, each hook doing nothing,
 * beside `otherRoutes` routes.
 */
export async function startHello(workUs = 0, shape: 'hello' | 'health' = 'hello', otherRoutes = 0): Promise<Server> {
  const port = await freePort()
  const script = path.join(ROOT, 'bench/lib/hello-server.mjs')
  const child = spawn(process.execPath, [...startFlags(), script, String(port), String(workUs), shape, String(otherRoutes)], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  return waitReady(child, `http://127.0.0.1:${port}`, '/', ROOT)
}

/** Node flags of the package's start script, so the bench measures what users run. */
function startFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
  return pkg.scripts.start.split(/\s+/).filter((arg) => arg.startsWith('--'))
}

async function waitReady(child: ChildProcess, url: string, probe: string, dir: string): Promise<Server> {
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    try {
      if ((await fetch(`${url}${probe}`)).ok) break
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error('server did not start')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    pid: child.pid!,
    dir,
    rssMiB: () => rssOf(child.pid!),
    async stop() {
      if (child.exitCode !== null) return
      child.kill('SIGTERM')
      await once(child, 'exit')
    },
  }
}
