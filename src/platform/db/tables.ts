// Kysely table types: the one Database interface both dialects are queried through.
// Times are epoch milliseconds; JSON columns are `Json` (text in SQLite, jsonb in PostgreSQL);
// booleans come back as 0/1 from SQLite (read them with fromBool).
import type { ColumnType, Generated } from 'kysely'

export type Json = ColumnType<unknown, string, string>
export type Bool = ColumnType<boolean | number, boolean, boolean>

export interface ScreenplaysTable {
  id: string
  name: string
  description: string | null
  tags: Json
  content: string
  working_directory: string | null
  file_path: string | null
  import_path: string | null
  export_path: string | null
  file_key: string | null
  content_hash: string | null
  is_deleted: Bool
  version: number
  created_at: number
  updated_at: number
  last_used_at: number
  deleted_at: number | null
}

export interface NavigationScreenplayStatesTable {
  user_id: string
  screenplay_id: string
  conversation_id: string | null
  instance_id: string | null
  updated_at: number
}

export interface NavigationConversationStatesTable {
  user_id: string
  conversation_id: string
  screenplay_id: string
  instance_id: string | null
  updated_at: number
}

export interface ConversationsTable {
  id: string
  title: string
  screenplay_id: string | null
  context: string | null
  /** JSON: AgentInfo or null. */
  active_agent: Json
  /** JSON: AgentInfo[]. */
  participants: Json
  /** JSON: string[] or null. */
  allowed_agents: Json
  max_chain_depth: number | null
  auto_delegate: Bool
  display_order: number
  message_count: Generated<number>
  /** The seq of the newest message; appends reserve seqs by bumping it atomically. */
  last_seq: Generated<number>
  is_deleted: Bool
  created_at: number
  updated_at: number
  deleted_at: number | null
}

export interface ConversationMessagesTable {
  id: string
  conversation_id: string
  seq: number
  type: string
  content: string
  /** JSON: AgentInfo or null. */
  agent: Json
  status: string | null
  task_id: string | null
  is_deleted: Bool
  is_hidden: Bool
  hidden_at: number | null
  completed_at: number | null
  created_at: number
}

export interface RunsTable {
  id: string
  status: string
  source: string
  agent_id: string | null
  persona_version: number | null
  instance_id: string | null
  conversation_id: string | null
  screenplay_id: string | null
  executor: string
  provider: string
  model: string | null
  input: string
  cwd: string | null
  prompt: string | null
  output: Generated<string>
  error: string | null
  exit_code: number | null
  severity: string | null
  usage: Json | null
  options: Json
  idempotency_key: string | null
  timeout_ms: number
  worker_id: string | null
  lease_expires_at: number | null
  cancel_requested: Bool
  is_deleted: Bool
  deleted_message_id: string | null
  last_seq: Generated<number>
  created_at: number
  started_at: number | null
  ended_at: number | null
  updated_at: number
}

export interface RunEventsTable {
  run_id: string
  seq: number
  type: string
  data: Json
  at: number
}

export interface AgentsTable {
  agent_id: string
  name: string
  emoji: string
  description: string
  prompt: string | null
  agent_group: string
  tags: Json
  mcp_configs: Json
  ai_provider: string | null
  model: string | null
  /** Definition fields the gateway does not model (version, author, capabilities, …). */
  extra: Json
  is_councilor: Bool
  councilor_config: Json | null
  customization: Json | null
  /** Bumped by every write, so in-memory indexes can tell the catalog changed. */
  revision: number
  is_deleted: Bool
  created_at: number
  updated_at: number
  deleted_at: number | null
}

export interface PersonasTable {
  agent_id: string
  id: string
  /** The version that is the persona now; null once the persona was deleted (history stays). */
  current_version: number | null
  /** Counter the next version number is taken from (atomic increment). */
  last_version: number
  metadata: Json
  created_at: number
  updated_at: number
}

export interface PersonaVersionsTable {
  id: string
  agent_id: string
  version: number
  content: string
  content_hash: string
  created_by: string | null
  change_description: string | null
  metadata: Json
  created_at: number
  updated_at: number
}

