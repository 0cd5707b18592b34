import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ArgumentValidationError } from 'type-graphql';
import { AppError, ServiceUnavailableError } from '../core/errors';
import { fieldOfPath } from '../core/errors';
import { asTokenLimitError, LimitExceededError } from './limits';
import { isDatabaseUnavailable } from '../db/unavailable';

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

const VARIABLE = /^Variable "\$(\w+)"/;

/**
 * The input field a BAD_USER_INPUT raised by graphql-js or Apollo is about, from its message (they
 * give no path of their own): `Variable "$input" got invalid value … at "input.asOf"; …` is
 * `asOf`, a variable refused whole is its name; else the last field of the error's path.
 */
export function fieldOfRequestError(formatted: GraphQLFormattedError): string {
  const variable = VARIABLE.exec(formatted.message)?.[1];
  if (variable) {
    const at = new RegExp(` at "${variable}((?:\\.\\w+|\\[\\d+\\])+)"; `).exec(formatted.message)?.[1];
    if (!at) return variable;
    return fieldOfPath([variable, ...[...at.matchAll(/\.(\w+)|\[(\d+)\]/g)].map((m) => (m[1] !== undefined ? m[1] : Number(m[2])))]);
  }
  const last = [...(formatted.path ?? [])].reverse().find((step) => typeof step === 'string');
  return typeof last === 'string' ? last : 'query';
}

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
    let original = unwrapResolverError(error);
    if (!(original instanceof AppError) && isDatabaseUnavailable(original)) original = new ServiceUnavailableError();
    if (original instanceof AppError) {
      const { http: _http, ...extensions } = original.extensions;
      return { ...formatted, message: original.message, extensions: { ...extensions, code: original.code } };
    }
    if (original instanceof ArgumentValidationError) {
      const failures = original.extensions.validationErrors.map((e) => ({ field: e.property, messages: Object.values(e.constraints ?? {}) }));
      const fields = [...new Set(failures.map((f) => f.field))];
      return {
        message: `Invalid input: ${failures.map((f) => f.messages.join(', ')).join('; ')}`,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'BAD_USER_INPUT', field: fields[0], ...(fields.length > 1 ? { fields } : {}) },
      };
    }
    if (original instanceof UniqueConstraintViolationException) {
      // Two requests wrote the same row at once and the database kept the first: nothing of this one was written.
      return {
        message: 'Another request wrote the same thing at the same time; read it again, then retry',
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: 'CONFLICT' },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) {
      const { stacktrace: _stack, http: _http, ...extensions } = formatted.extensions ?? {};
      // One shape for BAD_USER_INPUT, whoever raised it: with the field at fault.
      if (code === 'BAD_USER_INPUT' && typeof extensions.field !== 'string') extensions.field = fieldOfRequestError(formatted);
      return options.exposeUnknown ? { ...formatted, extensions: { ...formatted.extensions, ...extensions } } : { ...formatted, extensions };
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
