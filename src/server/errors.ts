import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ArgumentValidationError } from 'type-graphql';
import { asTokenLimitError, LimitExceededError } from './limits';

export type ErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'RATE_LIMITED';

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
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}
/** Input that cannot be right; `field` names the input field at fault. */
export class BadInputError extends AppError {
  constructor(message: string, field?: string) {
    super('BAD_USER_INPUT', message, field ? { field } : {});
  }
}
export class NotFoundError extends AppError {
  constructor(what: string, key: string) {
    super('NOT_FOUND', `${what} "${key}" does not exist`, { what, key });
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

/** Codes that graphql-js and Apollo attach to request errors the client caused. */
const CLIENT_CODES = new Set(['LIMIT_EXCEEDED', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'TRUSTED_DOCUMENT_REQUIRED', 'OPERATION_RESOLUTION_FAILURE']);

export interface FormatErrorOptions {
  /** Show the message and stack of unknown errors (development only). */
  exposeUnknown: boolean;
  /** Drop graphql-js's "Did you mean …?" from messages: they spell out the schema to a prober. */
  hideSuggestions?: boolean;
  log?: (errorId: string, error: unknown) => void;
}

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/** The LimitExceededError behind an error, as Apollo and graphql-ws wrap it, if any. */
function limitBreach(error: unknown, formatted: GraphQLFormattedError): LimitExceededError | undefined {
  if (error instanceof LimitExceededError) return error;
  if (error instanceof GraphQLError && error.originalError instanceof LimitExceededError) return error.originalError;
  if (formatted.extensions?.code === 'GRAPHQL_PARSE_FAILED') return asTokenLimitError(new Error(formatted.message));
  return undefined;
}

/**
 * Apollo's `formatError`: AppErrors and request errors pass as they are; class-validator failures
 * become BAD_USER_INPUT; anything else is masked, logged with an id, and the client gets the id.
 */
export function createFormatError(options: FormatErrorOptions) {
  const log = options.log ?? ((id, error) => console.error(`error ${id}:`, error));
  const format = (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const breach = limitBreach(error, formatted);
    if (breach) {
      return { message: breach.message, locations: formatted.locations, extensions: { code: 'LIMIT_EXCEEDED', limit: breach.limit, max: breach.max } };
    }
    const original = unwrapResolverError(error);
    if (original instanceof AppError) {
      return { ...formatted, message: original.message, extensions: { ...original.extensions, code: original.code } };
    }
    if (original instanceof ArgumentValidationError) {
      const fields = original.extensions.validationErrors.map((e) => ({
        field: e.property,
        messages: Object.values(e.constraints ?? {}),
      }));
      return {
        message: `Invalid input: ${fields.map((f) => f.messages.join(', ')).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT', fields },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return options.exposeUnknown ? formatted : { ...formatted, extensions };
    }
    const errorId = randomUUID();
    log(errorId, original);
    if (options.exposeUnknown) {
      return { ...formatted, extensions: { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR', errorId } };
    }
    return {
      message: `Internal server error (id ${errorId})`,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR', errorId },
    };
  };
  if (!options.hideSuggestions) return format;
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = format(formatted, error);
    const message = result.message.replace(SUGGESTION, '');
    return message === result.message ? result : { ...result, message };
  };
}
