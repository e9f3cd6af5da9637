// What the MCP server needs from modules built elsewhere; each is optional, so a build without it
// still serves every other tool (the tools that need it answer that it is not configured).

/** Backup, restore and storage migration of the gateway's data (built by the data-transfer module). */
export interface DataTransfer {
  backup(file: string): Promise<unknown>
  restore(file: string): Promise<unknown>
  migrateStorage(fromUrl: string, toUrl: string): Promise<unknown>
}

/** The MCP server registry's view for `validate_conductor_system` (built by the registry module). */
export interface RegistryCheck {
  /** Registered servers and how many are healthy. */
  summary(): Promise<{ total: number; healthy: number; detail?: string }>
}
