// The three auth modes, the login-page session (and its CSRF rule), the MCP bearer rules and the
// route declaration rule.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { describe, it } from 'node:test'
import Fastify from 'fastify'
import { exportJWK, generateKeyPair, SignJWT } from 'jose'
import { assertMayActFor } from '../../src/modules/auth/sidecar.js'
import { installAuthHook } from '../../src/modules/auth/auth-hook.js'
import { installAccessCheck, withAccess } from '../../src/platform/http/access.js'
import { bearer, createRoleKeys } from '../helpers/api-keys.js'
import { buildTestApp } from '../helpers/build-test-app.js'

const SECRET = 'an-hs256-secret-of-at-least-32-chars!'

async function hs256(claims: Record<string, unknown>, options: { secret?: string; audience?: string; issuer?: string; expires?: string } = {}) {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuedAt()
    .setExpirationTime(options.expires ?? '5m')
  if (options.audience) jwt = jwt.setAudience(options.audience)
  if (options.issuer) jwt = jwt.setIssuer(options.issuer)
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET))
}

describe('auth.mode api_key', () => {
  it('takes a key as Bearer or X-API-Key, refuses unknown and revoked keys, and keeps public routes open', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const keys = await createRoleKeys(deps)
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200)
    const none = await app.inject({ url: '/api/screenplays' })
    assert.equal(none.statusCode, 401)
    assert.match(none.json().detail, /X-API-Key/)
    assert.equal((await app.inject({ url: '/api/screenplays', headers: bearer(keys.user) })).statusCode, 200)
    assert.equal((await app.inject({ url: '/api/screenplays', headers: { 'x-api-key': keys.user } })).statusCode, 200)
    const unknown = await app.inject({ url: '/api/screenplays', headers: bearer(`cgk_${'A'.repeat(43)}`) })
    assert.equal(unknown.statusCode, 401)
    assert.match(unknown.headers['www-authenticate'] as string, /error="invalid_token"/)
    const [userKey] = (await deps.auth.keys.list()).filter((k) => k.role === 'user')
    assert.ok(await deps.auth.keys.revoke(userKey!.id))
    assert.equal((await app.inject({ url: '/api/screenplays', headers: bearer(keys.user) })).statusCode, 401)
    const me = await app.inject({ url: '/api/auth/me', headers: bearer(keys.admin) })
    assert.deepEqual(me.json().roles, ['admin'])
  })

  it('stores only a hash of each key', async (t) => {
    const { deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const { key } = await deps.auth.keys.create({ role: 'user' })
    const rows = await deps.database.db.selectFrom('api_keys').selectAll().execute()
    assert.equal(rows.length, 1)
    assert.ok(!JSON.stringify(rows).includes(key.slice(4)))
  })
})

