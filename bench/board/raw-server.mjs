/**
 * The raw baseline: node:http, and per request ONE hand-written statement (sql.mjs) that returns
 * the board as the JSON text of a GraphQL response. No GraphQL, no ORM: the upper limit.
 * Env: DATABASE_URL, PORT, BENCH_AS_OF, BENCH_TIME_ZONE, BENCH_ON_TRACK_FROM, BENCH_AT_RISK_FROM.
 * POST a JSON body { variables: { programme, region } } to any path.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { rawBoardSql } from './sql.mjs';

const { DATABASE_URL, PORT = '0', BENCH_AS_OF, BENCH_TIME_ZONE, BENCH_ON_TRACK_FROM, BENCH_AT_RISK_FROM } = process.env;
if (!DATABASE_URL || !BENCH_AS_OF || !BENCH_TIME_ZONE) throw new Error('DATABASE_URL, BENCH_AS_OF and BENCH_TIME_ZONE are required');

const text = rawBoardSql({ onTrackFrom: Number(BENCH_ON_TRACK_FROM), atRiskFrom: Number(BENCH_AT_RISK_FROM) });
// The same pool size as Duban's (src/db/orm.ts: max 10).
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10, options: '-c jit=off' }); // as Duban's (src/db/orm.ts)

/** @param {import('node:http').IncomingMessage} req */
async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer(async (req, res) => {
  try {
    const { variables } = JSON.parse(await readBody(req));
    if (typeof variables?.programme !== 'string' || typeof variables?.region !== 'string') {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"errors":[{"message":"programme and region are required"}]}');
      return;
    }
    // A named statement: parsed and planned once per connection, like PostGraphile's.
    const { rows } = await pool.query({ name: 'board', text, values: [variables.programme, variables.region, BENCH_AS_OF, BENCH_TIME_ZONE] });
    res.writeHead(200, { 'content-type': 'application/json' }).end(rows[0].body);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: String(error) }] }));
  }
});

server.listen(Number(PORT), '127.0.0.1', () => {
  const address = server.address();
  console.log(`Raw ready: http://127.0.0.1:${typeof address === 'object' && address ? address.port : PORT}/board`);
});

const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
