import { Router } from 'express';
import { inlineJson, ownAsset, packageAsset, serveAssets } from '../package-assets';
import { BoundaryIndex } from './board-map';
import { manifestHashes } from '../../server/trusted-documents';

/**
 * The meeting-room board: `/board?programme=P3&region=330300` (or `?rotate=P3:330300:60,P1:330300:30`),
 * a static page and its scripts, served with graphql-ws, echarts and the map's boundaries from this
 * server's own packages: the page makes no request anywhere else. The script reads the board over HTTP and
 * follows `boardEvents` over WebSocket, resuming from its last cursor after a reconnect. Its token
 * comes from `?token=`, the session, or the sign-in on the page (the demo's `screen` account reads).
 */
export interface BoardPageOptions {
  /** The GraphQL path, for HTTP and WebSocket alike. */
  endpoint: string;
  /** Offer the demo's read-only `screen` account on the sign-in. */
  demo: boolean;
}

/**
 * The page's scripts, in the order they load: the parts of board.client.js come before it. The
 * league table and the notices (board.extras.js) are one more part before board.js.
 */
const SCRIPTS = ['graphql-ws.js', 'board.text.js', 'board.model.js', 'board.layout.js', 'board.rows.js', 'board.map.js', 'board.sse.js', 'board.extras.js', 'board.js'];

function page(options: BoardPageOptions): string {
  const settings = {
    endpoint: options.endpoint, demoAccount: options.demo ? { username: 'screen', password: 'demo' } : null,
    // The page's operations (board.graphql) by their hash in the manifest of trusted documents.
    documents: manifestHashes(['BoardPage', 'BoardPageEvents', 'BoardLogin', 'BoardRanking', 'BoardNotices']),
  };
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>督办 · 进度看板</title>
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="/board/assets/board.css">
</head>
<body>
<header>
  <div class="title" id="title"><span id="programme-name">进度看板</span><span id="region-name"></span></div>
  <div class="meta"><span id="as-of"></span><span id="last-event"></span><span id="watching"></span><span id="stale" hidden></span><span id="connection" data-state="connecting">连接中</span></div>
</header>
<main>
  <div class="board">
    <p id="problem" role="alert" hidden></p>
    <section id="rows" aria-label="指标"></section>
    <section id="map" aria-label="地图" hidden>
      <div id="map-canvas"></div>
      <div class="map-side">
        <h2>各地进度</h2>
        <div id="map-legend"></div>
        <h3 id="map-missing-title" hidden></h3>
        <ul id="map-missing"></ul>
      </div>
    </section>
    <footer id="pager"><span id="page-of"></span><span id="page-dots"></span><span id="next"></span></footer>
  </div>
  <aside>
    <section id="extras" aria-label="排名与督办通知" hidden></section>
    <h2>最新动态</h2>
    <ol id="activity"></ol>
    <div class="legend">
      <span class="status-ACHIEVED">已完成</span><span class="status-ON_TRACK">进度正常</span><span class="status-AT_RISK">有风险</span>
      <span class="status-BEHIND">滞后</span><span class="status-OVERDUE">逾期</span><span class="status-NOT_STARTED">未报送</span>
      <span class="marker-key">▏应达进度</span>
    </div>
  </aside>
</main>
<form id="signin" hidden>
  <h1>登录看板</h1>
  <label>用户名 <input name="username" autocomplete="username"></label>
  <label>密码 <input name="password" type="password" autocomplete="current-password"></label>
  <button type="submit">登录</button>
  <p id="signin-error" role="alert"></p>
</form>
<script id="duban-board" type="application/json">${inlineJson(settings)}</script>
${SCRIPTS.map((name) => `<script src="/board/assets/${name}"></script>`).join('\n')}
</body>
</html>`;
}

export function boardPageRouter(options: BoardPageOptions): Router {
  const router = Router();
  const html = page(options);
  router.get('/board', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-cache').set('Referrer-Policy', 'no-referrer').send(html);
  });
  serveAssets(router, '/board/assets', {
    'graphql-ws.js': packageAsset('graphql-ws', 'umd/graphql-ws.min.js', 'text/javascript'),
    'echarts.js': packageAsset('echarts', 'dist/echarts.min.js', 'text/javascript'),
    'board.text.js': ownAsset(__dirname, 'board.text.js', 'text/javascript'),
    'board.model.js': ownAsset(__dirname, 'board.model.js', 'text/javascript'),
    'board.layout.js': ownAsset(__dirname, 'board.layout.js', 'text/javascript'),
    'board.rows.js': ownAsset(__dirname, 'board.rows.js', 'text/javascript'),
    'board.map.js': ownAsset(__dirname, 'board.map.js', 'text/javascript'),
    'board.sse.js': ownAsset(__dirname, 'board.sse.js', 'text/javascript'),
    'board.extras.js': ownAsset(__dirname, 'board.extras.js', 'text/javascript'),
    'board.js': ownAsset(__dirname, 'board.client.js', 'text/javascript'),
    'board.css': ownAsset(__dirname, 'board.css', 'text/css'),
  });
  // The map's boundaries: a region's children, keyed by code; 404 where the data has none.
  const boundaries = new BoundaryIndex();
  router.get('/board/map/:file', (req, res) => {
    const code = /^(\d{6})\.json$/.exec(req.params.file)?.[1];
    const shapes = code ? boundaries.shapes(code) : null;
    if (!shapes) { res.status(404).json({ errors: [{ message: `No boundaries for ${req.params.file}`, extensions: { code: 'NOT_FOUND' } }] }); return; }
    res.type('json').set('Cache-Control', 'public, max-age=3600').send(JSON.stringify(shapes));
  });
  return router;
}
