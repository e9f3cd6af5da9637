// Composition root: builds the database, repos, services and the run engine from Config, and
// wires the modules' ports and cascades. Adapters are chosen here, once.
import pino, { type Logger } from 'pino'
import type { Config } from './config.js'
import { createEngine, type Engine } from './engine/engine.js'
import { contextOf } from './engine/run-recorder.js'
import { systemClock, type Clock } from './platform/clock.js'
import { openDatabase, transactorOf, type Database, type OpenDatabaseOptions } from './platform/db/database.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { LocalClusterChannel, type ClusterChannel } from './platform/events/cluster-channel.js'
import { PgNotifyChannel } from './platform/events/pg-notify-channel.js'
import { WorkspacePolicy } from './platform/workspace.js'
import { GamificationHub } from './realtime/gamification-hub.js'
import { broadcastRuns } from './realtime/run-broadcasts.js'
import { WatcherIngest } from './realtime/watcher-ingest.js'
import { applyRunEndEffects } from './wiring/run-effects.js'
import { ChatExecution } from './modules/execution/chat-execution.js'
import { agentDirectory, promptSources, runsAsInstanceHistory, screenplayWorkingDirectories } from './wiring/module-ports.js'
import { KyselyAgentsRepo } from './modules/agents/agents.repo.js'
import { AgentsService } from './modules/agents/agents.service.js'
import { KyselyConversationsRepo } from './modules/conversations/conversations.repo.js'
import { ConversationsService } from './modules/conversations/conversations.service.js'
import { KyselyMessagesRepo } from './modules/conversations/messages.repo.js'
import type { InstanceHistorySource } from './modules/instances/instance-history.js'
import { KyselyInstancesRepo } from './modules/instances/instances.repo.js'
import { InstancesService } from './modules/instances/instances.service.js'
import { KyselyNavigationRepo } from './modules/navigation/navigation.repo.js'
import { NavigationService } from './modules/navigation/navigation.service.js'
import { PersonaVersionsService } from './modules/personas/persona-versions.service.js'
import { KyselyPersonasRepo } from './modules/personas/personas.repo.js'
import { PersonasService } from './modules/personas/personas.service.js'
import { KyselyScreenplaysRepo } from './modules/screenplays/screenplays.repo.js'
import { ScreenplaysService } from './modules/screenplays/screenplays.service.js'

export interface Deps {
  config: Config
  database: Database
  clock: Clock
  logger: Logger
  workspace: WorkspacePolicy
  screenplays: ScreenplaysService
  navigation: NavigationService
  agents: AgentsService
  personas: PersonasService
  personaVersions: PersonaVersionsService
  instances: InstancesService
  conversations: ConversationsService
  engine: Engine
  chat: ChatExecution
  gamification: GamificationHub
  watcher: WatcherIngest
  /** Starts background work: the run workers and the reaper. Commands that only touch data skip it. */
  start(): void
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
}

export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const database = openDatabase(config.database.url, options.database)
  const logger = options.logger ?? pino({ level: 'silent' })
  const cluster = await openCluster(config, database, options, logger)
  const clock = options.clock ?? systemClock
  const transact = transactorOf(database)
  const workspace = new WorkspacePolicy(config.workspace.allowedRoots)
  const db = database.db

  const screenplays = new ScreenplaysService({ repo: new KyselyScreenplaysRepo(db), clock, workspace, transact })
  const navigation = new NavigationService({ repo: new KyselyNavigationRepo(db), clock, transact })
  const { agents, personas, personaVersions } = createAgentCatalog(database, clock)
  // Conversations clone instances through a port; the instances service is created below.
  let instances!: InstancesService
  const conversations = new ConversationsService({
    repo: new KyselyConversationsRepo(db),
    messages: new KyselyMessagesRepo(db),
    instances: { cloneForConversation: (from, to, now, tx) => instances.cloneForConversation(from, to, now, tx) },
    clock,
    transact,
  })

  const engine = createEngine({
    config,
    database,
    clock,
    logger,
    cluster,
    workspace,
    agents: agentDirectory(agents, personas),
    screenplays: screenplayWorkingDirectories(screenplays),
    promptSources: promptSources({ personaVersions, screenplays, conversations }),
  })
  instances = new InstancesService({
    repo: new KyselyInstancesRepo(db),
    agents,
    personas,
    screenplays: screenplayWorkingDirectories(screenplays),
    history: options.instanceHistory ?? runsAsInstanceHistory(engine.runs),
    workspace,
    clock,
    transact,
  })

  // Soft-delete cascades, each inside the deleting transaction.
  screenplays.onDelete((id, _now, tx) => navigation.forgetScreenplay(id, tx))
  // A screenplay takes its instances and their conversations along (read before either is hidden).
  screenplays.onDelete(
    async (id, now, tx) => void (await conversations.hideForScreenplay(id, now, tx, await instances.conversationsOfScreenplay(id, tx))),
  )
  screenplays.onDelete(async (id, now, tx) => void (await instances.hideForScreenplay(id, now, tx)))
  conversations.onDelete((id, now, tx) => instances.hideForConversation(id, now, tx))
  applyRunEndEffects(engine.recorder, { conversations, instances })
  const chat = new ChatExecution({ runs: engine.runs, agents, instances, conversations })
  conversations.onMessageDeleted(async (_conversationId, messageId, taskId, _now, tx) =>
    taskId ? Number(await engine.runs.markDeleted(taskId, messageId, tx)) : 0,
  )

  const gamification = new GamificationHub(cluster, config.streams)
  const watcher = new WatcherIngest(gamification)
  watcher.follow((frame) => void engine.conductorCallbacks.dispatch(frame))
  broadcastRuns(
    engine.hub,
    gamification,
    async (runId) => {
      const run = await engine.runs.find(runId)
      return run && { context: contextOf(run), startedAt: run.startedAt ?? run.createdAt }
    },
    (err) => logger.warn({ err }, 'broadcasting a run event failed'),
  )

  return {
    config,
    database,
    clock,
    logger,
    workspace,
    screenplays,
    navigation,
    agents,
    personas,
    personaVersions,
    instances,
    conversations,
    engine,
    chat,
    gamification,
    watcher,
    start: () => engine.start(),
    async close(graceMs = config.server.shutdownTimeoutMs) {
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

/**
 * Agents and personas need each other (an agent's persona is written as a version; a persona
 * needs its agent to exist), so the catalog reaches the persona store through a late-bound port.
 */
function createAgentCatalog(database: Database, clock: Clock) {
  const transact = transactorOf(database)
  const personasRepo = new KyselyPersonasRepo(database.db)
  let personas!: PersonasService
  const agents = new AgentsService({
    repo: new KyselyAgentsRepo(database.db),
    clock,
    transact,
    personas: {
      record: (agentId, content, change, tx) => personas.record(agentId, content, change, tx),
      current: (agentId) => personas.current(agentId),
      currentContents: () => personas.currentContents(),
      fingerprint: () => personas.fingerprint(),
    },
  })
  personas = new PersonasService({ repo: personasRepo, agents, clock, transact })
  const personaVersions = new PersonaVersionsService({ repo: personasRepo, personas, agents, clock, transact })
  return { agents, personas, personaVersions }
}
