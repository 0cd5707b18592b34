import { GraphQLError, GraphQLScalarType, type ValueNode } from 'graphql';
import { GraphQLDateTime, GraphQLLocalDate } from 'graphql-scalars';

/** Years a day may be in: four digits, from 1 (PostgreSQL has no year 0) to 9999. */
export const FIRST_YEAR = 1;
export const LAST_YEAR = 9999;

function yearError(value: unknown, node?: ValueNode): GraphQLError {
  return new GraphQLError(`${String(value)} is outside the years ${FIRST_YEAR} to ${LAST_YEAR}`, node ? { nodes: node } : undefined);
}

/** `YYYY-MM-DD`, a calendar day from 0001-01-01 to 9999-12-31; kept as that string from the wire to the database. */
export const DateScalar = new GraphQLScalarType({
  ...GraphQLLocalDate.toConfig(),
  name: 'Date',
  description: 'A calendar day, `YYYY-MM-DD` (ISO 8601), from 0001-01-01 to 9999-12-31.',
  parseValue(value) {
    const day = GraphQLLocalDate.parseValue(value) as string;
    if (Number(day.slice(0, 4)) < FIRST_YEAR) throw yearError(day);
    return day;
  },
  parseLiteral(node, variables) {
    const day = GraphQLLocalDate.parseLiteral(node, variables) as string;
    if (Number(day.slice(0, 4)) < FIRST_YEAR) throw yearError(day, node);
    return day;
  },
});

const inYears = (d: Date) => d.getUTCFullYear() >= FIRST_YEAR && d.getUTCFullYear() <= LAST_YEAR;

/** An instant, ISO 8601 with a zone, in the years 1 to 9999 (UTC). */
export const DateTimeScalar = new GraphQLScalarType({
  ...GraphQLDateTime.toConfig(),
  parseValue(value) {
    const instant = GraphQLDateTime.parseValue(value) as Date;
    if (!inYears(instant)) throw yearError(value);
    return instant;
  },
  parseLiteral(node, variables) {
    const instant = GraphQLDateTime.parseLiteral(node, variables) as Date;
    if (!inYears(instant)) throw yearError((node as { value?: string }).value, node);
    return instant;
  },
});
