// Config sections of the run executors: LLM providers (keys, base URLs, default models), the
// provider CLIs, the Python Conductor and the MCP servers the executors may give to a model.
import { z } from 'zod'
import { section, setting } from './settings.js'

const positiveInt = z.number().int().positive()
const httpUrl = z.string().refine((url) => /^https?:\/\//.test(url) && URL.canParse(url), { message: 'must be an http(s) URL' })
const optionalSecret = z.string().min(1).nullable().default(null)

interface ProviderOptions {
  /** Variable prefix of the key and base URL (`OPENAI` → OPENAI_API_KEY, OPENAI_BASE_URL). */
  env: string
  keyEnv?: string
  model: string
  baseUrl?: string
  /** What the base URL is for, or what a null base URL means. */
  baseUrlDoc: string
  keyDoc?: string
}

function providerShape({ env, keyEnv = `${env}_API_KEY`, model, baseUrl, baseUrlDoc, keyDoc }: ProviderOptions) {
  return {
    api_key: setting(optionalSecret, {
      env: keyEnv,
      doc: keyDoc ?? 'API key; without it, runs on this provider fail with an error naming the variable',
    }),
    base_url: setting(httpUrl.nullable().default(baseUrl ?? null), { env: `${env}_BASE_URL`, doc: baseUrlDoc }),
    default_model: setting(z.string().min(1).default(model), { doc: 'model used when neither the run nor the agent names one' }),
  }
}

const MCP_TRANSPORTS = ['sse', 'http'] as const
export type McpTransport = (typeof MCP_TRANSPORTS)[number]

/** A bare URL is the legacy SSE transport when its path ends in /sse (the MCP convention), else streamable HTTP. */
function guessTransport(url: string): McpTransport {
  return new URL(url).pathname.replace(/\/+$/, '').endsWith('/sse') ? 'sse' : 'http'
}

const mcpServer = z
  .union([httpUrl, z.object({ url: httpUrl, transport: z.enum(MCP_TRANSPORTS) }).strict()])
  .transform((server) => (typeof server === 'string' ? { url: server, transport: guessTransport(server) } : server))

export const executorsSections = {
  providers: section(
    {
      openai: section({
        ...providerShape({ env: 'OPENAI', model: 'gpt-4.1-mini', baseUrlDoc: 'any OpenAI-compatible server (none: https://api.openai.com/v1)' }),
        api: setting(z.enum(['chat', 'responses']).default('chat'), {
          env: 'OPENAI_API',
          doc: '`chat` calls /chat/completions, which every OpenAI-compatible server speaks; `responses` is OpenAI’s Responses API',
        }),
      }),
      anthropic: section(
        providerShape({ env: 'ANTHROPIC', model: 'claude-sonnet-4-5', baseUrlDoc: 'the Anthropic API (none: https://api.anthropic.com/v1)' }),
      ),
      groq: section(
        providerShape({ env: 'GROQ', model: 'llama-3.3-70b-versatile', baseUrlDoc: 'the Groq API (none: https://api.groq.com/openai/v1)' }),
      ),
      fireworks: section(
        providerShape({
          env: 'FIREWORKS',
          model: 'accounts/fireworks/models/llama-v3p3-70b-instruct',
          baseUrlDoc: 'the Fireworks API (none: https://api.fireworks.ai/inference/v1)',
        }),
      ),
      google: section(
        providerShape({
          env: 'GOOGLE',
          keyEnv: 'GOOGLE_GENERATIVE_AI_API_KEY',
          model: 'gemini-2.5-flash',
          baseUrlDoc: 'the Gemini API (none: https://generativelanguage.googleapis.com/v1beta)',
        }),
      ),
      ollama: section(
        providerShape({
          env: 'OLLAMA',
          model: 'llama3.2',
          baseUrl: 'http://127.0.0.1:11434/api',
          baseUrlDoc: 'the Ollama server’s API',
          keyDoc: 'optional (Ollama Cloud, an auth proxy): sent as a bearer token',
        }),
      ),
    },
    'How runs reach a model. A run’s provider (the request’s ai_provider, else the agent’s, else runs.default_provider) picks the executor: ' +
      'openai, anthropic, groq, fireworks, google, ollama → llm (AI SDK); claude, gemini, cursor-agent → cli; conductor → a Python Conductor; ' +
      'echo → offline. A provider without its key fails its runs with a clear error; it never falls back to echo.',
  ),
  llm: section({
    max_steps: setting(positiveInt.max(100).default(10), { env: 'LLM_MAX_STEPS', doc: 'model calls per run when it uses MCP tools' }),
    max_retries: setting(z.number().int().min(0).max(10).default(2), {
      env: 'LLM_MAX_RETRIES',
      doc: 'retries of a provider’s 429 and 5xx answers (4xx never)',
    }),
  }),
  cli: section(
    {
      claude_command: setting(z.string().min(1).default('claude'), { env: 'CLAUDE_COMMAND', doc: 'the claude CLI: a name on PATH or a path' }),
      gemini_command: setting(z.string().min(1).default('gemini'), { env: 'GEMINI_COMMAND', doc: 'the gemini CLI: a name on PATH or a path' }),
      cursor_agent_command: setting(z.string().min(1).default('cursor-agent'), {
        env: 'CURSOR_AGENT_COMMAND',
        doc: 'the cursor-agent CLI: a name on PATH or a path',
      }),
      skip_permissions: setting(z.boolean().default(false), {
        env: 'CLI_SKIP_PERMISSIONS',
        doc:
          'let the CLIs act without asking (claude --dangerously-skip-permissions, gemini --approval-mode yolo, cursor-agent --force); ' +
          'the Conductor watcher always did, here it is opt-in because it lets an agent run any command in its working directory',
      }),
      kill_grace_ms: setting(positiveInt.default(5_000), {
        env: 'CLI_KILL_GRACE_MS',
        doc: 'SIGTERM → SIGKILL delay when a CLI run (its whole process group) is cancelled or times out',
      }),
    },
    'The provider CLIs run in the run’s working directory with the assembled prompt (on stdin; gemini: -p).',
  ),
  conductor: section({
    api_url: setting(httpUrl.transform((url) => url.replace(/\/+$/, '')).default('http://localhost:8000'), {
      env: 'CONDUCTOR_API_URL',
      doc: 'the Python Conductor the `conductor` provider delegates to',
    }),
  }),
  mcp: section({
    servers: setting(z.record(z.string().min(1), mcpServer).default({}), {
      env: 'MCP_SERVERS',
      doc:
        'MCP servers agents may name (mcp_configs): their tools are given to llm runs and written to claude’s --mcp-config; ' +
        'a bare URL ending in /sse uses the SSE transport, any other streamable HTTP, or in the file `{ url, transport: sse | http }`',
    }),
  }),
}

type ExecutorsSections = typeof executorsSections
export type ExecutorsConfig = { [K in keyof ExecutorsSections]: z.output<ExecutorsSections[K]> }
export type LlmProviderSettings = ExecutorsConfig['providers']['anthropic']
