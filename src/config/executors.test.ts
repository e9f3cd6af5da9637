import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { loadConfig } from '../config.js'

function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'gw-config-exec-'))
}

describe('executor settings', () => {
  it('has defaults that need no keys: no API keys, provider default models, local ollama and Conductor', () => {
    const config = loadConfig({ env: {}, cwd: tempDir() })
    assert.deepEqual(config.providers.openai, { apiKey: null, baseUrl: null, defaultModel: 'gpt-4.1-mini', api: 'chat' })
    assert.deepEqual(config.providers.ollama, { apiKey: null, baseUrl: 'http://127.0.0.1:11434/api', defaultModel: 'llama3.2' })
    assert.equal(config.providers.anthropic.apiKey, null)
    assert.deepEqual(config.llm, { maxSteps: 10, maxRetries: 2 })
    assert.deepEqual(config.cli, {
      claudeCommand: 'claude',
      geminiCommand: 'gemini',
      cursorAgentCommand: 'cursor-agent',
      skipPermissions: false,
      killGraceMs: 5000,
    })
    assert.deepEqual(config.conductor, { apiUrl: 'http://localhost:8000' })
    assert.deepEqual(config.mcp.servers, {})
  })

  it('takes keys, base URLs and commands from the environment', () => {
    const config = loadConfig({
      cwd: tempDir(),
      env: {
        OPENAI_API_KEY: 'sk-1',
        OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1',
        ANTHROPIC_API_KEY: 'sk-ant',
        GROQ_API_KEY: 'gsk',
        FIREWORKS_API_KEY: 'fw',
        GOOGLE_GENERATIVE_AI_API_KEY: 'g',
        GOOGLE_BASE_URL: 'http://127.0.0.1:9001/v1beta',
        OLLAMA_BASE_URL: 'http://gpu-box:11434/api',
        CLAUDE_COMMAND: '/opt/bin/claude',
        CLI_SKIP_PERMISSIONS: 'true',
        CONDUCTOR_API_URL: 'http://conductor:8000/',
      },
    })
    assert.equal(config.providers.openai.apiKey, 'sk-1')
    assert.equal(config.providers.openai.baseUrl, 'http://127.0.0.1:9000/v1')
    assert.equal(config.providers.anthropic.apiKey, 'sk-ant')
    assert.equal(config.providers.groq.apiKey, 'gsk')
    assert.equal(config.providers.fireworks.apiKey, 'fw')
    assert.equal(config.providers.google.apiKey, 'g')
    assert.equal(config.providers.google.baseUrl, 'http://127.0.0.1:9001/v1beta')
    assert.equal(config.providers.ollama.baseUrl, 'http://gpu-box:11434/api')
    assert.equal(config.cli.claudeCommand, '/opt/bin/claude')
    assert.equal(config.cli.skipPermissions, true)
    assert.equal(config.conductor.apiUrl, 'http://conductor:8000', 'a trailing slash is dropped')
  })

  it('reads MCP servers from MCP_SERVERS (name=url,…) and from YAML, guessing SSE from a /sse path', () => {
    const cwd = tempDir()
    const fromEnv = loadConfig({ cwd, env: { MCP_SERVERS: 'crm=http://crm:9000/sse, docs=http://docs:9001/mcp' } })
    assert.deepEqual(fromEnv.mcp.servers, {
      crm: { url: 'http://crm:9000/sse', transport: 'sse' },
      docs: { url: 'http://docs:9001/mcp', transport: 'http' },
    })
    writeFileSync(
      path.join(cwd, 'config.yaml'),
      'mcp:\n  servers:\n    legacy: { url: "http://legacy:1/events", transport: sse }\n    plain: http://plain:2/mcp\n',
    )
    const fromFile = loadConfig({ cwd, env: {} })
    assert.deepEqual(fromFile.mcp.servers, {
      legacy: { url: 'http://legacy:1/events', transport: 'sse' },
      plain: { url: 'http://plain:2/mcp', transport: 'http' },
    })
  })

  it('names the key and its source when a URL is invalid', () => {
    const cwd = tempDir()
    assert.throws(
      () => loadConfig({ cwd, env: { OPENAI_BASE_URL: 'api.openai.com' } }),
      /providers\.openai\.base_url \(from environment variable OPENAI_BASE_URL\): must be an http\(s\) URL/,
    )
    assert.throws(() => loadConfig({ cwd, env: { MCP_SERVERS: 'crm=not-a-url' } }), /mcp\.servers\.crm \(from environment variable MCP_SERVERS\)/)
    assert.throws(() => loadConfig({ cwd, env: { OPENAI_API: 'completions' } }), /providers\.openai\.api/)
  })
})
