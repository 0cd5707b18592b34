import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  visit,
  BREAK,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Limits } from '../config';
import type { ReadCost } from './read-cost';

/** The largest page a connection gives (`first`): a larger one is BAD_USER_INPUT. */
export const MAX_PAGE_SIZE = 500;

/** `reads`: what PostgreSQL would read (src/server/read-cost.ts); `time`: the statement timeout. */
export type LimitName = 'depth' | 'aliases' | 'tokens' | 'cost' | 'reads' | 'time';

/**
 * A request over one of the limits: `extensions.code` LIMIT_EXCEEDED, `extensions.limit` names
 * which, `extensions.max` says how much is allowed. Raised while parsing, validating, or (the cost
 * with the variables' page sizes) just after: before anything is executed.
 */
export class LimitExceededError extends GraphQLError {
  constructor(readonly limit: LimitName, readonly max: number, message: string) {
    // http: the status Apollo gives it when it is thrown after validation (the cost with variables).
    super(message, { extensions: { code: 'LIMIT_EXCEEDED', limit, max, http: { status: 400 } } });
    this.name = 'LimitExceededError';
  }
}

export interface RequestRulesOptions {
  limits: Limits;
  /** Answer `__schema` and `__type`; when false, graphql-js's NoSchemaIntrospectionCustomRule refuses them. */
  introspection: boolean;
}

/**
 * graphql-armor's rules report by throwing unless told otherwise; here each reports into the
 * validation context, so every breach is a validation error like any other (and a request over
 * two limits hears of both).
 */
function reporter(limit: LimitName, max: number, what: string) {
  return [(context: ValidationContext | null, error: GraphQLError) => {
    const found = /found ([\d.]+)/.exec(error.message)?.[1];
    context?.reportError(new LimitExceededError(limit, max, `${what} is over the limit of ${max}${found ? `: ${Number(found)}` : ''}`));
  }];
}

function costRule(limits: Limits): ValidationRule {
  return costLimitRule({ propagateOnRejection: false, exposeLimits: true, maxCost: limits.maxCost, onReject: reporter('cost', limits.maxCost, 'The query cost') });
}

const PAGE_ARGUMENTS = new Set(['first', 'last']);

/**
 * The document with each `first: $n` (and `last`) written as the number the variables give, or
 * the variable's default: graphql-armor's cost multiplies by a literal page size only. Undefined
 * when no page size comes from a variable.
 */
function withPageSizesWritten(document: DocumentNode, variables: Record<string, unknown> | undefined): DocumentNode | undefined {
  const defaults = new Map<string, unknown>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const v of definition.variableDefinitions ?? []) {
      if (v.defaultValue?.kind === Kind.INT) defaults.set(v.variable.name.value, Number(v.defaultValue.value));
    }
  }
  let changed = false;
  const written = visit(document, {
    Argument(node) {
      if (!PAGE_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const value = variables && name in variables ? variables[name] : defaults.get(name);
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return undefined;
      changed = true;
      // A page larger than the largest is refused as such (BAD_USER_INPUT), not as a cost.
      return { ...node, value: { kind: Kind.INT, value: String(Math.min(value, MAX_PAGE_SIZE)) } };
    },
  });
  return changed ? written : undefined;
}

/** The cost once the variables are known: a page size in a variable counts as one written out. */
export function costWithVariables(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | undefined, limits: Limits): LimitExceededError | undefined {
  const written = withPageSizesWritten(document, variables);
  if (!written) return undefined;
  const [error] = validate(schema, written, [costRule(limits)]);
  return error instanceof LimitExceededError ? error : undefined;
}

