// Serves a built single-page app (conductor-web or any other) from the gateway's own origin:
// files from the web root, hashed assets cached for good, `index.html` never, and any other
// browser path answered with `index.html` so the app's router can take it (deep links, refresh).
// API, WebSocket and docs paths are never the app's: unknown ones keep their JSON 404.
import { statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** Path prefixes that belong to the gateway, never to the web client. */
export const RESERVED_PREFIXES = [
  '/api',
  '/mcp',
  '/mcps',
  '/binder',
  '/ws',
  '/sse',
  '/messages',
  '/docs',
  '/redoc',
  '/openapi.json',
  '/health',
  '/ready',
  '/metrics',
  '/internal',
] as const

const IMMUTABLE = 'public, max-age=31536000, immutable'
const REVALIDATE = 'no-cache'

export class WebRootError extends Error {
  override readonly name = 'WebRootError'
}

export function isReservedPath(urlPath: string): boolean {
  const p = urlPath.toLowerCase()
  return RESERVED_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`) || p.startsWith(`${prefix}?`))
}

/**
 * A bundler's content-hashed file name (`index-BX3k9sd2.js`, `main.8f3a2c1d.css`): a segment of 8+
 * letters, digits, `_` or `-` with at least one digit, right before the extension. Such a file never
 * changes, so browsers may keep it for a year.
 */
export function isHashedAsset(fileName: string): boolean {
  const match = /[.-]([A-Za-z0-9_-]{8,})\.[A-Za-z0-9]+$/.exec(path.basename(fileName))
  return match !== null && /\d/.test(match[1]!)
}

/** Checks the directory once at start: a missing web root is a configuration mistake, not a 404 later. */
export function checkWebRoot(root: string): void {
  let isDir = false
  try {
    isDir = statSync(root).isDirectory()
  } catch {
    throw new WebRootError(`web root ${root} does not exist`)
  }
  if (!isDir) throw new WebRootError(`web root ${root} is not a directory`)
  try {
    if (!statSync(path.join(root, 'index.html')).isFile()) throw new Error()
  } catch {
    throw new WebRootError(`web root ${root} has no index.html (point it at the built app, e.g. conductor-web's dist/)`)
  }
}

/** Registers the web client; call it after every other route so theirs win. */
export async function registerWebRoot(app: FastifyInstance, root: string): Promise<void> {
  checkWebRoot(root)
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root,
      serve: false,
      cacheControl: false,
      dotfiles: 'ignore',
      setHeaders: (reply, filePath) => {
        reply.header('cache-control', isHashedAsset(filePath) && path.basename(filePath) !== 'index.html' ? IMMUTABLE : REVALIDATE)
      },
    })
    scope.get('/*', { schema: { hide: true }, config: { access: 'public' } }, (req, reply) => serve(root, req, reply))
  })
}

async function serve(root: string, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const urlPath = req.url.split('?')[0]!
  if (isReservedPath(urlPath)) return reply.callNotFound()
  const relative = (req.params as { '*': string })['*'] ?? ''
  if (relative !== '' && (await isFileUnder(root, relative))) return reply.sendFile(relative)
  // A missing script or image must stay a 404: answering HTML would break the page in odd ways.
  if (!wantsPage(req, relative)) return reply.callNotFound()
  return reply.sendFile('index.html')
}

/** A navigation (the browser asks for HTML) or an extension-less path the app's router owns. */
function wantsPage(req: FastifyRequest, relative: string): boolean {
  const accept = req.headers.accept ?? ''
  return accept.includes('text/html') || !path.basename(relative).includes('.')
}

async function isFileUnder(root: string, relative: string): Promise<boolean> {
  const full = path.resolve(root, relative)
  if (full !== root && !full.startsWith(`${root}${path.sep}`)) return false
  try {
    return (await stat(full)).isFile()
  } catch {
    return false
  }
}
