// The health probe: connect to the server as an MCP client and list its tools. Unlike the
// original's `GET /health` (which only sidecars answered), any MCP server passes or fails it.
import type { McpServerAddress } from '../../engine/executors/mcp-servers.js'

export type ProbeResult = { ok: true; toolsCount: number; latencyMs: number } | { ok: false; error: string; latencyMs: number }

/** Port: checks a server (tests give canned answers where a real server is beside the point). */
export interface McpProber {
  probe(address: McpServerAddress, timeoutMs: number): Promise<ProbeResult>
}

export class SdkMcpProber implements McpProber {
  constructor(private readonly now: () => number = () => performance.now()) {}

  async probe(address: McpServerAddress, timeoutMs: number): Promise<ProbeResult> {
    const started = this.now()
    const latency = () => Math.round((this.now() - started) * 100) / 100
    const signal = AbortSignal.timeout(timeoutMs)
    const url = new URL(address.url)
    const requestInit = { headers: address.headers ?? {}, signal }
    // Loaded on the first probe: the MCP client and its transports weigh megabytes most instances never use.
    const [{ Client }, { SSEClientTransport }, { StreamableHTTPClientTransport }] = await Promise.all([
      import('@modelcontextprotocol/sdk/client/index.js'),
      import('@modelcontextprotocol/sdk/client/sse.js'),
      import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
    ])
    const transport =
      address.transport === 'sse' ? new SSEClientTransport(url, { requestInit }) : new StreamableHTTPClientTransport(url, { requestInit })
    const client = new Client({ name: 'conductor-gateway-probe', version: '1.0.0' })
    try {
      await client.connect(transport, { signal, timeout: timeoutMs })
      const { tools } = await client.listTools(undefined, { signal, timeout: timeoutMs })
      return { ok: true, toolsCount: tools.length, latencyMs: latency() }
    } catch (err) {
      const error = signal.aborted ? 'Connection timeout' : reasonOf(err)
      return { ok: false, error, latencyMs: latency() }
    } finally {
      await client.close().catch(() => {})
    }
  }
}

function reasonOf(err: unknown): string {
  const error = err as { message?: string; cause?: { code?: string; message?: string } }
  return [error.message ?? String(err), error.cause?.code ?? error.cause?.message].filter(Boolean).join(': ')
}
