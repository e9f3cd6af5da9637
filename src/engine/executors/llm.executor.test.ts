import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider'
import type { LanguageModel } from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV3 } from 'ai/test'
import { testConfig } from '../../../test/helpers/build-test-app.js'
import { RunStop } from '../run-stop.js'
import { execute, executionRequest, streamedText } from '../../../test/helpers/executor-harness.js'
import { startFakeLlmServer } from '../../../test/helpers/fake-llm-server.js'
import { startMcpTestServer } from '../../../test/helpers/mcp-test-server.js'
import { LlmExecutor } from './llm.executor.js'
import { ProviderModels, type LlmModelSource } from './llm-models.js'
import { ConfigMcpServerResolver, type McpServerAddress } from './mcp-servers.js'

const usage = (input: number, output: number) => ({
  inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: output, text: output, reasoning: 0 },
})

function textTurn(chunks: string[], tokens = usage(3, chunks.length)): { stream: ReadableStream<LanguageModelV3StreamPart> } {
  return {
    stream: convertArrayToReadableStream<LanguageModelV3StreamPart>([
      { type: 'text-start', id: 't1' },
      ...chunks.map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't1', delta })),
      { type: 'text-end', id: 't1' },
      { type: 'finish', usage: tokens, finishReason: { unified: 'stop', raw: 'stop' } },
    ]),
  }
}

function toolCallTurn(toolName: string, input: Record<string, unknown>, id = 'call-1'): { stream: ReadableStream<LanguageModelV3StreamPart> } {
  return {
    stream: convertArrayToReadableStream<LanguageModelV3StreamPart>([
      { type: 'tool-call', toolCallId: id, toolName, input: JSON.stringify(input) },
      { type: 'finish', usage: usage(5, 2), finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
    ]),
  }
}

/** A model source that always answers with this model. */
function mockSource(model: LanguageModel): LlmModelSource {
  return { model: () => ({ model, modelId: 'mock' }) }
}

function mockExecutor(model: MockLanguageModelV3, servers: Record<string, McpServerAddress> = {}, maxSteps = 5): LlmExecutor {
  return new LlmExecutor({ models: mockSource(model), mcpServers: new ConfigMcpServerResolver(servers), maxSteps, maxRetries: 0 })
}

function realExecutor(env: Record<string, string>, servers: Record<string, McpServerAddress> = {}): LlmExecutor {
  const config = testConfig(env)
  return new LlmExecutor({
    models: new ProviderModels(config.providers),
    mcpServers: new ConfigMcpServerResolver(servers),
    maxSteps: 5,
    maxRetries: 0,
  })
}

describe('LlmExecutor with the AI SDK mock model', () => {
  it('sends system, history and input, and maps text deltas and usage', async () => {
    const model = new MockLanguageModelV3({ doStream: textTurn(['Hel', 'lo', '!'], usage(12, 3)) })
    const request = executionRequest({
      system: 'You are terse.',
      history: [
        { role: 'user', content: 'earlier question' },
        { role: 'assistant', content: 'earlier answer' },
      ],
      input: 'say hello',
    })
    const run = await execute(mockExecutor(model), request)

    assert.deepEqual(run.result, { output: 'Hello!', exitCode: 0, usage: { tokensIn: 12, tokensOut: 3 } })
    assert.deepEqual(
      run.of('text.delta').map((e) => e.text),
      ['Hel', 'lo', '!'],
    )
    assert.deepEqual(run.of('usage'), [{ type: 'usage', usage: { tokensIn: 12, tokensOut: 3 } }])
    const prompt = model.doStreamCalls[0]!.prompt
    assert.deepEqual(
      prompt.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    )
    assert.deepEqual(prompt[0], { role: 'system', content: 'You are terse.' })
    assert.deepEqual(prompt[3]!.content, [{ type: 'text', text: 'say hello' }])
  })

  it('turns a provider error into a failed result with the reason', async () => {
    const model = new MockLanguageModelV3({
      doStream: { stream: convertArrayToReadableStream<LanguageModelV3StreamPart>([{ type: 'error', error: new Error('model overloaded') }]) },
    })
    const run = await execute(mockExecutor(model), executionRequest())
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /openai \(mock\) failed: model overloaded/)
  })

  it('stops when the signal aborts and keeps the partial output', async () => {
    const model = new MockLanguageModelV3({
      doStream: async ({ abortSignal }) => ({
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          start(controller) {
            controller.enqueue({ type: 'text-start', id: 't1' })
            controller.enqueue({ type: 'text-delta', id: 't1', delta: 'partial ' })
            abortSignal?.addEventListener('abort', () => controller.error(abortSignal.reason))
          },
        }),
      }),
    })
    const stop = new RunStop()
    const run = await execute(mockExecutor(model), executionRequest(), {
      stop,
      onEvent: (event) => event.type === 'text.delta' && stop.stop('cancel'),
    })
    assert.equal(run.result.output, 'partial ')
    assert.notEqual(run.result.exitCode, 0)
    assert.equal(streamedText(run), 'partial ')
  })

  it('reports 124 when the abort is a timeout', async () => {
    const model = new MockLanguageModelV3({
      doStream: async ({ abortSignal }) => ({
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          start(controller) {
            abortSignal?.addEventListener('abort', () => controller.error(abortSignal.reason))
          },
        }),
      }),
    })
    const stop = new RunStop()
    setImmediate(() => stop.stop('timeout'))
    const run = await execute(mockExecutor(model), executionRequest(), { stop })
    assert.equal(run.result.exitCode, 124)
    assert.equal(run.result.output, '')
  })

  it('fails with a readable error when the model source refuses (missing key)', async () => {
    const run = await execute(realExecutor({}), executionRequest({ provider: 'anthropic' }))
    assert.deepEqual(run.result, {
      output: '',
      exitCode: 1,
      error: 'ANTHROPIC_API_KEY is not configured (providers.anthropic.api_key); the anthropic provider cannot run',
    })
    assert.deepEqual(run.events, [])
  })
})

