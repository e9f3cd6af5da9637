// The mesh scan (original-gateway.md §6.5): MCP sidecars that answer `GET /health` with JSON on a
// configured host and port range. Scanned when asked (GET /mcp/mesh), not in the background.
import type { Clock } from '../../platform/clock.js'

export interface MeshNode {
  name: string
  url: string
  latencyMs: number
  toolsCount: number
  lastVerified: number
}

export interface MeshSettings {
  enabled: boolean
  host: string
  portFrom: number
  portTo: number
  timeoutMs: number
}

const MAX_PORTS = 1024
const CONCURRENCY = 32

export class McpMesh {
  constructor(
    readonly settings: MeshSettings,
    private readonly clock: Clock,
  ) {
    const { portFrom, portTo } = settings
    if (portTo < portFrom || portTo - portFrom >= MAX_PORTS) {
      throw new Error(`mcp_mesh.port_from..port_to (${portFrom}..${portTo}) must be an ascending range of at most ${MAX_PORTS} ports`)
    }
  }

  /** Where the scan looks, in words (for answers while it is off). */
  describe(): string {
    return `http://${this.settings.host}:${this.settings.portFrom}-${this.settings.portTo}/health`
  }

  /** Every port of the range probed, 32 at a time; nodes sorted by name. Empty when the mesh is off. */
  async scan(): Promise<MeshNode[]> {
    if (!this.settings.enabled) return []
    const ports = Array.from({ length: this.settings.portTo - this.settings.portFrom + 1 }, (_, i) => this.settings.portFrom + i)
    const nodes: MeshNode[] = []
    for (let i = 0; i < ports.length; i += CONCURRENCY) {
      const found = await Promise.all(ports.slice(i, i + CONCURRENCY).map((port) => this.probe(port)))
      nodes.push(...found.filter((node): node is MeshNode => node !== undefined))
    }
    return nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  private async probe(port: number): Promise<MeshNode | undefined> {
    const base = `http://${this.settings.host}:${port}`
    const started = performance.now()
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(this.settings.timeoutMs), redirect: 'manual' })
      if (res.status !== 200) return undefined
      const body = (await res.json()) as { name?: unknown; tools_count?: unknown; url?: unknown }
      if (typeof body !== 'object' || body === null) return undefined
      return {
        name: typeof body.name === 'string' && body.name !== '' ? body.name : `sidecar-${port}`,
        url: typeof body.url === 'string' && URL.canParse(body.url) ? body.url : `${base}/sse`,
        latencyMs: Math.round((performance.now() - started) * 100) / 100,
        toolsCount: typeof body.tools_count === 'number' && Number.isInteger(body.tools_count) ? body.tools_count : 0,
        lastVerified: this.clock.now(),
      }
    } catch {
      return undefined
    }
  }
}
