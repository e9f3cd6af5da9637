// Runs as the engine stores them, for tests and benches that drive the runs repository or the
// recorder directly (without RunService, which builds runs from a request).
import type { Run } from '../../src/engine/run.js'

/** Who a run made `running` is leased to, and for how long. */
export interface Lease {
  workerId: string
  leaseMs: number
}

/** A `queued` echo run created at `now`; `fields` override any column (`status: 'running'` leases it). */
export function newRun(id: string, now: number, lease: Lease, fields: Partial<Run> = {}): Run {
  const running = fields.status === 'running'
  return {
    id,
    status: 'queued',
    source: 'api',
    agentId: null,
    personaVersion: null,
    instanceId: null,
    conversationId: null,
    screenplayId: null,
    executor: 'echo',
    provider: 'echo',
    model: null,
    input: 'hello',
    cwd: null,
    prompt: null,
    output: '',
    error: null,
    exitCode: null,
    severity: null,
    usage: null,
    options: {},
    idempotencyKey: null,
    timeoutMs: 30_000,
    workerId: running ? lease.workerId : null,
    leaseExpiresAt: running ? now + lease.leaseMs : null,
    cancelRequested: false,
    isDeleted: false,
    lastSeq: 0,
    createdAt: now,
    startedAt: running ? now : null,
    endedAt: null,
    updatedAt: now,
    ...fields,
  }
}
