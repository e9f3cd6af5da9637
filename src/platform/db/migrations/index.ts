import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'
import { screenplaysAndNavigation } from './001-screenplays-navigation.js'
import { agentsPersonasInstances } from './002-agents-personas-instances.js'
import { conversations } from './004-conversations.js'
import { runs } from './010-runs.js'
import { clusterMessages } from './011-cluster-messages.js'
import { councilors } from './012-councilors.js'
import { mcpRegistry } from './013-mcp-registry.js'
import { apiKeys } from './014-api-keys.js'

export interface Migration {
  up(db: Kysely<unknown>): Promise<void>
}

/** Every migration, in order. Names are permanent once released; never edit a released one. */
export function allMigrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '001-screenplays-navigation': screenplaysAndNavigation(ctx),
    '002-agents-personas-instances': agentsPersonasInstances(ctx),
    '004-conversations': conversations(ctx),
    '010-runs': runs(ctx),
    '011-cluster-messages': clusterMessages(),
    '012-councilors': councilors(ctx),
    '013-mcp-registry': mcpRegistry(ctx),
    '014-api-keys': apiKeys(),
  }
}
