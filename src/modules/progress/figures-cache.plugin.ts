import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import type { Context } from '../../core/context';
import { readScopeKey } from '../user/user.scope';

export interface FiguresCacheOptions {
  /** Responses kept, least recently used first out; 0 turns the cache off. */
  maxEntries: number;
  /** Root fields whose answers change only through writes that append to the outbox. */
  rootFields?: readonly string[];
}

const DEFAULT_ROOTS = ['programme', 'programmes', 'indicator', 'indicators', 'region'];

/**
 * Boards ask the same question again and again while nothing changes. Every write that can move a
 * figure, a target or a status appends a fact to the outbox in its transaction (the tree too), and
 * the projector records what it has folded of them with the roll-ups it moved, so the outbox's
 * last sequence and the projection's position version everything these queries read: a response
 * is kept under (those, today,
 * query, variables) and served again until the next write anywhere, on any instance. A read costs
 * one statement for the sequence; answers are shared by every caller who may read the same things
 * (the same region scope and screen boards), never across them.
 */
export function createFiguresCachePlugin(options: FiguresCacheOptions): ApolloServerPlugin<Context> {
  const roots = new Set(options.rootFields ?? DEFAULT_ROOTS);
  const cache = new Map<string, FormattedExecutionResult>();
  return {
    async requestDidStart() {
      if (options.maxEntries <= 0) return;
      let key: string | undefined;
      return {
        async responseForOperation(rc) {
          // Undefined when operationName names no operation of the document: Apollo answers that.
          const operation = rc.operation as typeof rc.operation | undefined;
          if (operation?.operation !== 'query' || !rc.contextValue.user) return null;
          const cacheable = operation.selectionSet.selections.every((s) => s.kind === 'Field' && roots.has(s.name.value));
          if (!cacheable) return null;
          try {
            // What was appended, and what the projection has folded of it (the roll-ups these queries read).
            const [{ version }] = await rc.contextValue.em.execute<{ version: string }[]>(
              `select s.last_seq || ':' || p.last_folded || ':' || p.rebuild as version from outbox_sequence s, projection_state p where s.id and p.id`);
            key = `${version}|${rc.contextValue.clock.today()}|${readScopeKey(rc.contextValue)}|${rc.operationName ?? ''}|${JSON.stringify(rc.request.variables ?? {})}|${rc.source}`;
          } catch {
            return null; // the query runs as usual, and reports what is wrong
          }
          const hit = cache.get(key);
          if (!hit) return null;
          cache.delete(key);
          cache.set(key, hit);
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: hit } };
        },
        async willSendResponse(rc) {
          if (!key || cache.has(key) || rc.response.body.kind !== 'single') return;
          const result = rc.response.body.singleResult;
          if (result.errors?.length) return;
          cache.set(key, result);
          if (cache.size > options.maxEntries) cache.delete(cache.keys().next().value!);
        },
      };
    },
  };
}
