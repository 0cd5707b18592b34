import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Router } from 'express';

/**
 * GraphiQL, served from this server's own packages: the intranet reaches no public CDN.
 * `/` and `/playground` show it; its scripts come from `/playground/assets/`.
 */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

/** A package's folder (its `exports` hide the UMD builds from require.resolve). */
function packageDir(pkg: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== pkg) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of ${pkg}`);
    dir = up;
  }
  return dir;
}

const FIRST_QUERY = `# Sign in (demo accounts: admin, yanglao, lucheng, wuma, screen; password demo),
# then put {"Authorization": "Bearer <token>"} under Headers below.
mutation Login {
  login(username: "screen", password: "demo") { token user { username role } }
}

query Board {
  programme(code: "P3") {
    name
    indicators {
      code name unit
      progress(region: "330300") { actual completion status target { value deadline } }
    }
  }
}
`;

function page(endpoint: string): string {
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>Duban playground</title>
<link rel="stylesheet" href="/playground/assets/graphiql.css">
<style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading…</div>
<script src="/playground/assets/react.js"></script>
<script src="/playground/assets/react-dom.js"></script>
<script src="/playground/assets/graphiql.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: ${JSON.stringify(endpoint)} });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(FIRST_QUERY)}, isHeadersEditorEnabled: true, shouldPersistHeaders: true }));
</script>
</body>
</html>`;
}

export function playgroundRouter(endpoint: string): Router {
  const router = Router();
  const html = page(endpoint);
  const files = new Map(Object.entries(ASSETS).map(([name, { pkg, file, type }]) => [name, { body: readFileSync(join(packageDir(pkg), file)), type }]));
  router.get(['/', '/playground'], (_req, res) => { res.type('html').send(html); });
  router.get('/playground/assets/:name', (req, res) => {
    const file = files.get(req.params.name);
    if (!file) { res.sendStatus(404); return; }
    res.type(file.type).set('Cache-Control', 'public, max-age=86400').send(file.body);
  });
  return router;
}
