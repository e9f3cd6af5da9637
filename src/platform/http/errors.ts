// The one error catalogue. Services throw these; the error handler renders {"detail": ...}.

export type ErrorCode =
  | 'not_found'
  | 'conflict'
  | 'bad_request'
  | 'validation_failed'
  | 'forbidden'
  | 'unauthorized'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'bad_gateway'

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number,
    /** Replaces the string `detail` where the contract prescribes an object (legacy shapes). */
    readonly detail?: unknown,
  ) {
    super(message)
    this.name = 'AppError'
  }

  get body(): unknown {
    return this.detail ?? this.message
  }
}

export class NotFoundError extends AppError {
  constructor(message: string, detail?: unknown) {
    super('not_found', message, 404, detail)
  }
}

export class ConflictError extends AppError {
  constructor(message: string, detail?: unknown) {
    super('conflict', message, 409, detail)
  }
}

export class BadRequestError extends AppError {
  constructor(message: string, detail?: unknown) {
    super('bad_request', message, 400, detail)
  }
}

/** 422: input the schemas could not catch (checked where it is parsed). */
export class ValidationError extends AppError {
  constructor(message: string) {
    super('validation_failed', message, 422)
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('forbidden', message, 403)
  }
}

export class UnauthorizedError extends AppError {
  constructor(message: string) {
    super('unauthorized', message, 401)
  }
}

export class UnavailableError extends AppError {
  constructor(message: string) {
    super('unavailable', message, 503)
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError
}
