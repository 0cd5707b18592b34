import { Router } from 'express';
import { inlineJson, ownAsset, packageAsset, serveAssets } from '../package-assets';
import { manifestHashes } from '../../server/trusted-documents';

/**
 * The meeting-room board: `/board?programme=P3&region=330300`, a static page and its script,
 * served with graphql-ws from this server's own packages. The script reads the board over HTTP and
 * follows `boardEvents` over WebSocket, resuming from its last cursor after a reconnect. Its token
 * comes from `?token=`, the session, or the sign-in on the page (the demo's `screen` account reads).
 */
export interface BoardPageOptions {
  /** The GraphQL path, for HTTP and WebSocket alike. */
  endpoint: string;
  /** Offer the demo's read-only `screen` account on the sign-in. */
  demo: boolean;
}

function page(options: BoardPageOptions): string {
  const settings = {
    endpoint: options.endpoint, demoAccount: options.demo ? { username: 'screen', password: 'demo' } : null,
    // The page's operations (board.graphql) by their hash in the manifest of trusted documents.
    documents: manifestHashes(['BoardPage', 'BoardPageEvents', 'BoardLogin']),
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
  <div class="title"><span id="programme-name">进度看板</span><span id="region-name"></span></div>
  <div class="meta"><span id="as-of"></span><span id="connection" data-state="connecting">连接中</span></div>
</header>
<p id="problem" role="alert" hidden></p>
<main>
  <section id="rows" aria-label="指标"></section>
  <aside>
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
<script src="/board/assets/graphql-ws.js"></script>
<script src="/board/assets/board.js"></script>
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
    'board.js': ownAsset(__dirname, 'board.client.js', 'text/javascript'),
    'board.css': ownAsset(__dirname, 'board.css', 'text/css'),
  });
  return router;
}
