// How an environment variable maps onto a config key; the tables live next to each section's
// schema, `loadConfig` (the only reader of process.env) applies them.

/** `map` is `name=value,name2=value2`. */
export type EnvKind = 'string' | 'int' | 'list' | 'bool' | 'map'

export interface EnvBinding {
  env: string
  key: string
  kind: EnvKind
}
