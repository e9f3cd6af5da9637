// Agent catalog storage: the only place with queries on `agents`.
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { Kysely } from 'kysely'
import { fromBool, fromJson, numberOrNull, toJson } from '../../platform/db/json.js'
import type { AgentsTable, Tables } from '../../platform/db/tables.js'
import type { AiProvider } from './ai-providers.js'

export interface Agent {
  agentId: string
  name: string
  emoji: string
  description: string
  prompt: string | null
  group: string
  tags: string[]
  mcpConfigs: string[]
  aiProvider: AiProvider | null
  model: string | null
  /** Definition fields the gateway keeps but does not model (version, author, capabilities, …). */
  extra: Record<string, unknown>
  isCouncilor: boolean
  councilorConfig: Record<string, unknown> | null
  customization: Record<string, unknown> | null
  isDeleted: boolean
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

/** Fields a change may set. */
export type AgentChanges = Partial<Omit<Agent, 'agentId' | 'createdAt'>>

export interface AgentsRepo {
  /** Inserts the agent, or revives a soft-deleted one with the same id; undefined when a live one exists. */
  insertOrRevive(agent: Agent, uow?: UnitOfWork): Promise<Agent | undefined>
  findById(agentId: string, options?: { includeDeleted?: boolean }, uow?: UnitOfWork): Promise<Agent | undefined>
  /** A live agent whose name is `name` (imported agents may be named unlike their id). */
  findLiveByName(name: string): Promise<Agent | undefined>
  listLive(): Promise<Agent[]>
  /** agent id → name for those of `agentIds` that exist (deleted agents included). */
  namesOf(agentIds: readonly string[]): Promise<Map<string, string>>
  update(agentId: string, changes: AgentChanges, uow?: UnitOfWork): Promise<Agent | undefined>
  /** Cheap token that changes whenever any agent row is written (row count + sum of revisions). */
  fingerprint(): Promise<string>
}

type Row = Omit<AgentsTable, 'revision' | 'tags' | 'mcp_configs' | 'extra' | 'is_councilor' | 'is_deleted' | 'councilor_config' | 'customization'> & {
  tags: unknown
  mcp_configs: unknown
  extra: unknown
  is_councilor: unknown
  is_deleted: unknown
  councilor_config: unknown
  customization: unknown
}

export class KyselyAgentsRepo implements AgentsRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async insertOrRevive(agent: Agent, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const { agent_id: _id, ...revived } = rowOf(agent)
    const row = await tx
      .insertInto('agents')
      .values({ ...rowOf(agent), revision: 0 })
      .onConflict((oc) =>
        oc
          .column('agent_id')
          .doUpdateSet((eb) => ({ ...revived, revision: eb('agents.revision', '+', 1) }))
          .where('agents.is_deleted', '=', true),
      )
      .returningAll()
      .executeTakeFirst()
    return row ? toAgent(row) : undefined
  }

  async findById(agentId: string, options: { includeDeleted?: boolean } = {}, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    let query = tx.selectFrom('agents').selectAll().where('agent_id', '=', agentId)
    if (!options.includeDeleted) query = query.where('is_deleted', '=', false)
    const row = await query.executeTakeFirst()
    return row ? toAgent(row) : undefined
  }

  async findLiveByName(name: string) {
    const row = await this.db
      .selectFrom('agents')
      .selectAll()
      .where('name', '=', name)
      .where('is_deleted', '=', false)
      .orderBy('agent_id')
      .executeTakeFirst()
    return row ? toAgent(row) : undefined
  }

  async listLive() {
    const rows = await this.db.selectFrom('agents').selectAll().where('is_deleted', '=', false).orderBy('name').orderBy('agent_id').execute()
    return rows.map(toAgent)
  }

