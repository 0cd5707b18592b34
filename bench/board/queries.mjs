import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The contract's Board query, as Duban's clients send it. */
export const DUBAN_BOARD = readFileSync(fileURLToPath(new URL('../../test/contract/board.graphql', import.meta.url)), 'utf8');

/**
 * The same query without `forecast`: exactly the fields PostGraphile and the raw baseline serve
 * (forecast needs the history of every figure, one more statement that the others do not run).
 */
export const DUBAN_BOARD_NO_FORECAST = DUBAN_BOARD.replace(/^\s*forecast\s*\n/m, '');
if (DUBAN_BOARD_NO_FORECAST === DUBAN_BOARD) throw new Error('board.graphql has no forecast field to leave out');

/** The board over the `bench` views (sql.mjs): one nested document, as PostGraphile v4 names things. */
export const POSTGRAPHILE_BOARD = `query Board($programme: String!, $region: String!) {
  programme: programmeByCode(code: $programme) {
    code
    name
    indicators(orderBy: POSITION_ASC) {
      nodes {
        code
        name
        unit
        kind
        progress(condition: { regionCode: $region }) {
          nodes {
            regionCode
            regionName
            actual
            targetValue
            targetMin
            targetMax
            targetComparator
            targetDeadline
            completion
            expectedByNow
            status
            reportedCount
            expectedCount
            lastReportedAt
            children(orderBy: REGION_CODE_ASC) {
              nodes {
                regionCode
                regionName
                actual
                targetValue
                targetComparator
                targetDeadline
                completion
                status
              }
            }
          }
        }
      }
    }
  }
}
`;

export const LOGIN = 'mutation Login($username: String!, $password: String!) { login(username: $username, password: $password) { token } }';
