// Starts runs the way the API names them: an agent by id (or name), a screenplay whose working
// directory the run inherits when it names none (original-gateway.md §2.1.1 meant it to). The
// routes of the run API, the legacy execute routes and the MCP tools start runs through here.
import type { Run } from '../../engine/run.js'
import type { CreateRunOptions, RunSpec, Runs } from '../../engine/runs.js'
import { NotFoundError } from '../../platform/http/errors.js'
import type { AgentsService } from '../agents/agents.service.js'
import type { ScreenplaysService } from '../screenplays/screenplays.service.js'

export type AgentRunRequest = Omit<RunSpec, 'agent'> & { agentId?: string | null }

export class AgentRuns {
  constructor(
    private readonly deps: {
      runs: Runs
      agents: Pick<AgentsService, 'forRun'>
      screenplays: Pick<ScreenplaysService, 'workingDirectoryOf'>
    },
  ) {}

  /** 404 for an unknown agent; otherwise the engine's checks (provider, working directory…). */
  async start(request: AgentRunRequest, options?: CreateRunOptions): Promise<Run> {
    const { agentId, ...spec } = request
    const agent = agentId ? await this.deps.agents.forRun(agentId) : null
    if (agentId && !agent) throw new NotFoundError(`Agent '${agentId}' not found`)
    const cwd = spec.cwd || (spec.screenplayId ? await this.deps.screenplays.workingDirectoryOf(spec.screenplayId) : null)
    // spec is this call's own copy (the rest above): extended in place, as a spread adding keys is slow on Node 20.
    return this.deps.runs.create(Object.assign(spec, { agent, cwd }), options)
  }
}
