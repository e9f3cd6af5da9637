// Councilor rules: promote, demote, pause/resume, reconfigure, run now, and what a run's end
// changes (statistics, auto-pause). The database row is the one source of truth for a schedule:
// every change takes effect on the scheduler's next pass, on whichever gateway instance makes it.
import type { Run } from '../../engine/run.js'
import { durationOf } from '../../engine/run.js'
import type { RunAgent, RunSpec, Runs } from '../../engine/runs.js'
import type { Clock } from '../../platform/clock.js'
import { isUniqueViolation } from '../../platform/db/errors.js'
import type { Transactor, UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { Frame } from '../../platform/events/frame.js'
import { BadRequestError, NotFoundError } from '../../platform/http/errors.js'
import type { WorkspacePolicy } from '../../platform/workspace.js'
import { type CouncilorConfigInput, parseConfig, settingsOf } from './councilor-input.js'
import { type Councilor, type CouncilorConfigDoc, displayNameOf, NO_COUNTERS, NO_STATS } from './councilor.model.js'
import type { CouncilorsRepo } from './councilor.repo.js'
import { configWireOf } from './councilor-wire.js'
import { firstFire } from './tick-plan.js'

/** What promoting an agent to an instance councilor creates besides the councilor (screenplay, conversation, instance). */
export interface CouncilorHome {
  create(input: { agentId: string; councilorId: string; displayName: string; config: CouncilorConfigInput; cwd: string | null }): Promise<{
    screenplayId: string
    conversationId: string
    /** Stores the councilor's agent instance inside the councilor's unit of work. */
    storeInstance(uow: UnitOfWork, customization: Record<string, unknown> | null): Promise<void>
    /** Undoes `create` when the councilor could not be stored. */
    discard(): Promise<void>
  }>
  /** Hides the councilor's agent instance. */
  remove(instanceId: string): Promise<void>
}

export interface CouncilorAgents {
  exists(agentId: string): Promise<boolean>
  forRun(agentId: string): Promise<RunAgent | undefined>
  /** The catalog's `is_councilor` flag, set with the promotion and cleared with the demotion. */
  flagCouncilor(agentId: string, isCouncilor: boolean, uow: UnitOfWork): Promise<void>
}

export interface PromoteInput {
  agentId: string
  config: CouncilorConfigInput
  customization: Record<string, unknown> | null
  cwd: string | null
}

/** A bare config patch from the client (title, task, schedule, notifications, policy are merged). */
export type ConfigPatch = Record<string, unknown>

export class CouncilorService {
  constructor(
    private readonly deps: {
      repo: CouncilorsRepo
      runs: Pick<Runs, 'create' | 'list'>
      agents: CouncilorAgents
      home: CouncilorHome
      announce: (frame: Frame) => void
      clock: Clock
      random: () => number
      transact: Transactor
      /** Working directories are checked against the allowed roots before they are stored. */
      workspace: Pick<WorkspacePolicy, 'normalize'>
    },
  ) {}

  /** Promotes an agent to an instance councilor; promoting again answers the councilor it already has. */
  async promoteInstance(given: PromoteInput): Promise<{ councilor: Councilor; created: boolean }> {
    const input = { ...given, cwd: given.cwd === null ? null : this.deps.workspace.normalize(given.cwd, 'cwd') }
    await this.assertAgent(input.agentId)
    const existing = await this.deps.repo.findByAgent(input.agentId)
    if (existing) return { councilor: existing, created: false }
    const now = this.deps.clock.now()
    const id = `councilor_${input.agentId}_${now}`
    const displayName = (input.customization?.display_name as string | undefined) || input.agentId
    const home = await this.deps.home.create({ agentId: input.agentId, councilorId: id, displayName, config: input.config, cwd: input.cwd })
    const councilor = this.newCouncilor(id, input, now, { instanceId: id, screenplayId: home.screenplayId, conversationId: home.conversationId })
    try {
      await this.deps.transact(async (uow) => {
        await this.deps.repo.insert(councilor, uow)
        await home.storeInstance(uow, input.customization)
        await this.deps.agents.flagCouncilor(input.agentId, true, uow)
      })
    } catch (err) {
      await home.discard()
      if (!isUniqueViolation(err)) throw err
      const winner = await this.deps.repo.findByAgent(input.agentId)
      if (!winner) throw err
      return { councilor: winner, created: false }
    }
    return { councilor, created: true }
  }

  /** Promotes an agent to an agent-level (legacy) councilor; again answers the existing one. */
  async promoteAgent(input: Omit<PromoteInput, 'cwd'>): Promise<{ councilor: Councilor; created: boolean }> {
    await this.assertAgent(input.agentId)
    const existing = await this.deps.repo.findByAgent(input.agentId)
    if (existing) return { councilor: existing, created: false }
    const now = this.deps.clock.now()
    const councilor = this.newCouncilor(`councilor_${input.agentId}_${now}`, { ...input, cwd: null }, now, {
      instanceId: null,
      screenplayId: null,
      conversationId: null,
    })
    try {
      await this.deps.transact(async (uow) => {
        await this.deps.repo.insert(councilor, uow)
        await this.deps.agents.flagCouncilor(input.agentId, true, uow)
      })
    } catch (err) {
      const winner = isUniqueViolation(err) ? await this.deps.repo.findByAgent(input.agentId) : undefined
      if (!winner) throw err
      return { councilor: winner, created: false }
    }
    return { councilor, created: true }
  }

  list(): Promise<Councilor[]> {
    return this.deps.repo.list()
  }

  async byInstance(instanceId: string): Promise<Councilor> {
    return (await this.deps.repo.findByInstance(instanceId)) ?? notFound(`Councilor instance '${instanceId}' not found`)
  }

  async byAgent(agentId: string): Promise<Councilor> {
    return (await this.deps.repo.findByAgent(agentId)) ?? notFound(`Councilor '${agentId}' not found`)
  }

  /** Agent-level councilor routes: 404 for an unknown agent, 400 when it is not a councilor. */
  async legacyByAgent(agentId: string): Promise<Councilor> {
    const councilor = await this.deps.repo.findByAgent(agentId)
    if (councilor) return councilor
    await this.assertAgent(agentId, `Agent with agent_id '${agentId}' not found`)
    throw new BadRequestError(`Agent '${agentId}' is not a councilor`)
  }

  async demote(councilor: Councilor): Promise<void> {
    const now = this.deps.clock.now()
    const removed = await this.deps.transact(async (uow) => {
      if (!(await this.deps.repo.softDelete(councilor.id, now, uow))) return false
      await this.deps.agents.flagCouncilor(councilor.agentId, false, uow)
      return true
    })
    if (!removed) notFound(`Councilor '${councilor.id}' not found`)
    if (councilor.instanceId) await this.deps.home.remove(councilor.instanceId)
  }

  /** Pause or resume; a resumed schedule counts from now (ticks while paused are not "missed"). */
  async setEnabled(councilor: Councilor, enabled: boolean): Promise<Councilor> {
    const now = this.deps.clock.now()
    const next = enabled ? firstFire({ ...councilor, anchorAt: now }, now, this.deps.random) : { nextTickAt: null, nextFireAt: null }
    await this.deps.repo.update(
      councilor.id,
      {
        enabled,
        pausedReason: enabled ? null : 'manual',
        anchorAt: now,
        ...next,
        ...(!enabled && { bufferedAt: null }),
      },
      now,
    )
    if (enabled) await this.resetFailures(councilor.id)
    return this.fresh(councilor.id)
  }

  /** Merges a partial configuration into the current one, validates the whole, reschedules at once. */
  async reconfigure(councilor: Councilor, patch: ConfigPatch, extras: { displayName?: string | null; cwd?: string | null } = {}): Promise<Councilor> {
    const current = configWireOf(councilor)
    const merged = {
      ...current,
      ...(patch.title !== undefined && { title: patch.title }),
      task: mergeObject(current.task, patch.task),
      schedule: mergeObject(current.schedule, patch.schedule),
      notifications: mergeObject(current.notifications, patch.notifications),
      policy: mergeObject(current.policy, patch.policy),
    }
    const settings = settingsOf(parseConfig(merged, 'body'))
    const cwd = extras.cwd ? this.deps.workspace.normalize(extras.cwd, 'cwd') : null
    const now = this.deps.clock.now()
    const scheduleChanged =
      JSON.stringify([settings.schedule, settings.enabled, settings.policy.jitterMs]) !==
      JSON.stringify([councilor.schedule, councilor.enabled, councilor.policy.jitterMs])
    const customization = extras.displayName ? { ...(councilor.customization ?? {}), display_name: extras.displayName } : undefined
    await this.deps.repo.update(
      councilor.id,
      {
        config: settings.doc,
        policy: settings.policy,
        ...(customization && { customization }),
        ...(cwd && { cwd }),
        ...(scheduleChanged && this.rescheduled(settings.schedule, settings.enabled, settings.policy, now)),
      },
      now,
    )
    return this.fresh(councilor.id)
  }

  /** Starts a run now, outside the schedule (no overlap or spend policy); answers it at once. */
  async executeNow(councilor: Councilor): Promise<Run> {
    const now = this.deps.clock.now()
    const spec = await this.runSpecOf(councilor, now, 'manual')
    return this.deps.transact(async (uow) => {
      const run = await this.deps.runs.create(spec, { within: uow })
      await this.deps.repo.update(councilor.id, { lastFireAt: now, lastRunId: run.id, add: { activeRuns: 1 } }, now, uow)
      await this.deps.repo.recordFires(councilor.id, [{ runId: run.id, firedAt: now }], uow)
      return run
    })
  }

  /**
   * The run of one tick (the scheduler's claim, or execute-now), resolved before the unit of work that
   * creates it opens (SQLite has one connection: nothing may be read beside an open transaction).
   */
  async runSpecOf(councilor: Councilor, tickAt: number, trigger: 'schedule' | 'manual'): Promise<RunSpec> {
    const agent = await this.deps.agents.forRun(councilor.agentId)
    if (!agent) throw new NotFoundError(`Agent '${councilor.agentId}' not found`)
    const { task } = councilor.config
    return {
      source: 'councilor',
      agent,
      input: task.prompt,
      instanceId: councilor.instanceId,
      screenplayId: councilor.screenplayId,
      cwd: councilor.cwd,
      contextMode: 'stateless',
      councilor: { councilorId: councilor.id, taskName: task.name || 'Unknown Task', displayName: displayNameOf(councilor) },
      metadata: { councilor_id: councilor.id, trigger, tick_at: new Date(tickAt).toISOString() },
    }
  }

  /** The councilor's recent runs, newest first. */
  async recentRuns(councilor: Councilor, limit: number): Promise<Run[]> {
    const { runs } = await this.deps.runs.list({ agentId: councilor.agentId, source: 'councilor', limit: limit * 2 + 10, offset: 0 })
    return runs.filter((run) => run.options.councilor?.councilorId === councilor.id).slice(0, limit)
  }

  /**
   * A councilor run ended: count it, in the transaction that ends it; pause the schedule after
   * `failureLimit` failures in a row and say so (councilor_error).
   */
  async countEnd(run: Run, uow: UnitOfWork): Promise<void> {
    const tag = run.options.councilor
    if (run.source !== 'councilor' || !tag) return
    const outcome = run.status === 'completed' ? 'success' : run.status === 'cancelled' ? 'cancelled' : 'error'
    const after = await this.deps.repo.recordEnd(
      tag.councilorId,
      run.id,
      { outcome, durationMs: durationOf(run), endedAt: run.endedAt ?? this.deps.clock.now(), severity: run.severity, started: true },
      uow,
    )
    if (!after || outcome !== 'error') return
    await this.pauseIfFailing(after, uow)
  }

  /** A tick whose run could not even be created counts as a failed run. */
  async countStartFailure(councilorId: string, error: string): Promise<void> {
    await this.deps.transact(async (uow) => {
      const now = this.deps.clock.now()
      const after = await this.deps.repo.recordEnd(
        councilorId,
        null,
        { outcome: 'error', durationMs: 0, endedAt: now, severity: 'error', started: false },
        uow,
      )
      if (!after) return
      uow.afterCommit(() =>
        this.deps.announce({
          type: 'councilor_error',
          data: { councilor_id: after.id, agent_id: after.agentId, task_name: after.config.task.name, status: 'error', severity: 'error', error },
        }),
      )
      await this.pauseIfFailing(after, uow)
    })
  }

  private async pauseIfFailing(councilor: Councilor, uow: UnitOfWork): Promise<void> {
    const { consecutiveFailures } = councilor.stats
    if (!councilor.enabled || consecutiveFailures < councilor.policy.failureLimit) return
    const now = this.deps.clock.now()
    await this.deps.repo.update(
      councilor.id,
      { enabled: false, pausedReason: 'failures', nextTickAt: null, nextFireAt: null, bufferedAt: null },
      now,
      uow,
    )
    uow.afterCommit(() =>
      this.deps.announce({
        type: 'councilor_error',
        data: {
          councilor_id: councilor.id,
          agent_id: councilor.agentId,
          instance_id: councilor.instanceId,
          task_name: councilor.config.task.name,
          display_name: displayNameOf(councilor),
          status: 'paused',
          severity: 'error',
          auto_paused: true,
          consecutive_failures: consecutiveFailures,
          error: `Paused after ${consecutiveFailures} consecutive failed runs; resume it to schedule again`,
        },
      }),
    )
  }

  private async resetFailures(id: string): Promise<void> {
    await this.deps.repo.update(id, { resetFailures: true }, this.deps.clock.now())
  }

  private rescheduled(schedule: Councilor['schedule'], enabled: boolean, policy: Councilor['policy'], now: number) {
    const next = enabled ? firstFire({ schedule, anchorAt: now, policy }, now, this.deps.random) : { nextTickAt: null, nextFireAt: null }
    return { schedule, enabled, pausedReason: enabled ? null : 'manual', anchorAt: now, ...next }
  }

  private newCouncilor(
    id: string,
    input: PromoteInput,
    now: number,
    home: Pick<Councilor, 'instanceId' | 'screenplayId' | 'conversationId'>,
  ): Councilor {
    const settings = settingsOf(input.config)
    return {
      id,
      agentId: input.agentId,
      ...home,
      cwd: input.cwd,
      config: settings.doc as CouncilorConfigDoc,
      customization: input.customization,
      policy: settings.policy,
      ...this.rescheduled(settings.schedule, settings.enabled, settings.policy, now),
      lastFireAt: null,
      bufferedAt: null,
      activeRuns: 0,
      lastRunId: null,
      stats: { ...NO_STATS },
      counters: { ...NO_COUNTERS },
      version: 0,
      createdAt: now,
      updatedAt: now,
    }
  }

  private async fresh(id: string): Promise<Councilor> {
    return (await this.deps.repo.find(id)) ?? notFound(`Councilor '${id}' not found`)
  }

  private async assertAgent(agentId: string, message = `Agent template '${agentId}' not found`): Promise<void> {
    if (!(await this.deps.agents.exists(agentId))) throw new NotFoundError(message)
  }
}

function mergeObject(current: object, patch: unknown): unknown {
  return patch && typeof patch === 'object' && !Array.isArray(patch) ? { ...current, ...patch } : patch === undefined ? current : patch
}

function notFound(message: string): never {
  throw new NotFoundError(message)
}
