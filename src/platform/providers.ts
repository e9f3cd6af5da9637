// The providers a run may name and the kind of executor that serves each. The ground floor of the
// code base: configuration, the run engine and the modules' schemas all read this one list.

export const EXECUTOR_KINDS = ['llm', 'cli', 'conductor', 'echo'] as const
export type ExecutorKind = (typeof EXECUTOR_KINDS)[number]

export const PROVIDER_EXECUTORS = {
  openai: 'llm',
  anthropic: 'llm',
  groq: 'llm',
  fireworks: 'llm',
  google: 'llm',
  ollama: 'llm',
  claude: 'cli',
  gemini: 'cli',
  'cursor-agent': 'cli',
  conductor: 'conductor',
  echo: 'echo',
} as const satisfies Record<string, ExecutorKind>

export type Provider = keyof typeof PROVIDER_EXECUTORS
export const PROVIDERS = Object.keys(PROVIDER_EXECUTORS) as [Provider, ...Provider[]]

export function isProvider(value: string): value is Provider {
  return Object.hasOwn(PROVIDER_EXECUTORS, value)
}
