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

export interface SchemaMigrationsTable {
  name: string
  applied_at: number
}

export interface Tables {
  schema_migrations: SchemaMigrationsTable
  screenplays: ScreenplaysTable
  navigation_screenplay_states: NavigationScreenplayStatesTable
  navigation_conversation_states: NavigationConversationStatesTable
  conversations: ConversationsTable
  conversation_messages: ConversationMessagesTable
}

export type { Generated }
