// A Kysely plugin that records every query the app runs: its kind, the tables it names and the
// rows it returned. Tests count queries with it instead of timing them.
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'

export interface QueryRecord {
  kind: string
  /** The query's operation tree as JSON (table names appear quoted). */
  node: string
  rows: number
}

export class QueryLog implements KyselyPlugin {
  records: QueryRecord[] = []
  private readonly pending = new WeakMap<object, Omit<QueryRecord, 'rows'>>()

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.pending.set(args.queryId, { kind: args.node.kind, node: JSON.stringify(args.node) })
    return args.node
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const query = this.pending.get(args.queryId)
    if (query) this.records.push({ ...query, rows: args.result.rows.length })
    return args.result
  }

  /** Runs `work` and returns what it queried. */
  async during(work: () => Promise<unknown>): Promise<QueryRecord[]> {
    this.records = []
    await work()
    return this.records
  }
}

export function touches(record: QueryRecord, table: string): boolean {
  return record.node.includes(`"${table}"`)
}

/** The SELECTs among `records` that read `table`. */
export function readsOf(records: QueryRecord[], table: string): QueryRecord[] {
  return records.filter((r) => r.kind === 'SelectQueryNode' && touches(r, table))
}
