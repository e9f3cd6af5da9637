import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { OutboundPolicy } from '../../src/platform/outbound.js'

describe('OutboundPolicy (security.allowed_outbound_hosts)', () => {
  const policy = new OutboundPolicy(['mcp.internal', 'tools.example.com:8443', '*.corp.example'], ['http://localhost:8000'])

  it('allows listed hosts, ports, subdomains and the operator’s own configured URLs', () => {
    for (const url of [
      'http://mcp.internal/sse',
      'https://mcp.internal:443/mcp',
      'https://tools.example.com:8443/mcp',
      'http://a.corp.example/x',
      'http://deep.a.corp.example/x',
      'http://localhost:8000/agents/x/execute',
    ]) {
      assert.doesNotThrow(() => policy.check(url, 'url'), url)
    }
  })

  it('refuses everything else with a 400 naming the setting', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:5006/api/runs',
      'https://tools.example.com/mcp',
      'http://corp.example/x',
      'http://evilcorp.example/x',
      'http://mcp.internal.evil.com/x',
      'http://localhost:9000/',
      'file:///etc/passwd',
      'not a url',
    ]) {
      assert.throws(
        () => policy.check(url, 'url'),
        (err: Error & { status?: number }) => err.status === 400,
        url,
      )
    }
    assert.throws(() => policy.check('http://10.0.0.1/', 'url'), /ALLOWED_OUTBOUND_HOSTS/)
  })

  it('allows nothing when nothing is configured', () => {
    assert.throws(() => new OutboundPolicy([]).check('https://example.com', 'url'), /not in security.allowed_outbound_hosts/)
  })
})
