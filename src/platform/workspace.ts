// Working directories: where agents run with tool access, so they are checked before being stored.
import path from 'node:path'
import { BadRequestError } from './http/errors.js'

export class WorkspacePolicy {
  constructor(private readonly allowedRoots: readonly string[]) {}

  /**
   * Returns the normalised absolute form of `raw`, or throws a 400 naming `field` when the path
   * is relative, malformed or outside every allowed root (when roots are configured).
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
    return this.allowedRoots.some((root) => normalized === root || normalized.startsWith(root === '/' ? '/' : `${root}/`))
  }
}