/** The validation rules on top of graphql-js's own, for Apollo (HTTP) and graphql-ws (WebSocket) alike. */
export function createRequestRules({ limits, introspection }: RequestRulesOptions): ValidationRule[] {
  const common = { propagateOnRejection: false, exposeLimits: true } as const;
  const rules: ValidationRule[] = [
    maxDepthRule({ ...common, n: limits.maxDepth, onReject: reporter('depth', limits.maxDepth, 'The query depth') }),
    maxAliasesRule({ ...common, n: limits.maxAliases, onReject: reporter('aliases', limits.maxAliases, 'The number of aliases') }),
    costRule(limits),
  ];
  if (!introspection) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/** graphql-js stops lexing past `maxTokens`: a token flood costs no more than the limit. */
export function parseOptions(limits: Limits): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

const TOKENS = /^Syntax Error: Document contains more that (\d+) tokens/;

/** graphql-js's token-limit syntax error, as a LimitExceededError; undefined for any other error. */
export function asTokenLimitError(error: unknown): LimitExceededError | undefined {
  const message = error instanceof Error ? error.message : '';
  const max = TOKENS.exec(message)?.[1];
  return max === undefined ? undefined : new LimitExceededError('tokens', Number(max), `The document is over the limit of ${max} tokens`);
}

/** Whether a string anywhere in the variables holds U+0000. */
function nulInValue(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(nulInValue);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || nulInValue(v));
  return false;
}

/**
 * PostgreSQL's text cannot hold U+0000: a string with it would reach the database and fail there
 * (an internal error). It is refused up front, in the document's strings and in the variables.
 */
export function nulCharacterError(document: DocumentNode, variables: unknown): GraphQLError | undefined {
  let found = nulInValue(variables);
  if (!found) {
    visit(document, { StringValue(node) { if (node.value.includes('\u0000')) { found = true; return BREAK; } return undefined; } });
  }
  return found
    ? new GraphQLError('Text cannot contain the NUL character (U+0000)', { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } })
    : undefined;
}

/**
 * Parses and validates a document as Apollo does on HTTP, for the WebSocket: the same limits, the
 * same rules, the same refusal of NUL, the same read cost. Returns the document, or the errors to send.
 */
export async function parseAndValidate(schema: GraphQLSchema, query: string, variables: unknown, limits: Limits, rules: readonly ValidationRule[],
  readCost?: ReadCost, operationName?: string | null): Promise<DocumentNode | readonly GraphQLError[]> {
  let document: DocumentNode;
  try {
    document = parse(query, parseOptions(limits));
  } catch (error) {
    const limit = asTokenLimitError(error);
    if (limit) return [limit];
    if (error instanceof GraphQLError) {
      return [new GraphQLError(error.message, { source: error.source, positions: error.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
    }
    throw error;
  }
  const errors = validate(schema, document, [...specifiedRules, ...rules]);
  if (errors.length > 0) {
    return errors.map((e) => (e instanceof LimitExceededError || e.originalError instanceof LimitExceededError
      ? e
      : new GraphQLError(e.message, { nodes: e.nodes, extensions: { ...e.extensions, code: 'GRAPHQL_VALIDATION_FAILED' } })));
  }
  const refused = nulCharacterError(document, variables) ?? costWithVariables(schema, document, variables as Record<string, unknown> | undefined, limits)
    ?? await readCost?.check(schema, document, operationName, variables as Record<string, unknown> | undefined, limits.maxReadCost);
  if (refused) return [refused];
  return document;
}

/**
 * On HTTP, once Apollo has the document and the variables, before anything runs: a subscription
 * sent to HTTP refused, NUL refused, the cost counted again with the page sizes the variables give,
 * and what the progress fields would read priced (with the regions the variables name).
 */
export function createRequestGuardPlugin(options: { schema: GraphQLSchema; limits: Limits; readCost?: ReadCost }): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operation }) {
          if (operation?.operation === 'subscription') {
            // Apollo would execute it once, as a query, and fail on its null: subscriptions live on the WebSocket.
            throw new GraphQLError('Subscriptions are served over WebSocket (graphql-transport-ws) on this same path', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
          }
          const error = nulCharacterError(document, request.variables) ?? costWithVariables(options.schema, document, request.variables, options.limits)
            ?? await options.readCost?.check(options.schema, document, request.operationName, request.variables, options.limits.maxReadCost);
          if (error) throw error;
        },
      };
    },
  };
}
