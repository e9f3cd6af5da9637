/**
 * Executors an agent may name as its default `ai_provider` (the run engine resolves each one):
 * LLM providers through the AI SDK, provider CLIs, a Python Conductor, and the offline echo.
 */
export const AI_PROVIDERS = [
  'openai',
  'anthropic',
  'groq',
  'fireworks',
  'gemini',
  'ollama',
  'claude',
  'gemini-cli',
  'cursor-agent',
  'conductor',
  'echo',
] as const

export type AiProvider = (typeof AI_PROVIDERS)[number]

export function isAiProvider(value: unknown): value is AiProvider {
  return typeof value === 'string' && (AI_PROVIDERS as readonly string[]).includes(value)
}