export interface AgentInstancesTable {
  instance_id: string
  agent_id: string
  screenplay_id: string | null
  conversation_id: string | null
  position: Json
  status: string
  cwd: string | null
  config: Json
  emoji: string | null
  definition: Json | null
  display_order: number
  mcp_configs: Json
  execution_state: Json | null
  is_councilor_instance: Bool
  councilor_config: Json | null
  customization: Json | null
  is_system_default: Bool
  is_hidden: Bool
  task_count: number
  total_executions: number
  total_execution_time: number
  average_execution_time: number
  last_task_duration: number
  last_task_completed_at: number | null
  success_count: number
  error_count: number
  last_exit_code: number | null
  success_rate: number
  /** Bumped by every field update, so JSON merges can compare-and-swap. */
  revision: number
  is_deleted: Bool
  deleted_reason: string | null
  created_at: number
  updated_at: number
  last_execution: number | null
  deleted_at: number | null
}

export interface CouncilorsTable {
  id: string
  agent_id: string
  instance_id: string | null
  screenplay_id: string | null
  conversation_id: string | null
  cwd: string | null
  /** JSON: title, task, notifications (schedule and policies are columns). */
  config: Json
  customization: Json | null
  schedule_type: string
  schedule_value: string
  timezone: string
  starts_at: number | null
  ends_at: number | null
  anchor_at: number
  enabled: Bool
  paused_reason: string | null
  overlap: string
  missed: string
  missed_cap: number
  max_runs_per_day: number | null
  jitter_ms: number
  failure_limit: number
  /** The next tick as scheduled; null while paused or once the schedule has ended. */
  next_tick_at: number | null
  /** The next tick plus its jitter: when the scheduler claims it. */
  next_fire_at: number | null
  last_fire_at: number | null
  /** A tick held back by the `buffer_one` overlap policy until the active run ends. */
  buffered_at: number | null
  active_runs: Generated<number>
  last_run_id: string | null
  total_runs: Generated<number>
  success_count: Generated<number>
  error_count: Generated<number>
  cancelled_count: Generated<number>
  total_duration_ms: Generated<number>
  last_duration_ms: number | null
  last_run_at: number | null
  last_severity: string | null
  consecutive_failures: Generated<number>
  skipped_overlap: Generated<number>
  skipped_missed: Generated<number>
  refused_spend: Generated<number>
  buffered_count: Generated<number>
  cancelled_overlap: Generated<number>
  /** Bumped by every change to the schedule: a tick is claimed by compare-and-swap on it. */
  version: Generated<number>
  is_deleted: Bool
  created_at: number
  updated_at: number
  deleted_at: number | null
}

export interface CouncilorFiresTable {
  councilor_id: string
  run_id: string
  fired_at: number
}

export interface McpServersTable {
  name: string
  url: string
  transport: string
  host_url: string | null
  backend_url: string | null
  /** AES-256-GCM sealed JSON ({ auth?, headers? }); never leaves the registry in plain text. */
  credentials: string | null
  status: string
  tools_count: number
  metadata: Json | null
  last_heartbeat: number | null
  last_used: number | null
  registered_at: number
  updated_at: number
}

export interface McpBindingsTable {
  instance_id: string
  agent_id: string
  conversation_id: string | null
  screenplay_id: string | null
  mcps: Json
  status: string
  total_tool_calls: number
  created_at: number
  updated_at: number
}

export interface McpPoliciesTable {
  agent_id: string
  allowed_mcps: Json
  denied_mcps: Json
  max_concurrent_mcps: number
  require_healthy: Bool
  updated_at: number
}

export interface SchemaMigrationsTable {
  name: string
  applied_at: number
}

export interface ApiKeysTable {
  id: string
  hash: string
  prefix: string
  role: string
  label: string | null
  bound_name: string | null
  created_at: number
  last_used_at: number | null
  revoked_at: number | null
}

export interface Tables {
  api_keys: ApiKeysTable
  schema_migrations: SchemaMigrationsTable
  runs: RunsTable
  run_events: RunEventsTable
  screenplays: ScreenplaysTable
  navigation_screenplay_states: NavigationScreenplayStatesTable
  navigation_conversation_states: NavigationConversationStatesTable
  agents: AgentsTable
  personas: PersonasTable
  persona_versions: PersonaVersionsTable
  agent_instances: AgentInstancesTable
  conversations: ConversationsTable
  conversation_messages: ConversationMessagesTable
  councilors: CouncilorsTable
  councilor_fires: CouncilorFiresTable
  mcp_servers: McpServersTable
  mcp_bindings: McpBindingsTable
  mcp_policies: McpPoliciesTable
}

export type { Generated }
