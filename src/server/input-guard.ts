import { GraphQLError, Kind, visit, BREAK, type ASTNode, type DocumentNode } from 'graphql';
import type { RequestHandler } from 'express';
import { textProblem } from '../core/text';
import { fieldOfPath, type Step } from '../core/errors';

/**
 * What every input is checked for before anything runs, on HTTP, WebSocket and in a spreadsheet
 * alike: text PostgreSQL cannot store as sent, and values nested deeper than any input of the
 * schema (a parser or a walker would recurse on them until the stack ends).
 */

/** Objects and lists inside one another, at most, in a request body or an operation's variables. */
export const MAX_INPUT_DEPTH = 32;

type Found = { kind: 'depth' } | { kind: 'text'; problem: string; path: Step[] };

/** The first string (or key) that cannot be stored, or a nesting over `maxDepth`; without recursion. */
function inspectValue(root: unknown, maxDepth: number): Found | undefined {
  const stack: { value: unknown; path: Step[]; depth: number }[] = [{ value: root, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem) return { kind: 'text', problem, path };
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= maxDepth) return { kind: 'depth' };
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i -= 1) stack.push({ value: value[i], path: [...path, i], depth: depth + 1 });
      continue;
    }
    const entries = Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i -= 1) {
      const [key, child] = entries[i];
      const problem = textProblem(key);
      if (problem) return { kind: 'text', problem, path: [...path, key] };
      stack.push({ value: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return undefined;
}

/** Whether a value nests objects and lists deeper than `max`, counted without recursion. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth >= max) return true;
    for (const child of Array.isArray(next.value) ? next.value : Object.values(next.value)) stack.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/** A body or a message nested deeper than MAX_INPUT_DEPTH: BAD_REQUEST (HTTP 400), before anything reads it. */
export function tooDeepError(): GraphQLError {
  return new GraphQLError(`The request nests objects and lists deeper than ${MAX_INPUT_DEPTH} levels`, {
    extensions: { code: 'BAD_REQUEST', limit: 'inputDepth', max: MAX_INPUT_DEPTH, http: { status: 400 } },
  });
}

function badText(problem: string, field: string): GraphQLError {
  return new GraphQLError(problem, { extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400 } } });
}

/** The argument or input field a string literal of the document is the value of (its parent, or further up in a list). */
function literalField(parent: ASTNode | readonly ASTNode[] | undefined, ancestors: readonly (ASTNode | readonly ASTNode[])[]): string {
  const chain = parent === undefined ? ancestors : [...ancestors, parent];
  for (let i = chain.length - 1; i >= 0; i -= 1) {
    const node = chain[i];
    if (!Array.isArray(node) && 'kind' in node && (node.kind === Kind.ARGUMENT || node.kind === Kind.OBJECT_FIELD)) return node.name.value;
  }
  return 'query';
}

/**
 * Text that cannot be stored, in the variables (values and keys) or the document's string
 * literals: BAD_USER_INPUT naming the field; variables nested too deep: BAD_REQUEST. Undefined
 * when the input is fine. One rule for every operation, on HTTP and WebSocket.
 */
export function inputError(document: DocumentNode, variables: unknown): GraphQLError | undefined {
  const found = inspectValue(variables, MAX_INPUT_DEPTH);
  if (found?.kind === 'depth') return tooDeepError();
  if (found) return badText(found.problem, fieldOfPath(found.path));
  let literal: GraphQLError | undefined;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      const problem = textProblem(node.value);
      if (!problem) return undefined;
      literal = badText(problem, literalField(parent, ancestors));
      return BREAK;
    },
  });
  return literal;
}

/** On HTTP, once the JSON body is parsed: a body nested deeper than MAX_INPUT_DEPTH is 400 BAD_REQUEST. */
export const bodyDepthGuard: RequestHandler = (req, res, next) => {
  if (!nestsDeeperThan(req.body, MAX_INPUT_DEPTH)) { next(); return; }
  const { message, extensions } = tooDeepError();
  const { http: _http, ...shown } = extensions;
  res.status(400).json({ errors: [{ message, extensions: shown }] });
};
