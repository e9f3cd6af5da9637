// The gateway serving a single-page app from its own origin (--web-root / WEB_ROOT), driven in a
// real headless Chromium: a deep link loads the app, a refresh keeps it, and the app reaches the
// API and the gamification WebSocket on the same origin. Caching headers and the paths the app
// must never take are checked over plain HTTP.
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium, type Browser } from 'playwright-core'
import { buildTestApp } from './helpers/build-test-app.js'
import { runCli, startGateway } from './helpers/gateway-process.js'
import { createTestDatabase, testDialect, urlWithSchema } from './helpers/test-database.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const ASSET = 'assets/app-4f9c2a1b7d.js'
// Run inside the page (as source text: the test itself has no DOM types).
const SHOWS_ALL = `['route', 'api', 'ws'].every((id) => document.getElementById(id).textContent)`
const SHOWN = `['route', 'api', 'ws'].map((id) => document.getElementById(id).textContent)`
const CLEAR = `for (const id of ['route', 'api', 'ws']) document.getElementById(id).textContent = ''`

/** A tiny app: shows its route, asks the API for health, opens the gamification socket. */
function writeApp(dir: string): void {
  mkdirSync(path.join(dir, 'assets'))
  writeFileSync(
    path.join(dir, 'index.html'),
    `<!doctype html><html><head><title>spa</title><script type="module" src="/${ASSET}"></script></head>
<body><p id="route"></p><p id="api"></p><p id="ws"></p></body></html>`,
  )
  writeFileSync(
    path.join(dir, ASSET),
    `document.getElementById('route').textContent = location.pathname
fetch('/health').then((r) => r.json()).then((body) => { document.getElementById('api').textContent = body.status })
const socket = new WebSocket(\`ws://\${location.host}/ws/gamification\`)
socket.onmessage = (event) => { document.getElementById('ws').textContent = JSON.parse(event.data).type }
`,
  )
  writeFileSync(path.join(dir, 'robots.txt'), 'User-agent: *\n')
}

describe('web root', () => {
  let dir: string
  let base: string
  let browser: Browser
  const closers: Array<() => unknown> = []

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'web-root-'))
    writeApp(dir)
    const { app } = await buildTestApp({ after: (fn) => void closers.push(fn as () => unknown) }, { env: { WEB_ROOT: dir } })
    base = await app.listen({ host: '127.0.0.1', port: 0 })
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  })
  after(async () => {
    await browser?.close()
    for (const close of closers) await close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('opens a deep link, survives a refresh and reaches the API and the WebSocket from the same origin', async () => {
    const page = await browser.newPage()
    try {
      const response = await page.goto(`${base}/screenplays/42/agents?tab=x`)
      assert.equal(response?.status(), 200)
      await page.waitForFunction(SHOWS_ALL)
      const read = () => page.evaluate(SHOWN)
      assert.deepEqual(await read(), ['/screenplays/42/agents', 'healthy', 'connected'])

      await page.evaluate(CLEAR)
      await page.reload()
      await page.waitForFunction(SHOWS_ALL)
      assert.deepEqual(await read(), ['/screenplays/42/agents', 'healthy', 'connected'])
    } finally {
      await page.close()
    }
  })

  it('caches hashed assets for a year and index.html never', async () => {
    const asset = await fetch(`${base}/${ASSET}`)
    assert.equal(asset.status, 200)
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.match(asset.headers.get('content-type') ?? '', /javascript/)

    for (const url of [`${base}/`, `${base}/index.html`, `${base}/some/route`]) {
      const page = await fetch(url, { headers: { accept: 'text/html' } })
      assert.equal(page.status, 200, url)
      assert.equal(page.headers.get('cache-control'), 'no-cache', url)
      assert.match(await page.text(), /<title>spa<\/title>/, url)
    }
    const plain = await fetch(`${base}/robots.txt`)
    assert.equal(plain.headers.get('cache-control'), 'no-cache')
    assert.equal(await plain.text(), 'User-agent: *\n')
  })

  it('keeps the JSON 404 of API, WebSocket and docs paths, and of missing files', async () => {
    for (const p of ['/api/nothing-here', '/api/v1/nothing', '/ws/nothing', '/docs/nothing.json', '/mcp/x', '/metrics/x']) {
      const response = await fetch(`${base}${p}`, { headers: { accept: 'text/html' } })
      assert.equal(response.status, 404, p)
      assert.equal(typeof ((await response.json()) as { detail?: unknown }).detail, 'string', p)
    }
    // A script is asked for with Accept: */*: a missing one gets the 404, not the page.
    const script = await fetch(`${base}/assets/missing-12345678.js`)
    assert.equal(script.status, 404)
    assert.deepEqual(await script.json(), { detail: 'Not Found' })
    // Existing API routes are untouched.
    assert.equal((await fetch(`${base}/health`)).status, 200)
    assert.equal((await fetch(`${base}/openapi.json`)).status, 200)
  })

  it('serves nothing outside the web root', async () => {
    for (const p of ['/..%2f..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2f..%2fetc%2fpasswd']) {
      const body = await (await fetch(`${base}${p}`)).text()
      assert.doesNotMatch(body, /root:/, p)
    }
  })
})

describe('--web-root', () => {
  it('serves the directory it names, relative to the working directory', async (t) => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'web-root-cli-'))
    t.after(() => rmSync(cwd, { recursive: true, force: true }))
    mkdirSync(path.join(cwd, 'web'))
    writeFileSync(path.join(cwd, 'web', 'index.html'), '<title>from the flag</title>')
    let database = { DATABASE_URL: `sqlite:${path.join(cwd, 'gw.db')}` }
    if (testDialect() === 'postgres') {
      const db = await createTestDatabase()
      t.after(() => db.drop())
      database = { DATABASE_URL: urlWithSchema(db.url, db.schema!) }
    }
    const gateway = await startGateway({ cwd, env: database, args: ['--web-root', 'web'] })
    t.after(() => gateway.stop('SIGKILL'))
    const page = await fetch(`${gateway.url}/screenplays/1`, { headers: { accept: 'text/html' } })
    assert.equal(page.status, 200)
    assert.equal(await page.text(), '<title>from the flag</title>')
  })

  it('refuses to start on a directory without index.html, in one line', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'web-root-cli-'))
    try {
      const missing = await runCli(['serve', '--web-root', 'nowhere'], { cwd })
      assert.equal(missing.code, 2)
      assert.equal(missing.stderr, `conductor-gateway: web root ${path.join(cwd, 'nowhere')} does not exist\n`)
      mkdirSync(path.join(cwd, 'empty'))
      const empty = await runCli(['serve', '--web-root', 'empty'], { cwd })
      assert.equal(empty.code, 2)
      assert.match(empty.stderr, /has no index\.html/)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})
