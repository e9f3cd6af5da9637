// Assembles the run engine from its parts; the composition root calls this once and sees only
// the engine's face (`runs`) and its lifecycle.
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Clock } from '../platform/clock.js'
import type { Database } from '../platform/db/database.js'
import { transactorOf } from '../platform/db/unit-of-work.js'
import { batchedTransactor } from '../platform/db/write-batcher.js'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import type { Frame } from '../platform/events/frame.js'
import type { ExecutorKind } from '../platform/providers.js'
import type { WorkspacePolicy } from '../platform/workspace.js'
import type { Executor, RunPreparer } from './executor.js'
import { CliExecutor } from './executors/cli.executor.js'
import { ConductorCallbackRouter } from './executors/conductor-callbacks.js'
import { ConductorExecutor } from './executors/conductor.executor.js'
import { EchoExecutor } from './executors/echo.executor.js'
import { LlmExecutor } from './executors/llm.executor.js'
import { ProviderModels } from './executors/llm-models.js'
import { ConfigMcpServerResolver, type McpServerResolver } from './executors/mcp-servers.js'
import { RunEventHub } from './run-event-hub.js'
import { RunEventLog } from './run-event-log.js'
import { RunReaper } from './run-reaper.js'
import { RunRecorder } from './run-recorder.js'
import { RunService } from './run-service.js'
import { RunStreams } from './run-stream.js'
import { RunWorkerPool } from './run-worker-pool.js'
import { KyselyRunsRepo } from './runs.repo.js'
import type { Runs } from './runs.js'

export interface Engine {
  runs: Runs
  /** Starts claiming queued runs, renewing leases and reaping. */
  start(): void
  /**
   * Stops claiming at once; requests waiting for runs not running here answer now (the runs
   * stay queued for another instance or the next start); running runs get `graceMs` to finish,
   * then end as failed. Calling it again returns the same stop.
   */
  stop(graceMs: number): Promise<void>
}

/** Where the Conductor watcher's callbacks arrive (the inbound watcher endpoints). */
export interface WatcherFrames {
  follow(consumer: (frame: Frame) => void): void
}

export interface EngineDeps {
  config: Config
  database: Database
  clock: Clock
  logger: Logger
  cluster: ClusterChannel
  workspace: WorkspacePolicy
  /** Builds each run's prompt (persona, screenplay, conversation). */
  preparer: RunPreparer
  /** Callbacks of a Python Conductor, for the `conductor` executor. */
  watcherFrames: WatcherFrames
  /** Resolves the MCP server names agents list; by default the `mcp.servers` config map. */
  mcpServers?: McpServerResolver
  /** Replaces the executors built from config, by kind. */
  executors?: Partial<Record<ExecutorKind, Executor>>
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, database, clock, logger, cluster } = deps
  const repo = new KyselyRunsRepo(database.db, database.dialect)
  const log = new RunEventLog(database.db)
  const hub = new RunEventHub(cluster)
  hub.listenToCluster(log, (err) => logger.warn({ err }, 'reading another instance’s run events failed'))
  // SQLite commits are the cost of a run; concurrent runs share them (group commit).
  const transact = database.dialect === 'sqlite' ? batchedTransactor(database.db) : transactorOf(database.db)
  const recorder = new RunRecorder({
    repo,
    log,
    hub,
    transact,
    clock,
    onHookError: (err, runId) => logger.error({ err, runId }, 'a run end hook failed; the run was ended without it'),
  })
  const pool = new RunWorkerPool({
    repo,
    recorder,
    executors: executorsOf(deps),
    preparer: deps.preparer,
    clock,
    cluster,
    logger,
    config: {
      concurrency: config.runs.concurrency,
      leaseMs: config.runs.leaseMs,
      coalesceMs: config.runs.coalesceMs,
      pollIntervalMs: config.runs.pollIntervalMs,
    },
  })
  const reaper = new RunReaper({
    repo,
    log,
    recorder,
    clock,
    logger,
    config: { intervalMs: config.runs.reaperIntervalMs, eventRetentionMs: config.runs.eventRetentionMs },
  })
  const streams = new RunStreams({ log, hub, repo, recorder })
  const runs = new RunService({
    repo,
    recorder,
    pool,
    streams,
    transact,
    workspace: deps.workspace,
    clock,
    defaults: {
      provider: config.runs.defaultProvider,
      timeoutMs: config.runs.defaultTimeoutMs,
      maxTimeoutMs: config.runs.maxTimeoutMs,
      conversationPolicy: config.runs.conversationPolicy,
    },
  })
  let stopping: Promise<void> | null = null
  return {
    runs,
    start() {
      pool.start()
      reaper.start()
    },
    stop(graceMs) {
      stopping ??= (async () => {
        const poolStopped = pool.stop(graceMs)
        streams.release((runId) => pool.isRunningHere(runId))
        await reaper.stop()
        await poolStopped
        streams.release()
        await streams.settled()
      })()
      return stopping
    },
  }
}

function executorsOf(deps: EngineDeps): Record<ExecutorKind, Executor> {
  const { config } = deps
  const mcpServers = deps.mcpServers ?? new ConfigMcpServerResolver(config.mcp.servers)
  const callbacks = new ConductorCallbackRouter(deps.cluster)
  deps.watcherFrames.follow((frame) => void callbacks.dispatch(frame))
  return {
    echo: new EchoExecutor(config.runs.echoDelayMs),
    llm: new LlmExecutor({
      models: new ProviderModels(config.providers),
      mcpServers,
      maxSteps: config.llm.maxSteps,
      maxRetries: config.llm.maxRetries,
    }),
    cli: new CliExecutor(config.cli, mcpServers),
    conductor: new ConductorExecutor({ apiUrl: config.conductor.apiUrl, callbacks }),
    ...deps.executors,
  }
}
