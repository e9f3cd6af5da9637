// Picks the AI SDK model for a run: the provider package, its key and base URL from config, and
// the run's model or the provider's default model.
// Provider packages are imported on first use: a gateway that never calls a provider never pays
// for loading it.
import type { LanguageModel } from 'ai'
import type { ExecutorsConfig, LlmProviderSettings } from '../../config/executors.js'
import { PROVIDER_EXECUTORS, type Provider } from '../../platform/providers.js'

export type LlmProvider = { [P in Provider]: (typeof PROVIDER_EXECUTORS)[P] extends 'llm' ? P : never }[Provider]

/** The environment variable an operator sets for each provider's key (ollama needs none). */
const KEY_ENV: Record<Exclude<LlmProvider, 'ollama'>, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  groq: 'GROQ_API_KEY',
  fireworks: 'FIREWORKS_API_KEY',
  google: 'GOOGLE_GENERATIVE_AI_API_KEY',
}

export type ModelChoice = { model: LanguageModel; modelId: string } | { error: string }

/** Port: the model a run talks to. Tests hand the executor mock models through it. */
export interface LlmModelSource {
  model(provider: Provider, modelId: string | null): ModelChoice | Promise<ModelChoice>
}

export class ProviderModels implements LlmModelSource {
  constructor(private readonly providers: ExecutorsConfig['providers']) {}

  async model(provider: Provider, requested: string | null): Promise<ModelChoice> {
    if (!isLlmProvider(provider)) return { error: `provider '${provider}' is not served by the llm executor` }
    const settings: LlmProviderSettings = this.providers[provider]
    const modelId = requested || settings.defaultModel
    if (provider !== 'ollama' && !settings.apiKey) {
      return { error: `${KEY_ENV[provider]} is not configured (providers.${provider}.api_key); the ${provider} provider cannot run` }
    }
    const common = { apiKey: settings.apiKey ?? '', ...(settings.baseUrl && { baseURL: settings.baseUrl }) }
    switch (provider) {
      case 'openai': {
        const { createOpenAI } = await import('@ai-sdk/openai')
        const openai = createOpenAI(common)
        return { model: this.providers.openai.api === 'responses' ? openai.responses(modelId) : openai.chat(modelId), modelId }
      }
      case 'anthropic':
        return { model: (await import('@ai-sdk/anthropic')).createAnthropic(common)(modelId), modelId }
      case 'groq':
        return { model: (await import('@ai-sdk/groq')).createGroq(common)(modelId), modelId }
      case 'fireworks':
        return { model: (await import('@ai-sdk/fireworks')).createFireworks(common)(modelId), modelId }
      case 'google':
        return { model: (await import('@ai-sdk/google')).createGoogleGenerativeAI(common)(modelId), modelId }
      case 'ollama': {
        const { createOllama } = await import('ollama-ai-provider-v2')
        // Ollama needs no key; one configured is sent as a bearer token (Ollama Cloud, an auth proxy).
        const headers = settings.apiKey ? { headers: { Authorization: `Bearer ${settings.apiKey}` } } : {}
        return { model: createOllama({ ...(settings.baseUrl && { baseURL: settings.baseUrl }), ...headers })(modelId), modelId }
      }
    }
  }
}

export function isLlmProvider(provider: Provider): provider is LlmProvider {
  return PROVIDER_EXECUTORS[provider] === 'llm'
}
