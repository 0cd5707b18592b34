/**
 * PostGraphile v4 as a library: a plain HTTP server with its middleware over the `bench` schema
 * (sql.mjs). No watch, no GraphiQL, no query log. Env: DATABASE_URL, PORT.
 */
import { createServer } from 'node:http';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import pg from 'pg';

const require = createRequire(import.meta.url);

/**
 * One graphql module for the whole of PostGraphile. Installed beside Duban's graphql 16, its tree
 * holds two nested copies of graphql 15 (postgraphile's, graphile-build-pg's) while
 * graphql-parse-resolve-info resolves the root's 16; types from different copies do not mix
 * ("Unexpected input type"). Every `graphql` request in this process resolves to postgraphile's.
 */
const postgraphileDir = dirname(require.resolve('postgraphile/package.json'));
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, parent, isMain, options) {
  if (request === 'graphql' || request.startsWith('graphql/')) return resolveFilename.call(this, request, parent, isMain, { paths: [postgraphileDir] });
  return resolveFilename.call(this, request, parent, isMain, options);
};
const { postgraphile } = require('postgraphile');

const { DATABASE_URL, PORT = '0' } = process.env;
if (!DATABASE_URL) throw new Error('DATABASE_URL is required');

// The same pool size as Duban's (src/db/orm.ts: max 10).
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
const middleware = postgraphile(pool, 'bench', {
  watchPg: false,
  graphiql: false,
  disableQueryLog: true,
  dynamicJson: true,
  ignoreRBAC: false,
  retryOnInitFail: false,
});

const server = createServer(middleware);
server.listen(Number(PORT), '127.0.0.1', () => {
  const address = server.address();
  console.log(`PostGraphile ready: http://127.0.0.1:${typeof address === 'object' && address ? address.port : PORT}/graphql`);
});

const stop = () => server.close(() => pool.end().then(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
