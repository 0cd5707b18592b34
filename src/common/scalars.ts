import { GraphQLScalarType } from 'graphql';
import { GraphQLDateTime, GraphQLLocalDate } from 'graphql-scalars';

/** `YYYY-MM-DD`, a calendar day; kept as that string from the wire to the database. */
export const DateScalar = new GraphQLScalarType({
  ...GraphQLLocalDate.toConfig(),
  name: 'Date',
  description: 'A calendar day, `YYYY-MM-DD` (ISO 8601).',
});

/** An instant, ISO 8601 with a zone. */
export const DateTimeScalar = GraphQLDateTime;
