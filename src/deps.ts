// Composition root: builds the database, repos and services from Config. Adapters are chosen
// here, once; nothing else constructs a service.
import type { Config } from './config.js'
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
  workspace: WorkspacePolicy
  screenplays: ScreenplaysService
  navigation: NavigationService
  agents: AgentsService
  personas: PersonasService
  personaVersions: PersonaVersionsService
  instances: InstancesService
  /** Stops background work and closes the database. */
  close(): Promise<void>
}

export interface CreateDepsOptions {
  clock?: Clock
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
  screenplays.onDelete((screenplayId, _now, tx) => navigation.forgetScreenplay(screenplayId, tx))

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
    workspace,
    screenplays,
    navigation,
    agents,
    personas,
    personaVersions,
    instances,
    close: () => database.close(),
  }
}