  async namesOf(agentIds: readonly string[]) {
    if (agentIds.length === 0) return new Map<string, string>()
    const rows = await this.db
      .selectFrom('agents')
      .select(['agent_id', 'name'])
      .where('agent_id', 'in', [...agentIds])
      .execute()
    return new Map(rows.map((row) => [row.agent_id, row.name]))
  }

  async update(agentId: string, changes: AgentChanges, uow?: UnitOfWork) {
    const tx = queriesOf(uow, this.db)
    const row = await tx
      .updateTable('agents')
      .set((eb) => ({ ...toColumns(changes), revision: eb('revision', '+', 1) }))
      .where('agent_id', '=', agentId)
      .returningAll()
      .executeTakeFirst()
    return row ? toAgent(row) : undefined
  }

  async fingerprint() {
    const row = await this.db
      .selectFrom('agents')
      .select((eb) => [eb.fn.countAll<number>().as('total'), eb.fn.sum<number>('revision').as('revisions')])
      .executeTakeFirstOrThrow()
    return `${Number(row.total)}:${Number(row.revisions ?? 0)}`
  }
}

function rowOf(a: Agent) {
  return {
    agent_id: a.agentId,
    name: a.name,
    emoji: a.emoji,
    description: a.description,
    prompt: a.prompt,
    agent_group: a.group,
    tags: toJson(a.tags),
    mcp_configs: toJson(a.mcpConfigs),
    ai_provider: a.aiProvider,
    model: a.model,
    extra: toJson(a.extra),
    is_councilor: a.isCouncilor,
    councilor_config: a.councilorConfig === null ? null : toJson(a.councilorConfig),
    customization: a.customization === null ? null : toJson(a.customization),
    is_deleted: a.isDeleted,
    created_at: a.createdAt,
    updated_at: a.updatedAt,
    deleted_at: a.deletedAt,
  }
}

function toColumns(c: AgentChanges) {
  return {
    ...(c.name !== undefined && { name: c.name }),
    ...(c.emoji !== undefined && { emoji: c.emoji }),
    ...(c.description !== undefined && { description: c.description }),
    ...(c.prompt !== undefined && { prompt: c.prompt }),
    ...(c.group !== undefined && { agent_group: c.group }),
    ...(c.tags !== undefined && { tags: toJson(c.tags) }),
    ...(c.mcpConfigs !== undefined && { mcp_configs: toJson(c.mcpConfigs) }),
    ...(c.aiProvider !== undefined && { ai_provider: c.aiProvider }),
    ...(c.model !== undefined && { model: c.model }),
    ...(c.extra !== undefined && { extra: toJson(c.extra) }),
    ...(c.isCouncilor !== undefined && { is_councilor: c.isCouncilor }),
    ...(c.councilorConfig !== undefined && { councilor_config: c.councilorConfig === null ? null : toJson(c.councilorConfig) }),
    ...(c.customization !== undefined && { customization: c.customization === null ? null : toJson(c.customization) }),
    ...(c.isDeleted !== undefined && { is_deleted: c.isDeleted }),
    ...(c.updatedAt !== undefined && { updated_at: c.updatedAt }),
    ...(c.deletedAt !== undefined && { deleted_at: c.deletedAt }),
  }
}

function toAgent(row: Row): Agent {
  return {
    agentId: row.agent_id,
    name: row.name,
    emoji: row.emoji,
    description: row.description,
    prompt: row.prompt,
    group: row.agent_group,
    tags: fromJson<string[]>(row.tags, []),
    mcpConfigs: fromJson<string[]>(row.mcp_configs, []),
    aiProvider: row.ai_provider as AiProvider | null,
    model: row.model,
    extra: fromJson<Record<string, unknown>>(row.extra, {}),
    isCouncilor: fromBool(row.is_councilor),
    councilorConfig: fromJson<Record<string, unknown> | null>(row.councilor_config, null),
    customization: fromJson<Record<string, unknown> | null>(row.customization, null),
    isDeleted: fromBool(row.is_deleted),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deletedAt: numberOrNull(row.deleted_at),
  }
}
