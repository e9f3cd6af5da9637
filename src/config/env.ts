// How an environment variable's text becomes a config value. The kind comes from the key's schema
// (see `listSettings`); a value that does not fit its kind is passed on as text, so zod names the key.

/** `list` is `a,b`, `map` is `name=value,name2=value2`, `bool` is 1/0, true/false, yes/no or on/off. */
export type EnvKind = 'string' | 'int' | 'list' | 'bool' | 'map'

export function parseEnvValue(value: string, kind: EnvKind): unknown {
  switch (kind) {
    case 'int':
      return /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value
    case 'list':
      return splitList(value)
    case 'bool':
      return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase())
        ? true
        : ['0', 'false', 'no', 'off'].includes(value.toLowerCase())
          ? false
          : value
    case 'map':
      return Object.fromEntries(
        splitList(value).map((item) => {
          const at = item.indexOf('=')
          return at < 0 ? [item, ''] : [item.slice(0, at).trim(), item.slice(at + 1).trim()]
        }),
      )
    case 'string':
      return value
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
}