describe('auth.mode jwt', () => {
  it('HS256: accepts a valid token with a role, checks audience, issuer and expiry', async (t) => {
    const env = { AUTH_MODE: 'jwt', AUTH_JWT_SECRET: SECRET, AUTH_JWT_AUDIENCE: 'gateway', AUTH_JWT_ISSUER: 'https://id.example' }
    const { app } = await buildTestApp(t, { env })
    const good = { audience: 'gateway', issuer: 'https://id.example' }
    const ok = await app.inject({ url: '/api/auth/me', headers: bearer(await hs256({ role: 'user' }, good)) })
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(ok.json(), { subject: 'jwt:alice', roles: ['user'], via: 'jwt' })
    const roles = await app.inject({ url: '/api/auth/me', headers: bearer(await hs256({ role: ['watcher', 'user'] }, good)) })
    assert.deepEqual(roles.json().roles, ['watcher', 'user'])
    const refusals: Array<[string, RegExp]> = [
      [await hs256({ role: 'user' }, { ...good, audience: 'other' }), /aud/],
      [await hs256({ role: 'user' }, { ...good, issuer: 'https://evil.example' }), /iss/],
      [await hs256({ role: 'user' }, { ...good, expires: '-1m' }), /expired/],
      [await hs256({ role: 'user' }, { ...good, secret: 'another-secret-of-at-least-32-chars!!' }), /signature/],
      [await hs256({ role: 'emperor' }, good), /no known role/],
      ['not.a.jwt', /malformed/],
    ]
    for (const [token, reason] of refusals) {
      const res = await app.inject({ url: '/api/auth/me', headers: bearer(token) })
      assert.equal(res.statusCode, 401, String(reason))
      assert.match(res.json().detail, reason)
    }
    const watcherOnly = await app.inject({ url: '/api/screenplays', headers: bearer(await hs256({ role: 'watcher' }, good)) })
    assert.equal(watcherOnly.statusCode, 403)
    const viaApiKeyHeader = await app.inject({ url: '/api/auth/me', headers: { 'x-api-key': await hs256({ role: 'user' }, good) } })
    assert.equal(viaApiKeyHeader.statusCode, 401)
  })

  it('OIDC: verifies tokens with the issuer’s JWKS (fetched over HTTP) and refuses other issuers’ keys', async (t) => {
    const { publicKey, privateKey } = await generateKeyPair('RS256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
    const server = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.after(() => server.close())
    const jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`
    const env = { AUTH_MODE: 'jwt', AUTH_JWT_JWKS_URL: jwksUrl, AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: 'gateway' }
    const { app } = await buildTestApp(t, { env })
    const sign = (key: Parameters<SignJWT['sign']>[0], kid = 'k1', audience = 'gateway') =>
      new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setSubject('ops')
        .setIssuer('https://id.example')
        .setAudience(audience)
        .setExpirationTime('5m')
        .sign(key)
    assert.equal((await app.inject({ url: '/api/auth/me', headers: bearer(await sign(privateKey)) })).statusCode, 200)
    assert.equal((await app.inject({ url: '/api/auth/me', headers: bearer(await sign(privateKey, 'k1', 'elsewhere')) })).statusCode, 401)
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    assert.equal((await app.inject({ url: '/api/auth/me', headers: bearer(await sign(stranger)) })).statusCode, 401)
    // An HS256 token signed with the public key's bytes must not pass as RS256 (algorithm confusion).
    const confused = await hs256({ role: 'admin' }, { secret: JSON.stringify(jwk), audience: 'gateway', issuer: 'https://id.example' })
    assert.equal((await app.inject({ url: '/api/auth/me', headers: bearer(confused) })).statusCode, 401)
  })
})

describe('auth.mode none', () => {
  it('lets anyone use the content routes but the watcher channels still need the INTERNAL_TOKEN', async (t) => {
    const { app } = await buildTestApp(t)
    assert.equal((await app.inject({ url: '/api/screenplays' })).statusCode, 200)
    const watcher = await app.inject({ method: 'POST', url: '/api/internal/task-event', payload: { type: 'task_picked' } })
    assert.equal(watcher.statusCode, 401)
  })
})

describe('login-page sessions', () => {
  it('trades a key for an HttpOnly SameSite cookie; writes need the same origin; a revoked key ends the session', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const keys = await createRoleKeys(deps)
    assert.match((await app.inject({ url: '/login' })).body, /<form method="post" action="\/login">/)
    const wrong = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { credential: 'cgk_nope' } })
    assert.equal(wrong.statusCode, 401)
    const login = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { credential: keys.user } })
    assert.equal(login.statusCode, 200)
    const setCookie = login.headers['set-cookie'] as string
    assert.match(setCookie, /^cg_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/)
    const cookie = setCookie.split(';')[0]!
    assert.equal((await app.inject({ url: '/api/screenplays', headers: { cookie } })).statusCode, 200)
    const body = { name: 'From the browser', content: '# Hi' }
    const crossSite = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      payload: body,
      headers: { cookie, origin: 'https://evil.example' },
    })
    assert.equal(crossSite.statusCode, 403)
    assert.match(crossSite.json().detail, /Cross-site/)
    const noOrigin = await app.inject({ method: 'POST', url: '/api/screenplays', payload: body, headers: { cookie } })
    assert.equal(noOrigin.statusCode, 403)
    const sameOrigin = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      payload: body,
      headers: { cookie, origin: 'http://localhost:80' },
    })
    assert.equal(sameOrigin.statusCode, 201, sameOrigin.body)
    const fetchMeta = await app.inject({
      method: 'POST',
      url: '/api/screenplays',
      payload: { ...body, name: 'Second' },
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
    })
    assert.equal(fetchMeta.statusCode, 201)
    await assert.rejects(app.injectWS('/ws/gamification', { headers: { cookie, origin: 'https://evil.example' } }), /403/)
    const forged = `${cookie.slice(0, -3)}abc`
    assert.equal((await app.inject({ url: '/api/screenplays', headers: { cookie: forged } })).statusCode, 401)
    const [userKey] = (await deps.auth.keys.list()).filter((k) => k.role === 'user')
    await deps.auth.keys.revoke(userKey!.id)
    assert.equal((await app.inject({ url: '/api/screenplays', headers: { cookie } })).statusCode, 401)
  })

  it('the form works without JavaScript: urlencoded post, 303 to /', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const keys = await createRoleKeys(deps)
    const res = await app.inject({
      method: 'POST',
      url: '/login',
      payload: `credential=${encodeURIComponent(keys.user)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    assert.equal(res.statusCode, 303)
    assert.equal(res.headers.location, '/')
    assert.match(res.headers['set-cookie'] as string, /HttpOnly; SameSite=Strict/)
    const bad = await app.inject({
      method: 'POST',
      url: '/login',
      payload: 'credential=nope',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    assert.equal(bad.statusCode, 401)
    assert.match(bad.body, /Invalid or revoked API key/)
  })
})

describe('MCP authorization (2025-06-18)', () => {
  it('bearer-only routes: 401 with WWW-Authenticate naming the protected-resource metadata; other credential forms do not count', async (t) => {
    const { app, deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const keys = await createRoleKeys(deps)
    // The helper the /mcp routes use: config { access, bearerOnly: true }. A dummy route stands in.
    const probe = Fastify()
    installAccessCheck(probe)
    const { installAuthHook } = await import('../../src/modules/auth/auth-hook.js')
    installAuthHook(probe, { authenticator: deps.auth.authenticator, trustedOrigins: [] })
    probe.post('/mcp', { config: { access: 'user', bearerOnly: true } }, async () => ({ jsonrpc: '2.0' }))
    await probe.ready()
    t.after(() => probe.close())
    const none = await probe.inject({ method: 'POST', url: '/mcp', headers: { host: 'gw.example' } })
    assert.equal(none.statusCode, 401)
    assert.equal(
      none.headers['www-authenticate'],
      'Bearer realm="conductor-gateway", resource_metadata="http://gw.example/.well-known/oauth-protected-resource"',
    )
    assert.equal((await probe.inject({ method: 'POST', url: '/mcp', headers: { 'x-api-key': keys.user } })).statusCode, 401)
    assert.equal((await probe.inject({ method: 'POST', url: '/mcp', headers: bearer(keys.user) })).statusCode, 200)
    const metadata = await app.inject({ url: '/.well-known/oauth-protected-resource/mcp', headers: { host: 'gw.example' } })
    assert.deepEqual(metadata.json(), {
      resource: 'http://gw.example/mcp',
      authorization_servers: [],
      bearer_methods_supported: ['header'],
      resource_name: 'Conductor Gateway',
    })
  })

  it('an mcp-sidecar credential acts only for its own server name', async () => {
    const sidecar = { subject: 'key:k1', roles: ['mcp-sidecar'] as const, via: 'api_key' as const, boundName: 'crm' }
    assert.doesNotThrow(() => assertMayActFor(sidecar, 'crm'))
    assert.throws(() => assertMayActFor(sidecar, 'billing'), /only for the MCP server 'crm', not 'billing'/)
    assert.throws(() => assertMayActFor({ ...sidecar, roles: ['user'] }, 'crm'), /Only admin or mcp-sidecar/)
    assert.doesNotThrow(() => assertMayActFor({ subject: 'key:a', roles: ['admin'], via: 'api_key' }, 'anything'))
  })
})

describe('route access declarations', () => {
  it('a route without a declared access stops the app at start-up, naming the route', async () => {
    const app = Fastify()
    installAccessCheck(app)
    await app.register(withAccess('user', async (scope) => scope.get('/declared', async () => 'ok')))
    app.get('/forgotten', async () => 'oops')
    await assert.rejects(async () => void (await app.ready()), /routes without a declared access: GET \/forgotten.*withAccess/)
  })

  it('a plugin default applies to each of its routes; a route’s own access wins', async () => {
    const app = Fastify()
    installAccessCheck(app)
    const seen: Record<string, unknown> = {}
    app.addHook('onRequest', async (req) => {
      seen[req.url] = req.routeOptions.config.access
    })
    await app.register(
      withAccess('user', async (scope) => {
        scope.get('/a', async () => 'a')
        scope.get('/b', { config: { access: 'admin' } }, async () => 'b')
      }),
    )
    await app.ready()
    await app.inject({ url: '/a' })
    await app.inject({ url: '/b' })
    await app.inject({ method: 'HEAD', url: '/a' })
    assert.deepEqual(seen, { '/a': 'user', '/b': 'admin' })
  })

  it('is settled when the route is added, so later hooks (the auth gate) read it; the nearest default wins', async () => {
    const app = Fastify()
    installAccessCheck(app)
    const settled: Record<string, unknown> = {}
    app.addHook('onRoute', (route) => {
      if (route.method !== 'HEAD') settled[`${route.method} ${route.url}`] = route.config?.access
    })
    await app.register(
      withAccess('user', async (scope) => {
        scope.get('/outer', async () => 'outer')
        await scope.register(async (nested) => void nested.get('/nested', async () => 'nested'))
        await scope.register(withAccess('watcher', async (inner) => void inner.get('/inner', async () => 'inner')))
        scope.options('/outer', async () => 'preflight')
      }),
    )
    app.get('/top', { config: { access: 'admin' } }, async () => 'top')
    await app.ready()
    assert.deepEqual(settled, {
      'GET /outer': 'user',
      'GET /nested': 'user',
      'GET /inner': 'watcher',
      'OPTIONS /outer': 'public',
      'GET /top': 'admin',
    })
  })

  it('refuses to add a route whose access is not settled when the auth gate sees it, instead of leaving it ungated', async (t) => {
    const { deps } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const misordered = Fastify()
    installAuthHook(misordered, { authenticator: deps.auth.authenticator, trustedOrigins: [] })
    installAccessCheck(misordered)
    await assert.rejects(async () => {
      await misordered.register(withAccess('user', async (scope) => void scope.get('/guarded', async () => 'secret')))
      await misordered.ready()
    }, /GET \/guarded has no declared access when the auth gate is added/)
    const undeclared = Fastify()
    installAccessCheck(undeclared)
    installAuthHook(undeclared, { authenticator: deps.auth.authenticator, trustedOrigins: [] })
    assert.throws(() => undeclared.get('/forgotten', async () => 'oops'), /GET \/forgotten has no declared access/)
  })

  it('puts no gate on public routes and one on every other', async (t) => {
    const { app } = await buildTestApp(t, { env: { AUTH_MODE: 'api_key' } })
    const hooks = app.printRoutes({ includeHooks: true, commonPrefix: false })
    const onRequestOf = (route: string) => {
      const at = hooks.indexOf(`── ${route} (`)
      return (hooks.slice(at).match(/• \(onRequest\) (\[.*\])/)?.[1] ?? '').split(',').length
    }
    assert.equal(onRequestOf('/api/screenplays'), onRequestOf('/health') + 1)
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200)
    assert.equal((await app.inject({ url: '/api/screenplays' })).statusCode, 401)
  })
})
