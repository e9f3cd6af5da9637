// Config sections of the run executors: LLM providers (keys, base URLs, default models), the
// provider CLIs, the Python Conductor and the MCP servers the executors may give to a model.
import { z } from 'zod'
import type { EnvBinding } from './env-binding.js'

const positiveInt = z.number().int().positive()
const httpUrl = z.string().refine((url) => /^https?:\/\//.test(url) && URL.canParse(url), { message: 'must be an http(s) URL' })
const optionalSecret = z.string().min(1).nullable().default(null)

function providerSchema(defaultModel: string, defaultBaseUrl: string | null = null) {
  return z
    .object({
      api_key: optionalSecret,
      base_url: httpUrl.nullable().default(defaultBaseUrl),
      default_model: z.string().min(1).default(defaultModel),
    })
    .strict()
    .prefault({})
}

const mcpServer = z.union([httpUrl, z.object({ url: httpUrl, transport: z.enum(['sse', 'http']) }).strict()])

export const executorsFileSections = {
  providers: z
    .object({
      openai: z
        .object({
          api_key: optionalSecret,
          base_url: httpUrl.nullable().default(null),
          default_model: z.string().min(1).default('gpt-4.1-mini'),
          api: z.enum(['chat', 'responses']).default('chat'),
        })
        .strict()
        .prefault({}),
      anthropic: providerSchema('claude-sonnet-4-5'),
      groq: providerSchema('llama-3.3-70b-versatile'),
      fireworks: providerSchema('accounts/fireworks/models/llama-v3p3-70b-instruct'),
      google: providerSchema('gemini-2.5-flash'),
      ollama: providerSchema('llama3.2', 'http://127.0.0.1:11434/api'),
    })
    .strict()
    .prefault({}),
  llm: z
    .object({
      max_steps: positiveInt.max(100).default(10),
      max_retries: z.number().int().min(0).max(10).default(2),
    })
    .strict()
    .prefault({}),
  cli: z
    .object({
      claude_command: z.string().min(1).default('claude'),
      gemini_command: z.string().min(1).default('gemini'),
      cursor_agent_command: z.string().min(1).default('cursor-agent'),
      skip_permissions: z.boolean().default(false),
      kill_grace_ms: positiveInt.default(5_000),
    })
    .strict()
    .prefault({}),
  conductor: z
    .object({ api_url: httpUrl.default('http://localhost:8000') })
    .strict()
    .prefault({}),
  mcp: z
    .object({ servers: z.record(z.string().min(1), mcpServer).default({}) })
    .strict()
    .prefault({}),
}

type FileSections = { [K in keyof typeof executorsFileSections]: z.output<(typeof executorsFileSections)[K]> }

export interface LlmProviderSettings {
  apiKey: string | null
  /** Null: the provider package's own default. */
  baseUrl: string | null
  defaultModel: string
}

export type McpTransport = 'sse' | 'http'

export interface ExecutorsConfig {
  providers: {
    /** `chat`: /chat/completions, which every OpenAI-compatible server speaks; `responses`: OpenAI's Responses API. */
    openai: LlmProviderSettings & { api: 'chat' | 'responses' }
    anthropic: LlmProviderSettings
    groq: LlmProviderSettings
    fireworks: LlmProviderSettings
    google: LlmProviderSettings
    ollama: LlmProviderSettings
  }
  llm: { maxSteps: number; maxRetries: number }
  cli: {
    claudeCommand: string
    geminiCommand: string
    cursorAgentCommand: string
    /** Lets the CLIs act without asking (claude --dangerously-skip-permissions, gemini --approval-mode yolo, cursor-agent --force). */
    skipPermissions: boolean
    killGraceMs: number
  }
  conductor: { apiUrl: string }
  mcp: { servers: Record<string, { url: string; transport: McpTransport }> }
}

export const EXECUTOR_ENV_BINDINGS: readonly EnvBinding[] = [
  { env: 'OPENAI_API_KEY', key: 'providers.openai.api_key', kind: 'string' },
  { env: 'OPENAI_BASE_URL', key: 'providers.openai.base_url', kind: 'string' },
  { env: 'OPENAI_API', key: 'providers.openai.api', kind: 'string' },
  { env: 'ANTHROPIC_API_KEY', key: 'providers.anthropic.api_key', kind: 'string' },
  { env: 'ANTHROPIC_BASE_URL', key: 'providers.anthropic.base_url', kind: 'string' },
  { env: 'GROQ_API_KEY', key: 'providers.groq.api_key', kind: 'string' },
  { env: 'GROQ_BASE_URL', key: 'providers.groq.base_url', kind: 'string' },
  { env: 'FIREWORKS_API_KEY', key: 'providers.fireworks.api_key', kind: 'string' },
  { env: 'FIREWORKS_BASE_URL', key: 'providers.fireworks.base_url', kind: 'string' },
  { env: 'GOOGLE_GENERATIVE_AI_API_KEY', key: 'providers.google.api_key', kind: 'string' },
  { env: 'GOOGLE_BASE_URL', key: 'providers.google.base_url', kind: 'string' },
  { env: 'OLLAMA_API_KEY', key: 'providers.ollama.api_key', kind: 'string' },
  { env: 'OLLAMA_BASE_URL', key: 'providers.ollama.base_url', kind: 'string' },
  { env: 'LLM_MAX_STEPS', key: 'llm.max_steps', kind: 'int' },
  { env: 'LLM_MAX_RETRIES', key: 'llm.max_retries', kind: 'int' },
  { env: 'CLAUDE_COMMAND', key: 'cli.claude_command', kind: 'string' },
  { env: 'GEMINI_COMMAND', key: 'cli.gemini_command', kind: 'string' },
  { env: 'CURSOR_AGENT_COMMAND', key: 'cli.cursor_agent_command', kind: 'string' },
  { env: 'CLI_SKIP_PERMISSIONS', key: 'cli.skip_permissions', kind: 'bool' },
  { env: 'CLI_KILL_GRACE_MS', key: 'cli.kill_grace_ms', kind: 'int' },
  { env: 'CONDUCTOR_API_URL', key: 'conductor.api_url', kind: 'string' },
  { env: 'MCP_SERVERS', key: 'mcp.servers', kind: 'map' },
]

export function toExecutorsConfig(file: FileSections): ExecutorsConfig {
  const provider = (p: { api_key: string | null; base_url: string | null; default_model: string }): LlmProviderSettings => ({
    apiKey: p.api_key,
    baseUrl: p.base_url,
    defaultModel: p.default_model,
  })
  const { providers } = file
  return {
    providers: {
      openai: { ...provider(providers.openai), api: providers.openai.api },
      anthropic: provider(providers.anthropic),
      groq: provider(providers.groq),
      fireworks: provider(providers.fireworks),
      google: provider(providers.google),
      ollama: provider(providers.ollama),
    },
    llm: { maxSteps: file.llm.max_steps, maxRetries: file.llm.max_retries },
    cli: {
      claudeCommand: file.cli.claude_command,
      geminiCommand: file.cli.gemini_command,
      cursorAgentCommand: file.cli.cursor_agent_command,
      skipPermissions: file.cli.skip_permissions,
      killGraceMs: file.cli.kill_grace_ms,
    },
    conductor: { apiUrl: file.conductor.api_url.replace(/\/+$/, '') },
    mcp: {
      servers: Object.fromEntries(
        Object.entries(file.mcp.servers).map(([name, server]) => [
          name,
          typeof server === 'string' ? { url: server, transport: guessTransport(server) } : server,
        ]),
      ),
    },
  }
}

/** A bare URL is the legacy SSE transport when its path ends in /sse (the MCP convention), else streamable HTTP. */
function guessTransport(url: string): McpTransport {
  return new URL(url).pathname.replace(/\/+$/, '').endsWith('/sse') ? 'sse' : 'http'
}
