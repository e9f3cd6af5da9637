/**
 * Providers an agent may name as its default `ai_provider`: the run engine's list (LLM APIs
 * through the AI SDK, provider CLIs, a Python Conductor, the offline echo), defined once there.
 */
export { PROVIDERS as AI_PROVIDERS, isProvider as isAiProvider, type Provider as AiProvider } from '../../platform/providers.js'
