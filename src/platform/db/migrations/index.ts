import type { Kysely } from 'kysely'
import type { MigrationContext } from './context.js'
import { screenplaysAndNavigation } from './001-screenplays-navigation.js'
import { agentsPersonasInstances } from './002-agents-personas-instances.js'

export interface Migration {
  up(db: Kysely<unknown>): Promise<void>
}

/** Every migration, in order. Names are permanent once released; never edit a released one. */
export function allMigrations(ctx: MigrationContext): Record<string, Migration> {
  return {
    '001-screenplays-navigation': screenplaysAndNavigation(ctx),
    '002-agents-personas-instances': agentsPersonasInstances(ctx),
  }
}
