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

export interface SchemaMigrationsTable {
  name: string
  applied_at: number
}

export interface Tables {
  schema_migrations: SchemaMigrationsTable
  screenplays: ScreenplaysTable
  navigation_screenplay_states: NavigationScreenplayStatesTable
  navigation_conversation_states: NavigationConversationStatesTable
  agents: AgentsTable
  personas: PersonasTable
  persona_versions: PersonaVersionsTable
  agent_instances: AgentInstancesTable
}

export type { Generated }
