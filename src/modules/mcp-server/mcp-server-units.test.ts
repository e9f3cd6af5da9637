// The MCP server's pure parts: the origin/host rules, the secret-free configuration, the shipped templates.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { testConfig } from '../../../test/helpers/build-test-app.js'
import { refusalOf } from './origin-guard.js'
import { parseTemplate, PERSONA_TEMPLATES } from './persona-templates.js'
import { publicConfig, withoutCredentials } from './tools/system-tools.js'

describe('origin and host rules', () => {
  const loopback = { bindHost: '127.0.0.1', corsOrigins: ['https://app.example.com'], allowedHosts: ['Gateway.Local'] }
  const everywhere = { bindHost: '0.0.0.0', corsOrigins: [], allowedHosts: [] }

  it('on loopback: local Host names only, local or configured origins', () => {
    assert.equal(refusalOf(loopback, { host: 'localhost:5006' }), undefined)
    assert.equal(refusalOf(loopback, { host: '127.0.0.1:5006', origin: 'http://localhost:3000' }), undefined)
    assert.equal(refusalOf(loopback, { host: '[::1]:5006' }), undefined)
    assert.equal(refusalOf(loopback, { host: 'gateway.local:5006', origin: 'http://gateway.local' }), undefined, 'allowed_hosts, any case')
    assert.equal(refusalOf(loopback, { host: 'localhost:5006', origin: 'https://app.example.com' }), undefined, 'cors_origins')
    assert.match(refusalOf(loopback, { host: 'evil.example.com:5006' }) ?? '', /Host/)
    assert.match(refusalOf(loopback, { host: 'localhost:5006', origin: 'http://evil.example.com' }) ?? '', /Origin/)
    assert.match(refusalOf(loopback, {}) ?? '', /Host/)
  })

  it('on other addresses: any Host, but only the same origin or configured ones', () => {
    assert.equal(refusalOf(everywhere, { host: 'gw.example.com' }), undefined)
    assert.equal(refusalOf(everywhere, { host: 'gw.example.com', origin: 'https://gw.example.com' }), undefined)
    assert.match(refusalOf(everywhere, { host: 'gw.example.com', origin: 'http://localhost:3000' }) ?? '', /Origin/)
    assert.match(refusalOf(everywhere, { host: 'gw.example.com', origin: 'not a url' }) ?? '', /Origin/)
  })
})

describe('get_system_config', () => {
  it('reports keys as set or not and strips credentials from URLs', () => {
    const config = testConfig(
      { ANTHROPIC_API_KEY: 'sk-ant-secret', INTERNAL_TOKEN: 'internal-token-0123456789' },
      'postgres://app:hunter2@db:5432/gw?sslmode=require',
    )
    const shown = JSON.stringify(publicConfig(config, 'postgres'))
    for (const secret of ['sk-ant-secret', 'internal-token-0123456789', 'hunter2', 'sslmode']) assert.ok(!shown.includes(secret), secret)
    assert.match(shown, /"anthropic":\{"api_key_set":true/)
    assert.match(shown, /"url":"postgres:\/\/db:5432\/gw"/)
    assert.equal(withoutCredentials('sqlite:./data/gw.db'), 'sqlite:./data/gw.db')
  })
})

describe('agent templates', () => {
  it('ship several valid personas with distinct ids', () => {
    assert.ok(PERSONA_TEMPLATES.length >= 3)
    assert.equal(new Set(PERSONA_TEMPLATES.map((t) => t.agentId)).size, PERSONA_TEMPLATES.length)
    for (const t of PERSONA_TEMPLATES) assert.match(t.personaContent, /^# /, `${t.agentId} opens with a heading`)
  })

  it('refuse a file without front matter or persona, naming the file', () => {
    assert.throws(() => parseTemplate('a.md', '# No front matter'), /a\.md: expected a YAML front matter/)
    assert.throws(() => parseTemplate('b.md', '---\nagent_id: B\nname: B\nemoji: x\ndescription: d\n---\n  \n'), /b\.md: the persona is empty/)
  })
})
