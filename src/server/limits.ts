import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  visit,
  Kind,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Limits } from '../config';
import { inputError, MAX_INPUT_DEPTH, nestsDeeperThan, tooDeepError } from './input-guard';
import type { ReadCost } from './read-cost';
import type { DocumentCache } from './document-cache';

import { MAX_PAGE_SIZE } from '../common/connection';

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

/** The document of `query`, parsed with the token limit and validated with graphql-js's rules and `rules`; or the errors. */
function parseAndValidateText(schema: GraphQLSchema, query: string, limits: Limits, rules: readonly ValidationRule[]): DocumentNode | readonly GraphQLError[] {
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
  return document;
}

/**
 * Parses and validates a document as Apollo does on HTTP, for the WebSocket: the same limits, the
 * same rules, the same refusal of text that cannot be stored, the same read cost, and the
 * variables coerced as Apollo coerces them (a bad one is BAD_USER_INPUT). Returns the document, or the errors to send.
 * With `documents`, a text is parsed and validated once and its document shared (document-cache.ts);
 * what depends on the variables is checked every time.
 */
export async function parseAndValidate(schema: GraphQLSchema, query: string, variables: unknown, limits: Limits, rules: readonly ValidationRule[],
  readCost?: ReadCost, operationName?: string | null, documents?: DocumentCache): Promise<DocumentNode | readonly GraphQLError[]> {
  // Before anything walks them: variables nested too deep would overflow a recursive walker.
  if (nestsDeeperThan(variables, MAX_INPUT_DEPTH)) return [tooDeepError()];
  let document = documents?.get(query);
  if (!document) {
    const checked = parseAndValidateText(schema, query, limits, rules);
    if (!('kind' in checked)) return checked;
    document = checked;
    documents?.set(query, document);
  }
  const refused = inputError(document, variables) ?? costWithVariables(schema, document, variables as Record<string, unknown> | undefined, limits)
    ?? await readCost?.check(schema, document, operationName, variables as Record<string, unknown> | undefined, limits.maxReadCost);
  if (refused) return [refused];
  const operation = getOperationAST(document, operationName);
  if (operation) {
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>, { maxErrors: 50 });
    if (coerced.errors) {
      return coerced.errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, originalError: e.originalError, extensions: { code: 'BAD_USER_INPUT' } }));
    }
  }
  return document;
}

/**
 * On HTTP, once Apollo has the document and the variables, before anything runs: a subscription
 * sent to HTTP refused, text that cannot be stored refused, the cost counted again with the page
 * sizes the variables give, and what the progress fields would read priced (with the regions the variables name).
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
          const error = inputError(document, request.variables) ?? costWithVariables(options.schema, document, request.variables, options.limits)
            ?? await options.readCost?.check(options.schema, document, request.operationName, request.variables, options.limits.maxReadCost);
          if (error) throw error;
        },
      };
    },
  };
}
