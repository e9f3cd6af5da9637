// A full scenario with known secrets (API keys, the watcher token, the session secret, a JWT,
// provider keys, an MCP server's credential) at trace level: no log line contains any of them.
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, it } from 'node:test'
import { WebSocket } from 'ws'
import { createLogger } from '../../src/platform/logger.js'
import { createRoleKeys } from '../helpers/api-keys.js'
import { buildTestApp, listen } from '../helpers/build-test-app.js'
import { startFakeLlmServer } from '../helpers/fake-llm-server.js'

const INTERNAL_TOKEN = 'watcher-secret-0123456789abcdef'
const SESSION_SECRET = 'session-secret-0123456789abcdef0123456789'
const OPENAI_KEY = 'sk-openai-secret-0123456789'
const ANTHROPIC_KEY = 'sk-ant-secret-0123456789'
const MCP_TOKEN = 'mcp-secret-0123456789'

describe('secrets in logs', () => {
  it('no log line carries a key, token or credential', async (t) => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean))
        done()
      },
    })
    const llm = await startFakeLlmServer(t)
    llm.script({ text: ['Hello'], usage: { input: 1, output: 1 } })
    const { app, deps } = await buildTestApp(t, {
      logger: createLogger('trace', sink),
      env: {
        AUTH_MODE: 'api_key',
        INTERNAL_TOKEN,
        AUTH_SESSION_SECRET: SESSION_SECRET,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: llm.baseUrl,
        ANTHROPIC_API_KEY: ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL: llm.baseUrl,
        MCP_SERVERS: `crm=http://127.0.0.1:9/mcp?token=${MCP_TOKEN}`,
      },
    })
    const keys = await createRoleKeys(deps)
    const url = await listen(app)
    const json = (key: string) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` })

    // Content and runs with a key in each accepted form.
    assert.equal((await fetch(`${url}/api/screenplays`, { headers: { 'x-api-key': keys.user } })).status, 200)
    const ok = await fetch(`${url}/api/runs`, {
      method: 'POST',
      headers: json(keys.user),
      body: JSON.stringify({ input: 'hi', ai_provider: 'openai', model: 'm', wait: true }),
    })
    assert.ok(ok.status < 300, await ok.clone().text())
    // Runs that fail: no scripted answer (the provider errors), an unreachable MCP server with a credential in its URL.
    for (const body of [
      { input: 'hi', ai_provider: 'anthropic', model: 'm', wait: true },
      { input: 'hi', ai_provider: 'openai', model: 'm', mcp_servers: ['crm'], wait: true },
    ]) {
      const res = await fetch(`${url}/api/runs`, { method: 'POST', headers: json(keys.admin), body: JSON.stringify(body) })
      assert.ok(res.status < 500, await res.text())
    }
    // A login-page session, used for a write.
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ credential: keys.user }),
    })
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const write = await fetch(`${url}/api/screenplays`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: url },
      body: JSON.stringify({ name: 'Logged', content: '# x' }),
    })
    assert.equal(write.status, 201)
    // The watcher: its token as a header, as a bearer token and in the WebSocket's query string.
    const event = await fetch(`${url}/api/internal/task-event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-internal-token': INTERNAL_TOKEN },
      body: JSON.stringify({ type: 'task_picked', data: {} }),
    })
    assert.equal(event.status, 200)
    const watcher = new WebSocket(`${url.replace('http', 'ws')}/ws/agent-stream?token=${INTERNAL_TOKEN}`)
    await new Promise((resolve, reject) => watcher.once('open', resolve).once('error', reject))
    watcher.close()
    // Wrong credentials that resemble the right ones.
    for (const bad of [`${keys.user}x`, `${INTERNAL_TOKEN}x`]) {
      assert.equal((await fetch(`${url}/api/screenplays`, { headers: { authorization: `Bearer ${bad}` } })).status, 401)
    }
    assert.equal((await fetch(`${url}/api/screenplays?token=${keys.admin}`)).status, 401)

    assert.ok(lines.length > 20, `only ${lines.length} log lines`)
    const secrets = [INTERNAL_TOKEN, SESSION_SECRET, OPENAI_KEY, ANTHROPIC_KEY, MCP_TOKEN, cookie.split('=')[1]!, ...Object.values(keys)]
    for (const secret of secrets) {
      const leaks = lines.filter((line) => line.includes(secret) || line.includes(secret.slice(4, 20)))
      assert.deepEqual(leaks, [], `a log line contains ${secret.slice(0, 6)}…`)
    }
  })
})
