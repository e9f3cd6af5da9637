// GET /mcp/mesh over real HTTP: off by default, and when on, the sidecars that answer /health with
// JSON on the configured port range.
import assert from 'node:assert/strict'
import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it, type TestContext } from 'node:test'
import { buildTestApp, listen, testConfig } from '../../../test/helpers/build-test-app.js'
import { closedPort } from '../../../test/helpers/fake-conductor.js'
import { httpJson } from '../../../test/helpers/http-json.js'
import { systemClock } from '../../platform/clock.js'
import { McpMesh } from './mesh.js'

async function sidecar(t: TestContext, handler: RequestListener): Promise<number> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as AddressInfo).port
}

async function meshOf(t: TestContext, env: Record<string, string>) {
  const { app } = await buildTestApp(t, { env })
  return httpJson(await listen(app)).call('GET', '/mcp/mesh')
}

const rangeOf = (port: number) => ({
  MCP_MESH_ENABLED: 'true',
  MCP_MESH_HOST: '127.0.0.1',
  MCP_MESH_PORT_FROM: String(port),
  MCP_MESH_PORT_TO: String(port),
})

describe('GET /mcp/mesh', () => {
  it('is off by default: an empty answer that says how to turn it on', async (t) => {
    const res = await meshOf(t, {})
    assert.equal(res.status, 200)
    assert.deepEqual([res.body.mesh_nodes, res.body.total_active, res.body.enabled], [[], 0, false])
    assert.match(res.body.message, /MCP_MESH_ENABLED=true/)
  })

  it('lists a sidecar that answers /health with JSON on the scanned range', async (t) => {
    const port = await sidecar(t, (req, res) => {
      if (req.url !== '/health') return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'crm', tools_count: 4 }))
    })
    const res = await meshOf(t, rangeOf(port))
    assert.equal(res.status, 200)
    assert.equal(res.body.enabled, true)
    assert.equal(res.body.total_active, 1)
    const [node] = res.body.mesh_nodes
    assert.deepEqual([node.name, node.url, node.status, node.tools_count], ['crm', `http://127.0.0.1:${port}/sse`, 'healthy', 4])
    assert.equal(typeof node.latency_ms, 'number')
  })

  it('skips ports that answer anything but 200 JSON, and closed ones', async (t) => {
    const failing = await sidecar(t, (_req, res) => void res.writeHead(500).end('{}'))
    const notJson = await sidecar(t, (_req, res) => void res.writeHead(200).end('hello'))
    for (const port of [failing, notJson, await closedPort()]) {
      const res = await meshOf(t, rangeOf(port))
      assert.deepEqual(res.body.mesh_nodes, [], `port ${port}`)
    }
  })

  it('refuses a port range that is backwards or longer than 1024 ports at startup', () => {
    for (const [from, to] of [
      ['13010', '13000'],
      ['10000', '12000'],
    ]) {
      const config = testConfig({ MCP_MESH_PORT_FROM: from!, MCP_MESH_PORT_TO: to! })
      assert.throws(() => new McpMesh(config.mcp_mesh, systemClock), /at most 1024 ports/)
    }
  })
})
