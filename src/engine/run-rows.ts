// Runs as rows of the `runs` table and back.
import { fromBool, fromJson, numberOrNull, toJson } from '../platform/db/json.js'
import type { RunsTable } from '../platform/db/tables.js'
import type { ExecutorKind, Provider } from '../platform/providers.js'
import type { Run, RunOptions, RunSource } from './run.js'
import type { RunStatus, Severity, Usage } from './run-events.js'
import type { Selectable } from 'kysely'

export type RunRow = Selectable<RunsTable>
export type NewRunRow = ReturnType<typeof toRow>

/** The columns an insert writes: every column of `toRow`. */
export const RUN_COLUMNS = [
  'id',
  'status',
  'source',
  'agent_id',
  'persona_version',
  'instance_id',
  'conversation_id',
  'screenplay_id',
  'executor',
  'provider',
  'model',
  'input',
  'cwd',
  'prompt',
  'output',
  'error',
  'exit_code',
  'severity',
  'usage',
  'options',
  'idempotency_key',
  'timeout_ms',
  'worker_id',
  'lease_expires_at',
  'cancel_requested',
  'is_deleted',
  'deleted_message_id',
  'last_seq',
  'created_at',
  'started_at',
  'ended_at',
  'updated_at',
] as const satisfies ReadonlyArray<keyof NewRunRow>

// A column `toRow` writes but RUN_COLUMNS leaves out fails to compile here.
const EVERY_COLUMN_LISTED: [Exclude<keyof NewRunRow, (typeof RUN_COLUMNS)[number]>] extends [never] ? true : never = true
void EVERY_COLUMN_LISTED

export function toRow(run: Run) {
  return {
    id: run.id,
    status: run.status,
    source: run.source,
    agent_id: run.agentId,
    persona_version: run.personaVersion,
    instance_id: run.instanceId,
    conversation_id: run.conversationId,
    screenplay_id: run.screenplayId,
    executor: run.executor,
    provider: run.provider,
    model: run.model,
    input: run.input,
    cwd: run.cwd,
    prompt: run.prompt,
    output: run.output,
    error: run.error,
    exit_code: run.exitCode,
    severity: run.severity,
    usage: run.usage ? toJson(run.usage) : null,
    options: toJson(run.options),
    idempotency_key: run.idempotencyKey,
    timeout_ms: run.timeoutMs,
    worker_id: run.workerId,
    lease_expires_at: run.leaseExpiresAt,
    cancel_requested: run.cancelRequested,
    is_deleted: run.isDeleted,
    deleted_message_id: null,
    last_seq: run.lastSeq,
    created_at: run.createdAt,
    started_at: run.startedAt,
    ended_at: run.endedAt,
    updated_at: run.updatedAt,
  }
}

export function toRun(row: RunRow): Run {
  return {
    id: row.id,
    status: row.status as RunStatus,
    source: row.source as RunSource,
    agentId: row.agent_id,
    personaVersion: row.persona_version,
    instanceId: row.instance_id,
    conversationId: row.conversation_id,
    screenplayId: row.screenplay_id,
    executor: row.executor as ExecutorKind,
    provider: row.provider as Provider,
    model: row.model,
    input: row.input,
    cwd: row.cwd,
    prompt: row.prompt,
    output: row.output,
    error: row.error,
    exitCode: row.exit_code,
    severity: row.severity as Severity | null,
    usage: fromJson<Usage | null>(row.usage, null),
    options: fromJson<RunOptions>(row.options, {}),
    idempotencyKey: row.idempotency_key,
    timeoutMs: Number(row.timeout_ms),
    workerId: row.worker_id,
    leaseExpiresAt: numberOrNull(row.lease_expires_at),
    cancelRequested: fromBool(row.cancel_requested),
    isDeleted: fromBool(row.is_deleted),
    lastSeq: Number(row.last_seq),
    createdAt: Number(row.created_at),
    startedAt: numberOrNull(row.started_at),
    endedAt: numberOrNull(row.ended_at),
    updatedAt: Number(row.updated_at),
  }
}
