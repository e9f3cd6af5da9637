// Composition root: builds the database, repos, services and the run engine from Config.
// Adapters are chosen here, once; nothing else constructs a service.
import pino, { type Logger } from 'pino'
import type { Config } from './config.js'
import { createEngine, type Engine } from './engine/engine.js'
import { systemClock, type Clock } from './platform/clock.js'
import { openDatabase, transactorOf, type Database, type OpenDatabaseOptions } from './platform/db/database.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { NotFoundError } from './platform/http/errors.js'
import { WorkspacePolicy } from './platform/workspace.js'
import { KyselyAgentsRepo } from './modules/agents/agents.repo.js'
import { AgentsService } from './modules/agents/agents.service.js'
import type { InstanceHistorySource } from './modules/instances/instance-history.js'
import { KyselyInstancesRepo } from './modules/instances/instances.repo.js'
import { InstancesService } from './modules/instances/instances.service.js'
import { LocalClusterChannel, type ClusterChannel } from './platform/events/cluster-channel.js'
import { PgNotifyChannel } from './platform/events/pg-notify-channel.js'
import { contextOf } from './engine/run-recorder.js'
import { GamificationHub } from './realtime/gamification-hub.js'
import { broadcastRuns } from './realtime/run-broadcasts.js'
import { WatcherIngest } from './realtime/watcher-ingest.js'
import type { ConversationInstances } from './modules/conversations/conversation-clone.js'
import { KyselyConversationsRepo } from './modules/conversations/conversations.repo.js'
import { ConversationsService } from './modules/conversations/conversations.service.js'
import { KyselyMessagesRepo } from './modules/conversations/messages.repo.js'
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
  /** Where instance history comes from (tests pass their own until the runs module exists). */
  instanceHistory?: InstanceHistorySource
}

/**
 * Placeholder agreed with the lead: instance history will come from the runs module, which
 * replaces this source when it lands. Until then instances have no history to show or hide.
 */
const noInstanceHistoryYet: InstanceHistorySource = {
  historyOf: async () => [],
  hideHistoryOf: async () => 0,
}

export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const database = openDatabase(config.database.url, options.database)
  const logger = options.logger ?? pino({ level: 'silent' })
  let cluster: ClusterChannel = new LocalClusterChannel()
  try {
    if (options.migrate ?? true) await migrateToLatest(database)
    if (database.dialect === 'postgres') {
      const channel = new PgNotifyChannel(config.database.url, { schema: options.database?.schema, logger })
      await channel.start()
      cluster = channel
    }
  } catch (err) {
    await database.close()
    throw err
  }
  const clock = options.clock ?? systemClock
  const transact = transactorOf(database)
  const workspace = new WorkspacePolicy(config.workspace.allowedRoots)

  const screenplays = new ScreenplaysService({ repo: new KyselyScreenplaysRepo(database.db), clock, workspace, transact })
  const navigation = new NavigationService({ repo: new KyselyNavigationRepo(database.db), clock, transact })
  const conversations = new ConversationsService({
    repo: new KyselyConversationsRepo(database.db),
    messages: new KyselyMessagesRepo(database.db),
    instances: noInstancesToCloneYet,
    clock,
    transact,
  })
  screenplays.onDelete((screenplayId, _now, tx) => navigation.forgetScreenplay(screenplayId, tx))
  screenplays.onDelete(async (screenplayId, now, tx) => {
    await conversations.hideForScreenplay(screenplayId, now, tx)
  })

  const engine = createEngine({
    config,
    database,
    clock,
    logger,
    cluster,
    workspace,
    // The agents module (issue 3) answers these once it lands; until then runs name no agent.
    agents: { find: async () => undefined },
    promptSources: {
      personaContent: async () => null,
      screenplayContent: async (id) => (await screenplays.get(id).catch(() => undefined))?.content ?? null,
      conversation: async () => null,
    },
  })
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

  // Agents and personas need each other (an agent's persona is written as a version; a persona
  // needs its agent to exist), so the catalog reaches the persona store through a late-bound port.
  const personasRepo = new KyselyPersonasRepo(database.db)
  let personas: PersonasService | undefined
  const personaStore = () => personas!
  const agents = new AgentsService({
    repo: new KyselyAgentsRepo(database.db),
    clock,
    transact,
    personas: {
      record: (agentId, content, change, tx) => personaStore().record(agentId, content, change, tx),
      current: (agentId) => personaStore().current(agentId),
      currentContents: () => personaStore().currentContents(),
      fingerprint: () => personaStore().fingerprint(),
    },
  })
  personas = new PersonasService({ repo: personasRepo, agents, clock, transact })
  const personaVersions = new PersonaVersionsService({ repo: personasRepo, personas, agents, clock, transact })

  const instances = new InstancesService({
    repo: new KyselyInstancesRepo(database.db),
    agents,
    personas,
    screenplays: {
      async workingDirectoryOf(screenplayId) {
        try {
          return (await screenplays.get(screenplayId)).workingDirectory
        } catch (err) {
          if (err instanceof NotFoundError) return null
          throw err
        }
      },
    },
    history: options.instanceHistory ?? noInstanceHistoryYet,
    workspace,
    clock,
    transact,
  })
  screenplays.onDelete((screenplayId, now, tx) => instances.hideForScreenplay(screenplayId, now, tx).then(() => {}))

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

/**
 * Placeholder agreed with the lead until the instances module exists: clones copy no agent
 * instances (participants get fresh instance ids). Replace with InstancesService.cloneForConversation.
 */
const noInstancesToCloneYet: ConversationInstances = {
  cloneForConversation: async () => ({}),
}
