// The councilor module, assembled: its service and its scheduler (src/deps.ts wires them in).
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import type { Config } from '../../config.js'
import type { Runs } from '../../engine/runs.js'
import type { Clock } from '../../platform/clock.js'
import type { Tables } from '../../platform/db/tables.js'
import type { Transactor } from '../../platform/db/unit-of-work.js'
import type { WorkspacePolicy } from '../../platform/workspace.js'
import type { GamificationHub } from '../../realtime/gamification-hub.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { ConversationsService } from '../conversations/conversations.service.js'
import type { InstancesService } from '../instances/instances.service.js'
import type { ScreenplaysService } from '../screenplays/screenplays.service.js'
import { councilorHomeOf } from './councilor-home.js'
import { KyselyCouncilorsRepo } from './councilor.repo.js'
import { CouncilorScheduler, type TickObserver } from './councilor-scheduler.js'
import { CouncilorService } from './councilor.service.js'

export interface Councilors {
  service: CouncilorService
  scheduler: CouncilorScheduler
}

export function createCouncilors(deps: {
  config: Config
  db: Kysely<Tables>
  dialect: 'sqlite' | 'postgres'
  runs: Runs
  agents: AgentsService
  screenplays: ScreenplaysService
  conversations: ConversationsService
  instances: InstancesService
  gamification: GamificationHub
  clock: Clock
  transact: Transactor
  workspace: WorkspacePolicy
  logger: Logger
  random?: (() => number) | undefined
  observer?: TickObserver
}): Councilors {
  const repo = new KyselyCouncilorsRepo(deps.db, deps.dialect)
  const random = deps.random ?? Math.random
  const service = new CouncilorService({
    repo,
    runs: deps.runs,
    agents: {
      exists: async (agentId) => (await deps.agents.find(agentId)) !== undefined,
      forRun: (agentId) => deps.agents.forRun(agentId),
      flagCouncilor: (agentId, isCouncilor, uow) => deps.agents.flagCouncilor(agentId, isCouncilor, uow),
    },
    home: councilorHomeOf({ screenplays: deps.screenplays, conversations: deps.conversations, instances: deps.instances, agents: deps.agents }),
    announce: (frame) => deps.gamification.broadcast(frame),
    clock: deps.clock,
    random,
    transact: deps.transact,
    workspace: deps.workspace,
  })
  const { councilors: settings } = deps.config
  const scheduler = new CouncilorScheduler({
    repo,
    service,
    runs: deps.runs,
    clock: deps.clock,
    random,
    transact: deps.transact,
    logger: deps.logger,
    observer: deps.observer,
    settings: {
      pollIntervalMs: settings.pollIntervalMs,
      misfireGraceMs: settings.misfireGraceMs,
      maxRunsPerDay: settings.maxRunsPerDay === 0 ? null : settings.maxRunsPerDay,
      batchSize: 100,
    },
  })
  return { service, scheduler }
}
