// Composition root: builds the database, repos, services and the run engine from Config.
// Adapters are chosen here, once; nothing else constructs a service.
import pino, { type Logger } from 'pino'
import type { Config } from './config.js'
import { createEngine, type Engine } from './engine/engine.js'
import { systemClock, type Clock } from './platform/clock.js'
import { openDatabase, transactorOf, type Database, type OpenDatabaseOptions } from './platform/db/database.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { LocalClusterChannel, type ClusterChannel } from './platform/events/cluster-channel.js'
import { PgNotifyChannel } from './platform/events/pg-notify-channel.js'
import { WorkspacePolicy } from './platform/workspace.js'
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
  conversations: ConversationsService
  engine: Engine
  gamification: GamificationHub
  watcher: WatcherIngest
  /** Stops the engine (running runs get `graceMs`), then closes connections. */
  close(graceMs?: number): Promise<void>
}

export interface CreateDepsOptions {
  clock?: Clock
  logger?: Logger
  database?: OpenDatabaseOptions
  /** Apply pending migrations before building services (default true). */
  migrate?: boolean
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
  engine.start()

  return {
    config,
    database,
    clock,
    logger,
    workspace,
    screenplays,
    navigation,
    conversations,
    engine,
    gamification,
    watcher,
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
