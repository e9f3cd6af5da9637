// The gateway as a system: its checks and its (secret-free) configuration. The data-transfer
// tools, which only admins get, are in admin-tools.ts.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { Config } from '../../../config.js'
import { systemChecks } from '../system-checks.js'
import { answering, fail, ok, okJson } from '../tool-results.js'
import type { McpServices } from './context.js'

export function registerSystemTools(server: McpServer, s: McpServices): void {
  server.registerTool(
    'validate_conductor_system',
    {
      title: 'Check the gateway',
      description: 'Checks the database, the LLM providers’ keys, the provider CLIs on PATH and the MCP server registry; lists what is not ready.',
      inputSchema: {},
    },
    () =>
      answering(async () => {
        const checks = await systemChecks(s.config, s.database, s.registry)
        const lines = checks.map((c) => `${c.ok ? '✅' : '⚠️'} ${c.name}: ${c.detail}`)
        const ready = checks.filter((c) => c.ok).length
        return ok(`${ready} of ${checks.length} checks pass\n${lines.join('\n')}`, { checks })
      }),
  )

  server.registerTool(
    'get_system_config',
    {
      title: 'Gateway configuration',
      description:
        'The gateway’s effective configuration without secrets: API keys and tokens are reported as set or not, credentials in URLs are removed.',
    },
    () => answering(async () => okJson(publicConfig(s.config, s.database.dialect))),
  )

  server.registerTool(
    'set_environment',
    {
      title: 'Change the environment (refused)',
      description:
        'Kept for agents written for the original gateway. The gateway does not change its configuration at run time: it is read at start ' +
        'from config.yaml and environment variables, so that every instance behind a load balancer runs the same settings and no MCP client ' +
        'can redirect providers or keys. Always answers an error that says how to change the setting instead.',
      inputSchema: {
        environment: z.string().min(1).max(200).describe('The environment the caller wanted (e.g. "production")'),
        project: z.string().min(1).max(200).optional().describe('The project the caller wanted'),
      },
    },
    ({ environment }) =>
      answering(async () =>
        fail(
          `The gateway does not switch to '${environment}' at run time: its configuration comes from config.yaml and environment variables ` +
            'when it starts (see get_system_config for what is in effect). Change them and restart the gateway instances.',
        ),
      ),
  )
}

/** Configuration as an operator may show it: keys as booleans, URLs without user info or query. */
export function publicConfig(config: Config, dialect: string) {
  const providers = Object.fromEntries(
    Object.entries(config.providers).map(([name, p]) => [
      name,
      { api_key_set: p.apiKey !== null, base_url: p.baseUrl && withoutCredentials(p.baseUrl), default_model: p.defaultModel },
    ]),
  )
  return {
    server: { host: config.server.host, port: config.server.port, cors_origins: config.server.corsOrigins, trust_proxy: config.server.trustProxy },
    database: { dialect, url: withoutCredentials(config.database.url) },
    runs: {
      concurrency: config.runs.concurrency,
      default_timeout_ms: config.runs.defaultTimeoutMs,
      max_timeout_ms: config.runs.maxTimeoutMs,
      default_provider: config.runs.defaultProvider,
      conversation_policy: config.runs.conversationPolicy,
    },
    workspace: { allowed_roots: config.workspace.allowedRoots },
    providers,
    cli: {
      claude_command: config.cli.claudeCommand,
      gemini_command: config.cli.geminiCommand,
      cursor_agent_command: config.cli.cursorAgentCommand,
      skip_permissions: config.cli.skipPermissions,
    },
    conductor: { api_url: withoutCredentials(config.conductor.apiUrl) },
    mcp: {
      servers: Object.fromEntries(
        Object.entries(config.mcp.servers).map(([name, srv]) => [name, { url: withoutCredentials(srv.url), transport: srv.transport }]),
      ),
      tool_wait_ms: config.mcp_server.waitMs,
    },
    internal: { token_set: config.internal.token !== null },
    portfolio: { agent_id: config.portfolio.agentId, session_secret_set: config.portfolio.sessionSecret !== null },
  }
}

/** A URL with any user, password and query string removed (they may carry credentials). */
export function withoutCredentials(url: string): string {
  if (url.startsWith('sqlite:')) return url
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    parsed.search = ''
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}
