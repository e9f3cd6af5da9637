// Assembles the run engine from its parts; `deps.ts` calls this once.
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Clock } from '../platform/clock.js'
import { transactorOf, type Database } from '../platform/db/database.js'
import { batchedTransactor } from '../platform/db/write-batcher.js'
import type { ClusterChannel } from '../platform/events/cluster-channel.js'
import type { WorkspacePolicy } from '../platform/workspace.js'
import type { Executor } from './executor.js'
import { CliExecutor } from './executors/cli.executor.js'
import { ConductorCallbackRouter } from './executors/conductor-callbacks.js'
import { ConductorExecutor } from './executors/conductor.executor.js'
import { EchoExecutor } from './executors/echo.executor.js'
import { LlmExecutor } from './executors/llm.executor.js'
import { ProviderModels } from './executors/llm-models.js'
import { ConfigMcpServerResolver, type McpServerResolver } from './executors/mcp-servers.js'
import { PromptAssembler, type PromptSources } from './prompt-assembler.js'
import type { ExecutorKind } from '../platform/providers.js'
import { RunEventHub } from './run-event-hub.js'
import { RunEventLog } from './run-event-log.js'
import { RunReaper } from './run-reaper.js'
import { RunRecorder } from './run-recorder.js'
import { RunService, type AgentDirectory, type ScreenplayDirectories } from './run-service.js'
import { RunStreams } from './run-stream.js'
import { RunWorkerPool } from './run-worker-pool.js'
import { KyselyRunsRepo } from './runs.repo.js'

export interface Engine {
  runs: RunService
  streams: RunStreams
  hub: RunEventHub
  recorder: RunRecorder
  pool: RunWorkerPool
  reaper: RunReaper
  /** Where the inbound watcher endpoints (`/api/internal/task-event`, `/ws/agent-stream`) dispatch Conductor callbacks. */
  conductorCallbacks: ConductorCallbackRouter
  /** Starts claiming queued runs, renewing leases and reaping. */
  start(): void
  /** Stops claiming; running runs get `graceMs` to finish, then end as failed. */
  stop(graceMs: number): Promise<void>
}

export interface EngineDeps {
  config: Config
  database: Database
  clock: Clock
  logger: Logger
  cluster: ClusterChannel
  workspace: WorkspacePolicy
  agents: AgentDirectory
  /** Working directories runs inherit from their screenplay when they name none. */
  screenplays?: ScreenplayDirectories
  promptSources: PromptSources
  /** Resolves the MCP server names agents list; by default the `mcp.servers` config map. */
  mcpServers?: McpServerResolver
  /** Replaces the executors built from config, by kind. */
  executors?: Partial<Record<ExecutorKind, Executor>>
}

export function createEngine(deps: EngineDeps): Engine {
  const { config, database, clock, logger, cluster } = deps
  const repo = new KyselyRunsRepo(database.db, database.dialect)
  const log = new RunEventLog(database.db, repo)
  const hub = new RunEventHub(cluster)
  hub.listenToCluster(log, (err) => logger.warn({ err }, 'reading another instance’s run events failed'))
  const recorder = new RunRecorder({
    repo,
    log,
    hub,
    // SQLite commits are the cost of a run; concurrent runs share them (group commit).
    transact: database.dialect === 'sqlite' ? batchedTransactor(database.db) : transactorOf(database),
    clock,
    onHookError: (err, runId) => logger.error({ err, runId }, 'a run end hook failed; the run was ended without it'),
  })
  const mcpServers = deps.mcpServers ?? new ConfigMcpServerResolver(config.mcp.servers)
  const conductorCallbacks = new ConductorCallbackRouter(cluster)
  const executors: Record<ExecutorKind, Executor> = {
    echo: new EchoExecutor(config.runs.echoDelayMs),
    llm: new LlmExecutor({
      models: new ProviderModels(config.providers),
      mcpServers,
      maxSteps: config.llm.maxSteps,
      maxRetries: config.llm.maxRetries,
    }),
    cli: new CliExecutor(config.cli, mcpServers),
    conductor: new ConductorExecutor({ apiUrl: config.conductor.apiUrl, callbacks: conductorCallbacks }),
    ...deps.executors,
  }
  const preparer = new PromptAssembler(deps.promptSources, (runId, prompt) => repo.savePrompt(runId, prompt))
  const pool = new RunWorkerPool({
    repo,
    recorder,
    executors,
    preparer,
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
  const runs = new RunService({
    database,
    repo,
    recorder,
    hub,
    pool,
    cluster,
    agents: deps.agents,
    ...(deps.screenplays && { screenplays: deps.screenplays }),
    workspace: deps.workspace,
    clock,
    defaults: {
      provider: config.runs.defaultProvider,
      timeoutMs: config.runs.defaultTimeoutMs,
      maxTimeoutMs: config.runs.maxTimeoutMs,
      conversationPolicy: config.runs.conversationPolicy,
    },
  })
  return {
    runs,
    streams: new RunStreams({ log, hub, repo }),
    hub,
    recorder,
    pool,
    reaper,
    conductorCallbacks,
    start() {
      pool.start()
      reaper.start()
    },
    async stop(graceMs) {
      await reaper.stop()
      await pool.stop(graceMs)
    },
  }
}
