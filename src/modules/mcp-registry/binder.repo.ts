// Storage of bindings (one row per instance) and per-agent policies.
import type { Kysely, Selectable } from 'kysely'
import { fromBool, fromJson, toJson } from '../../platform/db/json.js'
import type { Tables } from '../../platform/db/tables.js'
import { queriesOf, type UnitOfWork } from '../../platform/db/unit-of-work.js'
import type { Binding, BindingPolicy, BoundMcp } from './binder.model.js'

export interface BindingsRepo {
  find(instanceId: string, uow?: UnitOfWork): Promise<Binding | undefined>
  /** Oldest first; `agentId` narrows. */
  list(filter?: { agentId?: string }): Promise<Binding[]>
  /** Inserts, or replaces the binding of that instance. */
  save(binding: Binding, uow?: UnitOfWork): Promise<void>
  delete(instanceId: string, uow?: UnitOfWork): Promise<boolean>
  findPolicy(agentId: string, uow?: UnitOfWork): Promise<BindingPolicy | undefined>
  savePolicy(policy: BindingPolicy, now: number, uow?: UnitOfWork): Promise<void>
}

type BindingRow = Selectable<Tables['mcp_bindings']>

export class KyselyBindingsRepo implements BindingsRepo {
  constructor(private readonly db: Kysely<Tables>) {}

  async find(instanceId: string, uow?: UnitOfWork) {
    const row = await queriesOf(uow, this.db).selectFrom('mcp_bindings').selectAll().where('instance_id', '=', instanceId).executeTakeFirst()
    return row ? toBinding(row) : undefined
  }

  async list(filter: { agentId?: string } = {}) {
    let query = this.db.selectFrom('mcp_bindings').selectAll()
    if (filter.agentId !== undefined) query = query.where('agent_id', '=', filter.agentId)
    const rows = await query.orderBy('created_at').orderBy('instance_id').execute()
    return rows.map(toBinding)
  }

  async save(b: Binding, uow?: UnitOfWork) {
    const values = {
      agent_id: b.agentId,
      conversation_id: b.conversationId,
      screenplay_id: b.screenplayId,
      mcps: toJson(b.mcps),
      status: b.status,
      total_tool_calls: b.totalToolCalls,
      created_at: b.createdAt,
      updated_at: b.updatedAt,
    }
    await queriesOf(uow, this.db)
      .insertInto('mcp_bindings')
      .values({ instance_id: b.instanceId, ...values })
      .onConflict((oc) => oc.column('instance_id').doUpdateSet(values))
      .execute()
  }

  async delete(instanceId: string, uow?: UnitOfWork) {
    const result = await queriesOf(uow, this.db).deleteFrom('mcp_bindings').where('instance_id', '=', instanceId).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  async findPolicy(agentId: string, uow?: UnitOfWork) {
    const row = await queriesOf(uow, this.db).selectFrom('mcp_policies').selectAll().where('agent_id', '=', agentId).executeTakeFirst()
    if (!row) return undefined
    return {
      agentId: row.agent_id,
      allowedMcps: fromJson<string[]>(row.allowed_mcps, []),
      deniedMcps: fromJson<string[]>(row.denied_mcps, []),
      maxConcurrentMcps: Number(row.max_concurrent_mcps),
      requireHealthy: fromBool(row.require_healthy),
    }
  }

  async savePolicy(p: BindingPolicy, now: number, uow?: UnitOfWork) {
    const values = {
      allowed_mcps: toJson(p.allowedMcps),
      denied_mcps: toJson(p.deniedMcps),
      max_concurrent_mcps: p.maxConcurrentMcps,
      require_healthy: p.requireHealthy,
      updated_at: now,
    }
    await queriesOf(uow, this.db)
      .insertInto('mcp_policies')
      .values({ agent_id: p.agentId, ...values })
      .onConflict((oc) => oc.column('agent_id').doUpdateSet(values))
      .execute()
  }
}

function toBinding(row: BindingRow): Binding {
  return {
    instanceId: row.instance_id,
    agentId: row.agent_id,
    conversationId: row.conversation_id,
    screenplayId: row.screenplay_id,
    mcps: fromJson<Record<string, BoundMcp>>(row.mcps, {}),
    status: row.status as Binding['status'],
    totalToolCalls: Number(row.total_tool_calls),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  }
}
