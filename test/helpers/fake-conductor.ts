// A small fake of the Python Conductor API: records `POST /agents/{id}/execute` calls and answers
// each one the way the test says (a task document, an HTTP error, a dropped connection), when
// the test says.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'

export interface ConductorCall {
  path: string
  body: Record<string, unknown>
}

export type ConductorAnswer = { status?: number; body: unknown } | 'drop-connection'

export interface FakeConductor {
  url: string
  calls: ConductorCall[]
  /** How the next calls are answered, in order; by default a completed task echoing the input. */
  answer(...answers: Array<(call: ConductorCall) => Promise<ConductorAnswer> | ConductorAnswer>): void
  /** Resolves with each call as it arrives (before it is answered). */
  nextCall(): Promise<ConductorCall>
}

/** The task document the sync execute answers with (§2.3: `result`, `exit_code`, `duration`). */
export function taskDocument(call: ConductorCall, fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    _id: call.body.task_id,
    agent_id: call.path.split('/')[2],
    status: 'completed',
    result: `done: ${String(call.body.user_input)}`,
    exit_code: 0,
    duration: 1.5,
    severity: null,
    prompt: '<prompt>…</prompt>',
    ...fields,
  }
}

export async function startFakeConductor(t: Pick<TestContext, 'after'>, port = 0): Promise<FakeConductor> {
  const calls: ConductorCall[] = []
  const answers: Array<(call: ConductorCall) => Promise<ConductorAnswer> | ConductorAnswer> = []
  const waiters: Array<(call: ConductorCall) => void> = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const call = { path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown> }
      calls.push(call)
      waiters.shift()?.(call)
      const next = answers.shift() ?? ((c: ConductorCall): ConductorAnswer => ({ body: taskDocument(c) }))
      const answer = await next(call)
      if (answer === 'drop-connection') return void req.socket.destroy()
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(answer.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    answer: (...more) => answers.push(...more),
    nextCall: () => new Promise((resolve) => waiters.push(resolve)),
  }
}

/** A local port nothing listens on (connections to it are refused). */
export async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

/** A promise with its resolve exposed. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