describe('LlmExecutor with MCP tools', () => {
  it('gives the agent’s MCP tools to the model and runs a tool round trip', async (t) => {
    const mcp = await startMcpTestServer(t)
    const model = new MockLanguageModelV3({ doStream: [toolCallTurn('add', { a: 2, b: 3 }), textTurn(['The sum is 5.'])] })
    const request = executionRequest({ mcpServers: ['calc'], input: 'add 2 and 3' })
    const run = await execute(mockExecutor(model, { calc: { url: mcp.url, transport: 'http' } }), request)

    assert.equal(run.result.exitCode, 0, run.result.error)
    assert.equal(run.result.output, 'The sum is 5.')
    assert.deepEqual(mcp.calls, [{ a: 2, b: 3 }])
    assert.deepEqual(run.of('tool.started'), [{ type: 'tool.started', toolCallId: 'call-1', name: 'add', input: { a: 2, b: 3 }, server: 'calc' }])
    const [finished] = run.of('tool.finished')
    assert.equal(finished?.isError, false)
    assert.equal(finished?.server, 'calc', 'tool events name their MCP server')
    assert.deepEqual((finished!.output as { content: unknown }).content, [{ type: 'text', text: '5' }])
    const offered = (model.doStreamCalls[0]!.tools ?? []).map((tool) => tool.name).sort()
    assert.deepEqual(offered, ['add', 'explode'])
    const secondPrompt = model.doStreamCalls[1]!.prompt
    assert.equal(secondPrompt.at(-1)?.role, 'tool')
  })

  it('marks a tool result the MCP server flags isError as an error', async (t) => {
    const mcp = await startMcpTestServer(t)
    const model = new MockLanguageModelV3({ doStream: [toolCallTurn('explode', {}), textTurn(['It failed.'])] })
    const run = await execute(mockExecutor(model, { calc: { url: mcp.url, transport: 'http' } }), executionRequest({ mcpServers: ['calc'] }))
    assert.equal(run.result.exitCode, 0)
    assert.equal(run.of('tool.finished')[0]?.isError, true)
  })

  it('stops calling tools after the step limit', async (t) => {
    const mcp = await startMcpTestServer(t)
    const model = new MockLanguageModelV3({
      doStream: [toolCallTurn('add', { a: 1, b: 1 }, 'c1'), toolCallTurn('add', { a: 2, b: 2 }, 'c2'), toolCallTurn('add', { a: 3, b: 3 }, 'c3')],
    })
    const run = await execute(mockExecutor(model, { calc: { url: mcp.url, transport: 'http' } }, 2), executionRequest({ mcpServers: ['calc'] }))
    assert.equal(model.doStreamCalls.length, 2)
    assert.deepEqual(mcp.calls, [
      { a: 1, b: 1 },
      { a: 2, b: 2 },
    ])
    assert.equal(run.result.exitCode, 0)
  })

  it('fails the run naming an MCP server that is not configured', async () => {
    const model = new MockLanguageModelV3({ doStream: textTurn(['never']) })
    const run = await execute(mockExecutor(model), executionRequest({ mcpServers: ['crm'] }))
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /MCP server 'crm' is not configured/)
    assert.equal(model.doStreamCalls.length, 0)
  })

  it('fails the run naming an MCP server that cannot be reached', async () => {
    const model = new MockLanguageModelV3({ doStream: textTurn(['never']) })
    const servers = { crm: { url: 'http://127.0.0.1:1/mcp', transport: 'http' as const } }
    const run = await execute(mockExecutor(model, servers), executionRequest({ mcpServers: ['crm'] }))
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /MCP server 'crm' \(http:\/\/127\.0\.0\.1:1\/mcp\) is unreachable/)
    assert.equal(model.doStreamCalls.length, 0)
  })
})

