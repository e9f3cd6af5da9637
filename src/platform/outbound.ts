// Outbound requests to URLs that callers register (MCP servers) go only to hosts the operator
// allowed (`security.allowed_outbound_hosts`, loopback by default) or configured: a caller must not
// make the gateway reach an address of its choosing (cloud metadata, internal services).
import type { Config } from '../config.js'
import { ValidationError } from './http/errors.js'

export class OutboundPolicy {
  private readonly patterns: string[]

  /** `allowed`: `host`, `host:port` or `*.domain`; `implicit`: URLs the operator configured, whose hosts are allowed too. */
  constructor(allowed: readonly string[], implicit: readonly string[] = []) {
    this.patterns = [...allowed.map((h) => h.toLowerCase()), ...implicit.flatMap((url) => hostOf(url) ?? [])]
  }

  /** The URL, checked: an http(s) URL to a host on the list; else a 422 naming `field` and the setting. */
  check(raw: string, field: string): URL {
    const refusal = this.refusal(raw, field)
    if (refusal !== undefined) throw new ValidationError(refusal)
    return new URL(raw)
  }

  /** Why no request may go to `raw`, in words naming `field` and the setting; undefined when one may. */
  refusal(raw: string, field: string): string | undefined {
    if (!URL.canParse(raw)) return `${field} is not a valid URL`
    const url = new URL(raw)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${field} must be an http or https URL`
    if (this.allows(url)) return undefined
    return `${field} points to ${url.host}, which is not an allowed outbound host: add it to security.allowed_outbound_hosts (ALLOWED_OUTBOUND_HOSTS)`
  }

  allows(url: URL): boolean {
    const host = url.hostname.toLowerCase()
    const port = url.port || (url.protocol === 'https:' ? '443' : '80')
    return this.patterns.some((pattern) => {
      const [name, wantedPort] = splitPort(pattern)
      if (wantedPort !== undefined && wantedPort !== port) return false
      if (name.startsWith('*.')) return host.endsWith(name.slice(1)) && host.length > name.length - 1
      return host === name
    })
  }
}

function hostOf(raw: string): string | undefined {
  try {
    const url = new URL(raw)
    return `${url.hostname.toLowerCase()}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`
  } catch {
    return undefined
  }
}

function splitPort(pattern: string): [string, string | undefined] {
  if (pattern.startsWith('[')) {
    const end = pattern.indexOf(']')
    const rest = pattern.slice(end + 1)
    return [pattern.slice(0, end + 1), rest.startsWith(':') ? rest.slice(1) : undefined]
  }
  const colon = pattern.lastIndexOf(':')
  return colon > 0 && pattern.indexOf(':') === colon ? [pattern.slice(0, colon), pattern.slice(colon + 1)] : [pattern, undefined]
}

/** The policy the configuration asks for: its allowed hosts, and the hosts of the URLs it names itself. */
export function outboundPolicyOf(config: Config): OutboundPolicy {
  const configuredUrls = [config.conductor.apiUrl, ...Object.values(config.mcp.servers).map((server) => server.url)]
  return new OutboundPolicy(config.security.allowedOutboundHosts, configuredUrls)
}
