import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type Request } from 'express';
import { inlineJson, ownAsset, packageAsset, serveAssets } from '../package-assets';

/**
 * GraphiQL, served from this server's own packages: the intranet reaches no public CDN.
 * A browser's `GET /graphql` (HTML accepted, no query), `/` and `/playground` show it; its files
 * come from `/playground/assets/`. Its tabs are the operations real clients send (the contract);
 * subscriptions run over graphql-ws on the same URL; a bar above signs in (demo accounts in demo mode).
 */
export interface PlaygroundOptions {
  /** The GraphQL path, for HTTP and WebSocket alike. */
  endpoint: string;
  /** Offer the demo accounts (password demo) as one-click sign-ins. */
  demo: boolean;
}

/** The contract's operations, as the tests keep them word for word; copied beside dist by the build. */
const CONTRACT_DIR = join(__dirname, '..', '..', '..', 'test', 'contract');

/** The tabs' order, and variables that run as they are on the demo. */
const EXAMPLES: Array<{ file: string; variables?: unknown }> = [
  { file: 'login.graphql', variables: { username: 'screen', password: 'demo' } },
  { file: 'board.graphql', variables: { programme: 'P3', region: '330300' } },
  { file: 'board-events.graphql', variables: { programme: 'P3', region: '330300' } },
  { file: 'region.graphql', variables: { code: '330300' } },
  {
    file: 'submit.graphql',
    variables: { input: { indicator: 'P3-01', region: '330302', value: 4, asOf: '2019-06-30', idempotencyKey: 'lucheng-P3-01-2019-06-30' } },
  },
];

export const DEMO_ACCOUNTS = ['admin', 'leader', 'yanglao', 'lucheng', 'wuma', 'screen'];

export interface PlaygroundTab {
  query: string;
  variables?: string;
}

/** Every contract operation, the known ones first with their example variables. */
export function playgroundTabs(dir = CONTRACT_DIR): PlaygroundTab[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort();
  const known = EXAMPLES.filter((e) => files.includes(e.file));
  const rest = files.filter((f) => !EXAMPLES.some((e) => e.file === f)).map((file) => ({ file, variables: undefined }));
  return [...known, ...rest].map(({ file, variables }) => ({
    query: readFileSync(join(dir, file), 'utf8'),
    ...(variables === undefined ? {} : { variables: JSON.stringify(variables, null, 2) }),
  }));
}

function page(options: PlaygroundOptions, tabs: PlaygroundTab[]): string {
  const settings = { endpoint: options.endpoint, demoAccounts: options.demo ? DEMO_ACCOUNTS : [], tabs };
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Duban playground</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/playground/assets/graphiql.css">
<link rel="stylesheet" href="/playground/assets/playground.css">
</head>
<body>
<form id="signin" autocomplete="off">
  <strong>Duban 督办</strong>
  <span id="demo-accounts"></span>
  <input name="username" placeholder="username" aria-label="username">
  <input name="password" type="password" placeholder="password" aria-label="password">
  <button type="submit">Sign in</button>
  <span id="signed-in" role="status"></span>
  <button type="button" id="signout" hidden>Sign out</button>
</form>
<div id="graphiql">Loading…</div>
<script id="duban-playground" type="application/json">${inlineJson(settings)}</script>
<script src="/playground/assets/react.js"></script>
<script src="/playground/assets/react-dom.js"></script>
<script src="/playground/assets/graphiql.js"></script>
<script src="/playground/assets/graphql-ws.js"></script>
<script src="/playground/assets/playground.js"></script>
</body>
</html>`;
}

/** A browser asking for a page (HTML before JSON), not a GraphQL GET with a query. */
export function wantsPage(req: Request): boolean {
  return req.method === 'GET' && req.query.query === undefined && req.accepts(['application/json', 'text/html']) === 'text/html';
}

export function playgroundRouter(options: PlaygroundOptions): Router {
  const router = Router();
  const html = page(options, playgroundTabs());
  const send = (_req: Request, res: import('express').Response) => { res.type('html').set('Cache-Control', 'no-cache').send(html); };
  router.get(options.endpoint, (req, res, next) => { if (wantsPage(req)) send(req, res); else next(); });
  router.get(['/', '/playground'], send);
  serveAssets(router, '/playground/assets', {
    'react.js': packageAsset('react', 'umd/react.production.min.js', 'text/javascript'),
    'react-dom.js': packageAsset('react-dom', 'umd/react-dom.production.min.js', 'text/javascript'),
    'graphiql.js': packageAsset('graphiql', 'graphiql.min.js', 'text/javascript'),
    'graphiql.css': packageAsset('graphiql', 'graphiql.min.css', 'text/css'),
    'graphql-ws.js': packageAsset('graphql-ws', 'umd/graphql-ws.min.js', 'text/javascript'),
    'playground.js': ownAsset(__dirname, 'playground.client.js', 'text/javascript'),
    'playground.css': ownAsset(__dirname, 'playground.css', 'text/css'),
  });
  return router;
}
