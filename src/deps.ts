// Composition root: builds the database, the modules' services and the run engine from Config,
// then wires what one module does when another changes (cascades, run end hooks). Adapters are
// chosen here, once.
import pino, { type Logger } from 'pino'
import type { Config } from './config.js'
import { createEngine, type Engine } from './engine/engine.js'
import type { Runs } from './engine/runs.js'
import { isCouncilorRun } from './engine/run.js'
import { systemClock, type Clock } from './platform/clock.js'
import { openDatabase, type Database, type OpenDatabaseOptions } from './platform/db/database.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { transactorOf } from './platform/db/unit-of-work.js'
import { LocalClusterChannel, type ClusterChannel } from './platform/events/cluster-channel.js'
import { PgNotifyChannel } from './platform/events/pg-notify-channel.js'
import { Metrics } from './platform/metrics.js'
import { WorkspacePolicy } from './platform/workspace.js'
import { type OutboundPolicy, outboundPolicyOf } from './platform/outbound.js'
import { GamificationHub } from './realtime/gamification-hub.js'
import { WatcherIngest } from './realtime/watcher-ingest.js'
import { KyselyAgentsRepo } from './modules/agents/agents.repo.js'
import { AgentsService } from './modules/agents/agents.service.js'
import { KyselyConversationsRepo } from './modules/conversations/conversations.repo.js'
import { ConversationsService } from './modules/conversations/conversations.service.js'
import { KyselyMessagesRepo } from './modules/conversations/messages.repo.js'
import { ChatSend } from './modules/execution/chat-send.js'
import { PromptAssembler } from './modules/execution/prompt-assembler.js'
import type { InstanceHistorySource } from './modules/instances/instance-history.js'
import { KyselyInstancesRepo } from './modules/instances/instances.repo.js'
import { InstancesService } from './modules/instances/instances.service.js'
import { runHistoryOf } from './modules/instances/run-history.js'
import { KyselyNavigationRepo } from './modules/navigation/navigation.repo.js'
import { NavigationService } from './modules/navigation/navigation.service.js'
import { PersonaRecords } from './modules/personas/persona-records.js'
import { PersonaVersionsService } from './modules/personas/persona-versions.service.js'
import { KyselyPersonasRepo } from './modules/personas/personas.repo.js'
import { PersonasService } from './modules/personas/personas.service.js'
import type { DataTransfer, RegistryCheck } from './modules/mcp-server/ports.js'
import { AgentRuns } from './modules/runs/agent-runs.js'
import { KyselyScreenplaysRepo } from './modules/screenplays/screenplays.repo.js'
import { TableChanges } from './platform/db/table-changes.js'
import { AnswerCache } from './platform/http/answer-cache.js'
import { ScreenplaysService } from './modules/screenplays/screenplays.service.js'
import { createCouncilors, type Councilors } from './modules/councilor/councilors.js'
import { recordRunMetrics } from './modules/metrics/run-metrics.js'
import { createDataTransfer } from './modules/backup/data-transfer.js'
import { feedRunsToClients } from './modules/tasks/task-feed.js'
import { createMcpModule, type McpModule } from './modules/mcp-registry/mcp-module.js'
import { type Auth, createAuth } from './modules/auth/auth.js'

export interface Deps {
  config: Config
  database: Database
  clock: Clock
  logger: Logger
  screenplays: ScreenplaysService
  /** The kept answers of screenplay reads; none on PostgreSQL or with `database.read_cache` off. */
  screenplayAnswers?: AnswerCache
  navigation: NavigationService
  agents: AgentsService
  personas: PersonasService
  personaVersions: PersonaVersionsService
  instances: InstancesService
  conversations: ConversationsService
  runs: Runs
  agentRuns: AgentRuns
  chat: ChatSend
  gamification: GamificationHub
  watcher: WatcherIngest
  councilors: Councilors
  /** The MCP registry, binder, mesh and what runs resolve MCP servers with. */
  mcpRegistry: McpModule
  /** Messages to the other gateway instances (PostgreSQL LISTEN/NOTIFY; nothing on the embedded profile). */
  cluster: ClusterChannel
  /** Backup, restore and storage migration, when this build has them (MCP tools answer "not configured" otherwise). */
  dataTransfer?: DataTransfer
  /** The MCP server registry's health summary, when this build has it. */
  registryCheck?: RegistryCheck
  metrics: Metrics
  auth: Auth
  /** Where URLs that callers register may point (MCP registry, Conductor). */
  outbound: OutboundPolicy
  /** Starts background work: the run workers and the reaper. Commands that only touch data skip it. */
  start(): void
  /**
   * Stops taking runs at once; requests waiting for runs answer with the run as it is, running
   * runs get `graceMs` to finish (then end as failed). `close` waits for the same stop.
   */
  drain(graceMs?: number): Promise<void>
  /** Stops the engine (running runs get `graceMs`), then closes connections. */
  close(graceMs?: number): Promise<void>
}

export interface CreateDepsOptions {
  clock?: Clock
  logger?: Logger
  database?: OpenDatabaseOptions
  /** Apply pending migrations before building services (default true). */
  migrate?: boolean
  /** Replaces where instance history comes from (default: the instance's runs). */
  instanceHistory?: InstanceHistorySource
  /** Jitter's randomness (default Math.random). */
  random?: () => number
}