describe('LlmExecutor over HTTP with the real provider packages', () => {
  it('streams from an OpenAI-compatible server: deltas, usage, key and messages', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['Hi', ' there'], usage: { input: 21, output: 2 } })
    const executor = realExecutor({ OPENAI_API_KEY: 'sk-test-openai', OPENAI_BASE_URL: server.baseUrl })
    const run = await execute(executor, executionRequest({ system: 'Be nice.', input: 'hello', model: 'gpt-test' }))

    assert.deepEqual(run.result, { output: 'Hi there', exitCode: 0, usage: { tokensIn: 21, tokensOut: 2 } })
    assert.deepEqual(
      run.of('text.delta').map((e) => e.text),
      ['Hi', ' there'],
    )
    const [request] = server.requests
    assert.equal(request?.path, '/v1/chat/completions')
    assert.equal(request?.headers.authorization, 'Bearer sk-test-openai')
    assert.equal(request?.body.model, 'gpt-test')
    assert.equal(request?.body.stream, true)
    assert.deepEqual(request?.body.messages, [
      { role: 'system', content: 'Be nice.' },
      { role: 'user', content: 'hello' },
    ])
  })

  it('speaks OpenAI’s Responses API when providers.openai.api is responses', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['via ', 'responses'], usage: { input: 8, output: 2 } })
    const executor = realExecutor({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.baseUrl, OPENAI_API: 'responses' })
    const run = await execute(executor, executionRequest({ system: 'Be brief.', input: 'hi' }))
    assert.deepEqual(run.result, { output: 'via responses', exitCode: 0, usage: { tokensIn: 8, tokensOut: 2 } })
    assert.equal(server.requests[0]?.path, '/v1/responses')
    assert.equal(server.requests[0]?.body.stream, true)
  })

  it('uses the provider’s default model when the run names none', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['ok'] })
    await execute(realExecutor({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.baseUrl }), executionRequest())
    assert.equal(server.requests[0]?.body.model, 'gpt-4.1-mini')
  })

  it('turns a 401 into a failed result with the provider’s reason', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ status: 401, errorMessage: 'Incorrect API key provided: sk-bad' })
    const run = await execute(realExecutor({ OPENAI_API_KEY: 'sk-bad', OPENAI_BASE_URL: server.baseUrl }), executionRequest())
    assert.equal(run.result.exitCode, 1)
    assert.match(run.result.error ?? '', /openai \(gpt-4\.1-mini\) failed: HTTP 401: Incorrect API key provided/)
    assert.equal(server.requests.length, 1)
  })

  it('aborts the HTTP stream mid-way and keeps what arrived', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['first ', 'second '], hang: true })
    const stop = new RunStop()
    const gone = server.clientGone()
    const run = await execute(realExecutor({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.baseUrl }), executionRequest(), {
      stop,
      onEvent: (event) => event.type === 'text.delta' && event.text === 'second ' && stop.stop('cancel'),
    })
    assert.equal(run.result.output, 'first second ')
    assert.notEqual(run.result.exitCode, 0)
    await gone
  })

  it('wires Groq’s key and base URL to the Groq package', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['from groq'], usage: { input: 4, output: 2 } })
    const executor = realExecutor({ GROQ_API_KEY: 'gsk-test', GROQ_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'not-this-one' })
    const run = await execute(executor, executionRequest({ provider: 'groq' }))
    assert.deepEqual(run.result, { output: 'from groq', exitCode: 0, usage: { tokensIn: 4, tokensOut: 2 } })
    assert.equal(server.requests[0]?.headers.authorization, 'Bearer gsk-test')
    assert.equal(server.requests[0]?.body.model, 'llama-3.3-70b-versatile')
  })

  it('wires Anthropic’s key and base URL to the Anthropic package (messages API)', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['Bonjour', '!'], usage: { input: 9, output: 3 } })
    const executor = realExecutor({ ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: server.baseUrl })
    const run = await execute(executor, executionRequest({ provider: 'anthropic', system: 'French only.', input: 'hello' }))
    assert.deepEqual(run.result, { output: 'Bonjour!', exitCode: 0, usage: { tokensIn: 9, tokensOut: 3 } })
    const [request] = server.requests
    assert.equal(request?.path, '/v1/messages')
    assert.equal(request?.headers['x-api-key'], 'sk-ant-test')
    assert.equal(request?.body.model, 'claude-sonnet-4-5')
    assert.deepEqual(request?.body.system, [{ type: 'text', text: 'French only.' }])
  })

  it('wires Fireworks’ key and base URL to the Fireworks package', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['from ', 'fireworks'], usage: { input: 5, output: 2 } })
    const executor = realExecutor({ FIREWORKS_API_KEY: 'fw-test', FIREWORKS_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'not-this-one' })
    const run = await execute(executor, executionRequest({ provider: 'fireworks' }))
    assert.deepEqual(run.result, { output: 'from fireworks', exitCode: 0, usage: { tokensIn: 5, tokensOut: 2 } })
    assert.equal(server.requests[0]?.path, '/v1/chat/completions')
    assert.equal(server.requests[0]?.headers.authorization, 'Bearer fw-test')
    assert.equal(server.requests[0]?.body.model, 'accounts/fireworks/models/llama-v3p3-70b-instruct')
  })

  it('wires Google Gemini’s key and base URL to the Google package (streamGenerateContent)', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['Olá', ' mundo'], usage: { input: 7, output: 2 } })
    const executor = realExecutor({ GOOGLE_GENERATIVE_AI_API_KEY: 'g-test', GOOGLE_BASE_URL: server.baseUrl })
    const run = await execute(executor, executionRequest({ provider: 'google', system: 'Portuguese only.', input: 'hello' }))
    assert.deepEqual(run.result, { output: 'Olá mundo', exitCode: 0, usage: { tokensIn: 7, tokensOut: 2 } })
    const [request] = server.requests
    assert.equal(request?.path, '/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse')
    assert.equal(request?.headers['x-goog-api-key'], 'g-test')
    assert.deepEqual(request?.body.systemInstruction, { parts: [{ text: 'Portuguese only.' }] })
    assert.deepEqual(request?.body.contents, [{ role: 'user', parts: [{ text: 'hello' }] }])
  })

  it('wires Ollama’s base URL (and an optional key) to the Ollama package', async (t) => {
    const server = await startFakeLlmServer(t)
    server.script({ text: ['local ', 'answer'], usage: { input: 6, output: 2 } }, { text: ['again'] })
    const ollamaUrl = server.baseUrl.replace(/\/v1$/, '/api')
    const run = await execute(realExecutor({ OLLAMA_BASE_URL: ollamaUrl }), executionRequest({ provider: 'ollama', model: 'qwen3' }))
    assert.deepEqual(run.result, { output: 'local answer', exitCode: 0, usage: { tokensIn: 6, tokensOut: 2 } })
    assert.equal(server.requests[0]?.path, '/api/chat')
    assert.equal(server.requests[0]?.body.model, 'qwen3')
    assert.equal(server.requests[0]?.headers.authorization, undefined)
    await execute(realExecutor({ OLLAMA_BASE_URL: ollamaUrl, OLLAMA_API_KEY: 'olk' }), executionRequest({ provider: 'ollama' }))
    assert.equal(server.requests[1]?.headers.authorization, 'Bearer olk')
    assert.equal(server.requests[1]?.body.model, 'llama3.2')
  })

  it('gives MCP tools to a real provider: the server’s tool call reaches the MCP server', async (t) => {
    const server = await startFakeLlmServer(t)
    const mcp = await startMcpTestServer(t)
    server.script({ toolCalls: [{ id: 'call_9', name: 'add', arguments: { a: 20, b: 22 } }] }, { text: ['42'] })
    const executor = realExecutor({ OPENAI_API_KEY: 'k', OPENAI_BASE_URL: server.baseUrl }, { calc: { url: mcp.url, transport: 'http' } })
    const run = await execute(executor, executionRequest({ mcpServers: ['calc'] }))
    assert.equal(run.result.output, '42')
    assert.deepEqual(mcp.calls, [{ a: 20, b: 22 }])
    const tools = (server.requests[0]!.body.tools as Array<{ function: { name: string } }>).map((tool) => tool.function.name).sort()
    assert.deepEqual(tools, ['add', 'explode'])
    const followUp = server.requests[1]?.body.messages as Array<{ role: string; tool_call_id?: string }>
    assert.equal(followUp.at(-1)?.role, 'tool')
    assert.equal(followUp.at(-1)?.tool_call_id, 'call_9')
  })
})
