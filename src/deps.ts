// Composition root: builds the database, repos and services from Config. Adapters are chosen
// here, once; nothing else constructs a service.
import type { Config } from './config.js'
import { systemClock, type Clock } from './platform/clock.js'
import { openDatabase, transactorOf, type Database, type OpenDatabaseOptions } from './platform/db/database.js'
import { migrateToLatest } from './platform/db/migrate.js'
import { WorkspacePolicy } from './platform/workspace.js'
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
  workspace: WorkspacePolicy
  screenplays: ScreenplaysService
  navigation: NavigationService
  conversations: ConversationsService
  /** Stops background work and closes the database. */
  close(): Promise<void>
}

export interface CreateDepsOptions {
  clock?: Clock
  database?: OpenDatabaseOptions
  /** Apply pending migrations before building services (default true). */
  migrate?: boolean
}

export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const database = openDatabase(config.database.url, options.database)
  try {
    if (options.migrate ?? true) await migrateToLatest(database)
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

  return {
    config,
    database,
    clock,
    workspace,
    screenplays,
    navigation,
    conversations,
    close: () => database.close(),
  }
}

/**
 * Placeholder agreed with the lead until the instances module exists: clones copy no agent
 * instances (participants get fresh instance ids). Replace with InstancesService.cloneForConversation.
 */
const noInstancesToCloneYet: ConversationInstances = {
  cloneForConversation: async () => ({}),
}
