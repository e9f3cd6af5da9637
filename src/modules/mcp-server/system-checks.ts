// The gateway's own checks for validate_conductor_system: database, providers, CLIs, registry.
import { access, constants } from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../config.js'
import type { RegistryCheck } from './ports.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
}

const LLM_PROVIDERS = ['openai', 'anthropic', 'groq', 'fireworks', 'google'] as const

export async function systemChecks(
  config: Config,
  database: { dialect: string; ping(): Promise<void> },
  registry: RegistryCheck | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Check[]> {
  const checks: Check[] = []
  try {
    await database.ping()
    checks.push({ name: 'database', ok: true, detail: `${database.dialect} answers` })
  } catch (err) {
    checks.push({ name: 'database', ok: false, detail: `${database.dialect} does not answer: ${(err as Error).message}` })
  }
  for (const provider of LLM_PROVIDERS) {
    const key = config.providers[provider].apiKey
    checks.push({ name: `provider ${provider}`, ok: key !== null, detail: key ? 'API key set' : 'no API key: its runs fail until one is set' })
  }
  checks.push({ name: 'provider ollama', ok: true, detail: `served at ${config.providers.ollama.baseUrl ?? 'the default URL'} (not probed)` })
  const { claudeCommand, geminiCommand, cursorAgentCommand } = config.cli
  for (const [provider, command] of [
    ['claude', claudeCommand],
    ['gemini', geminiCommand],
    ['cursor-agent', cursorAgentCommand],
  ] as const) {
    const found = await findExecutable(command, env.PATH ?? '')
    checks.push({ name: `cli ${provider}`, ok: found !== null, detail: found ? `found at ${found}` : `'${command}' is not on PATH` })
  }
  if (!registry) {
    checks.push({ name: 'mcp registry', ok: false, detail: 'the MCP registry is not configured in this build' })
  } else {
    try {
      const { total, healthy, detail } = await registry.summary()
      checks.push({ name: 'mcp registry', ok: healthy === total, detail: detail ?? `${healthy} of ${total} registered servers healthy` })
    } catch (err) {
      checks.push({ name: 'mcp registry', ok: false, detail: `registry check failed: ${(err as Error).message}` })
    }
  }
  return checks
}

/** The absolute path a command name resolves to (a path is checked as it is), or null. */
export async function findExecutable(command: string, searchPath: string): Promise<string | null> {
  const candidates = command.includes('/')
    ? [path.resolve(command)]
    : searchPath
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, command))
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return null
}
