import { GraphQLError } from 'graphql';

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED' | 'SERVICE_UNAVAILABLE';

/** The errors a client may see, each with a fixed `extensions.code`, on HTTP and WebSocket alike. */
export abstract class AppError extends GraphQLError {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { ...extensions, code } });
    this.code = code;
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}
export class ForbiddenError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super('FORBIDDEN', message, extensions);
  }
}
/**
 * Input that cannot be right; `field` names the input field at fault (`fields` every one, where
 * several are). Every BAD_USER_INPUT a client sees has this shape, whoever raised it.
 */
export class BadInputError extends AppError {
  constructor(message: string, field: string, extensions: Record<string, unknown> = {}) {
    super('BAD_USER_INPUT', message, { ...extensions, field });
  }
}
export class NotFoundError extends AppError {
  constructor(what: string, key: string, extensions: Record<string, unknown> = {}) {
    super('NOT_FOUND', `${what} "${key}" does not exist`, { ...extensions, what, key });
  }
}
export class ConflictError extends AppError {
  constructor(message: string, extensions: Record<string, unknown> = {}) {
    super('CONFLICT', message, extensions);
  }
}

/** Too many attempts (failed sign-ins); `retryAfterSeconds` says when to try again. */
export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super('RATE_LIMITED', message, { retryAfterSeconds });
  }
}

/**
 * The database cannot be reached for now (restarting, away): nothing was done, or a write was rolled
 * back; try again. HTTP answers 503 with `Retry-After` (Apollo reads `http` here, before the format).
 */
export class ServiceUnavailableError extends AppError {
  constructor(retryAfterSeconds = 1) {
    super('SERVICE_UNAVAILABLE', 'The database is unavailable for a moment; nothing was written: try again shortly', {
      retryAfterSeconds,
      http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    });
  }
}

export type Step = string | number;

/**
 * An input field as `extensions.field` names it: the path inside a variable, without the
 * variable's name (`$input.asOf` is `asOf`, `$input.boards[0].region` is `boards[0].region`),
 * or the variable's name for the variable itself.
 */
export function fieldOfPath(path: readonly Step[]): string {
  if (path.length <= 1) return String(path[0] ?? 'variables');
  return path.slice(1).map((step, i) => (typeof step === 'number' ? `[${step}]` : i === 0 ? step : `.${step}`)).join('');
}
