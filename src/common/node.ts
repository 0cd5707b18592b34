import { Field, ID, InterfaceType } from 'type-graphql';

/**
 * Relay's global object identification. Every object a client may cache implements Node: its `id`
 * is the same wherever the object appears (a query, a mutation's answer, a board event), and
 * `node(id:)` reads it back. The id is opaque to clients: base64 of `Type:key`, as graphql-relay
 * writes it, so a normalised cache (Apollo, urql graphcache, Relay) keys on it alone.
 */
@InterfaceType({
  description: 'An object with a stable, global id: the same wherever it appears (queries, mutations, board events); node(id:) reads it again.',
  // The class itself: type-graphql maps it to its type, whatever the GraphQL name (AuthSession is Session).
  resolveType: (value: object) => value.constructor as never,
})
export abstract class Node {
  @Field(() => ID, { description: 'Global, stable and opaque: cache by it, pass it to node(id:).' })
  id!: string;
}

/** The global id of the object of `type` with the key `key` (a primary key, or parts joined by `:`). */
export function toGlobalId(type: string, key: string | number): string {
  return Buffer.from(`${type}:${key}`, 'utf8').toString('base64');
}

/** A global id's type and key; undefined for anything that is not one. */
export function fromGlobalId(id: string): { type: string; key: string } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(id)) return undefined;
  const text = Buffer.from(id, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0 || !/^[A-Z][A-Za-z]+$/.test(text.slice(0, colon))) return undefined;
  const global = { type: text.slice(0, colon), key: text.slice(colon + 1) };
  return toGlobalId(global.type, global.key) === id ? global : undefined;
}

/**
 * The key of an id an input names: a global id of `type` gives its key; anything else is taken as
 * the object's own key, as before global ids (clients that kept one keep working; a global id of
 * another type then matches nothing: NOT_FOUND).
 */
export function localKey(type: string, id: string): string {
  const global = fromGlobalId(id);
  return global?.type === type ? global.key : id;
}

/** The key of Progress: the indicator, the region and the day it stands for. */
export function progressKey(indicatorId: number, regionCode: string, asOf: string): string {
  return `${indicatorId}:${regionCode}:${asOf}`;
}
