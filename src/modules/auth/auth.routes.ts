// The login page for the same-origin web client (a key or token in, an HttpOnly SameSite=Strict
// session cookie out), logout, who-am-I, and the OAuth protected-resource metadata MCP clients
// read after a 401.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { BadRequestError } from '../../platform/http/errors.js'
import { tooManyRequests, WindowCounter } from '../../platform/http/limits.js'
import { publicOrigin, RESOURCE_METADATA_PATH } from './auth-hook.js'
import type { Authenticator } from './authenticator.js'
import type { Principal } from './principal.js'
import { SESSION_COOKIE, type SessionCookies } from './sessions.js'

export interface AuthRoutesOptions {
  authenticator: Authenticator
  sessions: SessionCookies
  sessionTtlMs: number
  loginPerMinute: number
  /** The JWT issuer, advertised as the authorization server (mode jwt). */
  issuer: string | null
  now: () => number
}

const tags = ['auth']
const LoginBody = z.object({ credential: z.string().min(1).max(8192).describe('An API key (mode api_key) or a JWT (mode jwt)') })
const WhoAmIDto = z.object({ subject: z.string(), roles: z.array(z.string()), via: z.string() })
const OkDto = z.object({ success: z.literal(true) })

export const authRoutes: FastifyPluginAsyncZod<AuthRoutesOptions> = async (app, options) => {
  const attempts = new WindowCounter(options.loginPerMinute, 60_000, options.now)
  const { authenticator, sessions } = options

  // The login form posts urlencoded (it works without JavaScript); only these routes read that.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16_384 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)))
  })

  const login = async (req: FastifyRequest, reply: FastifyReply, credential: string): Promise<Principal> => {
    const wait = attempts.take(`ip:${req.ip}`)
    if (wait > 0) {
      void reply.header('retry-after', String(wait))
      throw tooManyRequests(`Too many login attempts from this address; retry in ${wait} s`)
    }
    if (authenticator.mode === 'none') throw new BadRequestError('This gateway runs without authentication (auth.mode none): no login needed')
    const principal = await authenticator.fromCredential(credential.trim())
    const now = options.now()
    const expiresAt = Math.min(now + options.sessionTtlMs, principal.expiresAt ?? Number.POSITIVE_INFINITY)
    const cookie = sessions.seal({
      subject: principal.subject,
      roles: [...principal.roles],
      ...(principal.keyId && { keyId: principal.keyId }),
      ...(principal.boundName && { boundName: principal.boundName }),
      expiresAt,
    })
    const secure = req.protocol === 'https' ? '; Secure' : ''
    const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000))
    void reply.header('set-cookie', `${SESSION_COOKIE}=${cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`)
    void reply.header('cache-control', 'no-store')
    return principal
  }

  app.get('/login', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(loginPage(authenticator.mode)),
  )

  app.post('/login', { config: { access: 'public' }, bodyLimit: 16_384, schema: { hide: true, body: LoginBody } }, async (req, reply) => {
    try {
      await login(req, reply, req.body.credential)
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400
      return reply
        .code(status)
        .type('text/html; charset=utf-8')
        .send(loginPage(authenticator.mode, (err as Error).message))
    }
    return reply.code(303).header('location', '/').send()
  })

  app.post(
    '/api/auth/login',
    {
      config: { access: 'public' },
      bodyLimit: 16_384,
      schema: {
        tags,
        summary: 'Trade an API key or JWT for a session cookie (HttpOnly, SameSite=Strict)',
        body: LoginBody,
        response: { 200: WhoAmIDto },
      },
    },
    async (req, reply) => {
      const principal = await login(req, reply, req.body.credential)
      return { subject: principal.subject, roles: [...principal.roles], via: 'session' }
    },
  )

  app.post(
    '/api/auth/logout',
    { config: { access: 'public' }, schema: { tags, summary: 'End the session: clears the cookie', response: { 200: OkDto } } },
    async (_req, reply) => {
      void reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`)
      return { success: true as const }
    },
  )

  app.get(
    '/api/auth/me',
    { config: { access: 'user' }, schema: { tags, summary: 'Who the credentials of this request are', response: { 200: WhoAmIDto } } },
    async (req) => ({ subject: req.principal?.subject ?? 'anonymous', roles: [...(req.principal?.roles ?? [])], via: req.principal?.via ?? 'none' }),
  )

  // RFC 9728, as MCP 2025-06-18 requires; the path-suffixed form names one resource (`/mcp`).
  const metadata = async (req: FastifyRequest) => {
    const origin = publicOrigin(req)
    const suffix = (req.params as { '*'?: string })['*']
    return {
      resource: suffix ? `${origin}/${suffix}` : origin,
      authorization_servers: options.issuer ? [options.issuer] : [],
      bearer_methods_supported: ['header'],
      resource_name: 'Conductor Gateway',
    }
  }
  app.get(RESOURCE_METADATA_PATH, { config: { access: 'public' }, schema: { hide: true } }, metadata)
  app.get(`${RESOURCE_METADATA_PATH}/*`, { config: { access: 'public' }, schema: { hide: true } }, metadata)
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function loginPage(mode: string, error?: string): string {
  const what = mode === 'jwt' ? 'access token (JWT)' : 'API key'
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Conductor Gateway — log in</title>
    <style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}input{width:100%;padding:.5rem;margin:.5rem 0}p.error{color:#b00}</style>
  </head>
  <body>
    <h1>Conductor Gateway</h1>
    ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
    <form method="post" action="/login">
      <label for="credential">Your ${what}</label>
      <input id="credential" name="credential" type="password" autocomplete="off" required>
      <button type="submit">Log in</button>
    </form>
  </body>
</html>
`
}