export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const logger = options.logger ?? pino({ level: 'silent' })
  const database = openDatabase(config.database.url, { logger, ...options.database })
  const cluster = await openCluster(config, database, options, logger)
  const clock = options.clock ?? systemClock
  const transact = transactorOf(database.db)
  const workspace = new WorkspacePolicy(config.workspace.allowedRoots)
  const db = database.db

  const screenplayChanges = new TableChanges()
  const screenplays = new ScreenplaysService({ repo: new KyselyScreenplaysRepo(db, screenplayChanges), clock, workspace, transact })
  const { outsideCommits } = database
  const screenplayAnswers = config.database.readCache && outsideCommits ? new AnswerCache({ changes: screenplayChanges, outsideCommits }) : undefined
  const navigation = new NavigationService({ repo: new KyselyNavigationRepo(db), clock, transact })
  const personasRepo = new KyselyPersonasRepo(db)
  const personaRecords = new PersonaRecords({ repo: personasRepo, clock, transact })
  const agents = new AgentsService({ repo: new KyselyAgentsRepo(db), personas: personaRecords, clock, transact })
  const personas = new PersonasService({ repo: personasRepo, records: personaRecords, agents, clock })
  const personaVersions = new PersonaVersionsService({ repo: personasRepo, records: personaRecords, agents, clock, transact })
  const conversations = new ConversationsService({ repo: new KyselyConversationsRepo(db), messages: new KyselyMessagesRepo(db), clock, transact })

  const outbound = outboundPolicyOf(config)
  const instancesRepo = new KyselyInstancesRepo(db)
  const mcpRegistry = createMcpModule({ config, db, clock, logger, agents, outbound, instances: { find: (id) => instancesRepo.findById(id) } })
  const gamification = new GamificationHub(cluster, config.streams)
  const watcher = new WatcherIngest(gamification)
  const engine: Engine = createEngine({
    config,
    database,
    clock,
    logger,
    cluster,
    workspace,
    preparer: new PromptAssembler({ personaVersions, screenplays, conversations }),
    watcherFrames: watcher,
    mcpServers: mcpRegistry.runServers,
  })
  const { runs } = engine
  const instances = new InstancesService({
    repo: instancesRepo,
    agents,
    personas: personaRecords,
    screenplays,
    history: options.instanceHistory ?? runHistoryOf(runs),
    workspace,
    clock,
    transact,
  })
  const auth = createAuth(config, db, clock)
  const agentRuns = new AgentRuns({ runs, agents, screenplays })
  const chat = new ChatSend({ runs, agents, instances, screenplays, conversations, transact })

  // Soft-delete cascades, each inside the deleting transaction.
  screenplays.onDelete((id, _now, uow) => navigation.forgetScreenplay(id, uow))
  // A screenplay takes its instances and their conversations along (read before either is hidden).
  screenplays.onDelete(async (id, now, uow) => {
    await conversations.hideForScreenplay(id, now, uow, await instances.conversationsOfScreenplay(id, uow))
  })
  screenplays.onDelete(async (id, now, uow) => void (await instances.hideForScreenplay(id, now, uow)))
  conversations.onDelete((id, now, uow) => instances.hideForConversation(id, now, uow))
  conversations.onClone((from, to, now, uow) => instances.cloneForConversation(from, to, now, uow))
  conversations.onMessageDeleted(async (_conversationId, messageId, taskId, _now, uow) =>
    taskId ? Number(await runs.hide(taskId, messageId, uow)) : 0,
  )
  // What a run's end changes elsewhere commits with the end itself, on whichever instance ends it.
  runs.onEnded(
    (run, uow) => chat.completeReply(run, uow),
    (run) => run.conversationId !== null,
  )
  runs.onEnded(
    (run, uow) => instances.countRun(run, uow),
    (run) => run.instanceId !== null,
  )
  const metrics = new Metrics()
  const councilors = createCouncilors({
    config,
    db,
    dialect: database.dialect,
    runs,
    agents,
    screenplays,
    conversations,
    instances,
    gamification,
    clock,
    transact,
    workspace,
    logger,
    random: options.random,
    observer: metrics,
  })
  runs.onEnded((run, uow) => councilors.service.countEnd(run, uow), isCouncilorRun)
  feedRunsToClients(runs, gamification, (err) => logger.warn({ err }, 'broadcasting a run event failed'))
  recordRunMetrics(runs, metrics, logger)

  return {
    config,
    database,
    clock,
    logger,
    screenplays,
    screenplayAnswers,
    navigation,
    agents,
    personas,
    personaVersions,
    instances,
    conversations,
    runs,
    agentRuns,
    chat,
    gamification,
    watcher,
    councilors,
    mcpRegistry,
    cluster,
    dataTransfer: createDataTransfer({ databaseUrl: config.database.url }),
    registryCheck: {
      async summary() {
        const { total, healthy, unhealthy } = await mcpRegistry.registry.health()
        return { total, healthy, ...(unhealthy.length > 0 ? { detail: `unhealthy: ${unhealthy.join(', ')}` } : {}) }
      },
    },
    metrics,
    start() {
      engine.start()
      if (config.councilors.schedulerEnabled) councilors.scheduler.start()
    },
    async drain(graceMs = config.server.shutdownTimeoutMs) {
      await councilors.scheduler.stop()
      await engine.stop(graceMs)
    },
    auth,
    outbound,
    async close(graceMs = config.server.shutdownTimeoutMs) {
      mcpRegistry.close()
      await councilors.scheduler.stop()
      await engine.stop(graceMs)
      await cluster.close()
      await database.close()
    },
  }
}

/** Migrates, then opens the channel to other gateway instances (PostgreSQL only). */
async function openCluster(config: Config, database: Database, options: CreateDepsOptions, logger: Logger): Promise<ClusterChannel> {
  try {
    if (options.migrate ?? true) await migrateToLatest(database)
    if (database.dialect !== 'postgres') return new LocalClusterChannel()
    const channel = new PgNotifyChannel(config.database.url, { schema: options.database?.schema, logger })
    await channel.start()
    return channel
  } catch (err) {
    await database.close()
    throw err
  }
}
