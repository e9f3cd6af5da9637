// Working directories: where agents run with tool access, so they are checked before being stored.
import { realpathSync } from 'node:fs'
import path from 'node:path'
import { BadRequestError } from './http/errors.js'

export class WorkspacePolicy {
  constructor(private readonly allowedRoots: readonly string[]) {}

  /**
   * Returns the normalised absolute form of `raw`, or throws a 400 naming `field` when the path
   * is relative, malformed or outside every allowed root (when roots are configured). Outside
   * means lexically (`..`) or through a symlink: the part of the path that exists on this machine
   * is resolved, so a link inside a root cannot lead agents elsewhere.
   */
  normalize(given: string, field: string): string {
    const raw = given.trim()
    if (raw === '') throw new BadRequestError(`${field} is required`)
    if (raw.includes('\0')) throw new BadRequestError(`${field} contains a NUL character`)
    if (!raw.startsWith('/')) throw new BadRequestError(`${field} must be an absolute path (start with /)`)
    const normalized = path.posix.normalize(raw).replace(/(.)\/+$/, '$1')
    if (!this.isAllowed(normalized)) {
      throw new BadRequestError(`${field} ${normalized} is outside the allowed roots: ${this.allowedRoots.join(', ')}`)
    }
    return normalized
  }

  isAllowed(normalized: string): boolean {
    if (this.allowedRoots.length === 0) return true
    if (!this.allowedRoots.some((root) => isWithin(normalized, root))) return false
    const real = resolveExisting(normalized)
    return this.allowedRoots.some((root) => isWithin(real, root) || isWithin(real, resolveExisting(root)))
  }
}

function isWithin(candidate: string, root: string): boolean {
  return candidate === root || candidate.startsWith(root === '/' ? '/' : `${root}/`)
}

/** The path with its longest existing prefix resolved through symlinks; the rest kept as given. */
function resolveExisting(absolute: string): string {
  let existing = absolute
  const rest: string[] = []
  for (;;) {
    try {
      return path.join(realpathSync.native(existing), ...rest.reverse())
    } catch {
      if (existing === '/') return absolute
      rest.push(path.basename(existing))
      existing = path.dirname(existing)
    }
  }
}
