import { ArgsType, type ClassType, Field, Int, ObjectType } from 'type-graphql';
import { Max, Min } from 'class-validator';
import { BadInputError } from '../core/errors';

/** The largest page a connection gives (`first`): a larger one is BAD_USER_INPUT. */
export const MAX_PAGE_SIZE = 500;

@ObjectType({ description: 'Relay page information.' })
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field()
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface ConnectionShape<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: { cursor: string; node: T }[];
  nodes: T[];
}

/** A Relay-style connection type for `node`: `edges { cursor node }`, `nodes`, `pageInfo`, `totalCount`. */
export function Connection<T extends object>(node: ClassType<T>) {
  @ObjectType(`${node.name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType()
  abstract class ConnectionClass implements ConnectionShape<T> {
    @Field(() => Int, { description: 'How many match, on every page.' })
    totalCount!: number;

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [node])
    nodes!: T[];
  }
  return ConnectionClass;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 50, description: 'At most 500.' })
  @Min(0, { message: 'first cannot be negative' })
  @Max(MAX_PAGE_SIZE, { message: `first is at most ${MAX_PAGE_SIZE} (the largest page); ask for the next page with after` })
  first: number = 50;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page.' })
  after?: string | null;
}

/** Cursors are opaque to clients: base64 of the sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('k:')) throw new BadInputError('after is not a cursor of this list', 'after');
  return text.slice(2);
}

/** The numeric id in a cursor of a list sorted by id; BAD_USER_INPUT for anything else. */
export function decodeIdCursor(cursor: string): string {
  const id = decodeCursor(cursor);
  if (!/^\d{1,18}$/.test(id)) throw new BadInputError('after is not a cursor of this list', 'after');
  return id;
}

/**
 * Builds a page from `rows` fetched with `limit first + 1` after the cursor: the extra row only
 * says that there is a next page.
 */
export function toConnection<T>(rows: T[], first: number, totalCount: number, keyOf: (row: T) => string, after?: string | null): ConnectionShape<T> {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(keyOf(node)), node }));
  return {
    totalCount,
    nodes,
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

