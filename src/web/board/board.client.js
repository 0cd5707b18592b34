// The meeting-room board's script. It shows one board (`?programme=P3&region=330300`) or rotates
// through several (`?rotate=P3:330300:60,P1:330300:30,P3:330300:20:map`: programme, region,
// seconds, and `map` for the map view). Every board of the playlist is read over HTTP and
// followed over one graphql-ws socket, one boardEvents subscription each, so a board off screen
// is up to date when its turn comes. On a lost connection it reconnects by itself with growing
// pauses and resumes each board from the last cursor it applied: nothing missed, nothing twice.
(function (D) {
  'use strict';
  var T = D.text;
  var h = D.board.h;
  var M = D.model;
  var QUERIES = M.QUERIES;
  var FATAL = M.FATAL;
  var graphql = M.graphql;
  var errorCode = M.errorCode;
  var settings = JSON.parse(document.getElementById('duban-board').textContent);
  var params = new URLSearchParams(location.search);
  var endpoint = settings.endpoint;
  M.api.endpoint = endpoint;
  M.api.documents = settings.documents || {};
  var wsUrl = location.origin.replace(/^http/, 'ws') + endpoint;
  var sseUrl = location.origin + endpoint + '/stream';
  // graphql-ws, or Server-Sent Events where a proxy refuses the WebSocket (`?transport=sse` forces it).
  var transport = params.get('transport') === 'sse' ? 'sse' : 'ws';
  var LABEL = { ws: 'WebSocket', sse: 'SSE' };
  var seconds = function (name, fallback, min) { var v = Number(params.get(name)); return v >= min ? v : fallback; };
  var PAGE_MS = seconds('page', 15, 2) * 1000;   // an indicator page turns after this long
  var PING_MS = seconds('ping', 10, 1) * 1000;   // the socket is pinged this often; silence past it is stale

  // --- the token --------------------------------------------------------------------------------
  var api = M.api;   // its token is the page's: from ?token=, the tab's session, or the sign-in
  api.token = params.get('token') || sessionStorage.getItem('duban.token') || '';
  if (params.has('token')) {
    // Kept for this tab's reloads, and off the address bar on the wall.
    sessionStorage.setItem('duban.token', api.token);
    params.delete('token');
    history.replaceState(null, '', location.pathname + '?' + params.toString());
  }

  var el = function (id) { return document.getElementById(id); };

  // --- the playlist -----------------------------------------------------------------------------
  function playlist() {
    var spec = params.get('rotate');
    if (!spec) {
      return [{ programme: params.get('programme') || 'P3', region: params.get('region') || '330300', ms: 0, view: params.get('view') === 'map' ? 'map' : 'rows' }];
    }
    return spec.split(',').map(function (item) {
      var f = item.trim().split(':');
      var s = Number(f[2]);
      return { programme: f[0], region: f[1], ms: (s >= 1 ? s : 60) * 1000, view: f[3] === 'map' ? 'map' : 'rows' };
    }).filter(function (slot) { return /^[A-Za-z0-9_-]+$/.test(slot.programme) && /^\d+$/.test(slot.region || ''); });
  }

  var host = {
    changed: function (board) { changed(board); },
    failed: function (board) {
      changed(board);
      if (boards.every(function (b) { return b.failed; })) stop();
    },
    unauthenticated: function (message) { askToSignIn(message); },
  };
  var slots = playlist();
  var boards = [];
  var byKey = {};
  slots.forEach(function (slot) {
    var key = slot.programme + ':' + slot.region;
    if (!byKey[key]) { byKey[key] = new M.Board(slot.programme, slot.region, host); boards.push(byKey[key]); }
    slot.board = byKey[key];
  });

  // --- the screen ---------------------------------------------------------------------------
  var current = 0;      // the slot on screen
  var page = 0;         // its indicator page
  var pages = 1;
  var slotStarted = Date.now();
  var pageStarted = Date.now();
  var drawn = null;     // the board last drawn, to keep its page on a redraw

  function unit() { return Math.min(window.innerHeight / 100, window.innerWidth / 177.78); }

  function changed(board) {
    if (slots[current] && slots[current].board === board) draw();
  }

  function draw() {
    var slot = slots[current];
    if (!slot) return;
    var board = slot.board;
    var same = drawn === slot;
    drawn = slot;
    el('programme-name').textContent = board.name || board.programme;
    el('region-name').textContent = board.regionName || board.region;
    el('as-of').textContent = board.asOf ? '截至 ' + board.asOf : '';
    el('watching').textContent = board.watching ? board.watching + ' 人在看' : '';
    document.title = '督办 · ' + (board.name || board.programme) + ' · ' + (board.regionName || board.region);
    D.layout.shrinkToFit(el('title'), 0.6);
    var problem = el('problem');
    problem.hidden = !(board.failed || board.problem);
    problem.textContent = board.failed || board.problem || '';
    var rows = el('rows');
    var map = el('map');
    var showMap = slot.view === 'map' && !board.failed;
    map.hidden = !showMap;
    rows.hidden = showMap || Boolean(board.failed);
    if (board.failed) {
      rows.textContent = '';
    } else if (showMap) {
      if (board.loaded) D.map.draw(map, board, Math.max(12, Math.round(unit() * 1.8))).catch(function (e) { board.problem = e.message; });
      pages = 1;
    } else {
      rows.textContent = '';
      var now = Date.now();
      board.indicators.forEach(function (i) {
        var row = D.board.renderRow(i);
        if (now - (board.flashed[i.code] || 0) < 2000) row.classList.add('flash');
        rows.appendChild(row);
      });
      pages = Math.max(1, D.layout.fitRows(rows));
      if (!same || page >= pages) { page = same ? Math.min(page, pages - 1) : 0; }
      D.layout.showPage(rows, page);
    }
    // The extras first: the activity list fits in the room they leave.
    drawExtras(board);
    drawActivity(board);
    drawPager();
  }

  function drawActivity(board) {
    var list = el('activity');
    list.textContent = '';
    var items = Object.keys(board.items).map(function (k) { return board.items[k]; });
    // In the order things happened (newest first), whether loaded or live.
    items.sort(function (a, b) { return Date.parse(b.at) - Date.parse(a.at); });
    items.slice(0, 30).forEach(function (item) {
      var li = h('li', item.kind ? 'kind-' + item.kind : '');
      li.appendChild(h('time', '', T.when(item.at)));
      li.appendChild(h('span', 'what', item.text));
      list.appendChild(li);
    });
    D.layout.fitList(list);
  }

  // The pager's line is always there, so that the rows' room does not change once they are fitted.
  function drawPager() {
    var parts = [];
    if (pages > 1) parts.push('第 ' + (page + 1) + '/' + pages + ' 页');
    var dots = el('page-dots');
    dots.textContent = '';
    if (pages > 1) for (var i = 0; i < pages; i++) dots.appendChild(h('span', i === page ? 'dot on' : 'dot'));
    el('page-of').textContent = parts.join('');
    var next = el('next');
    if (slots.length > 1) {
      var n = slots[(current + 1) % slots.length];
      var left = Math.max(0, Math.ceil((slots[current].ms - (Date.now() - slotStarted)) / 1000));
      next.textContent = '下一个：' + (n.board.name || n.programme) + ' · ' + (n.board.regionName || n.region) + (n.view === 'map' ? '（地图）' : '') + '，' + left + ' 秒后';
      next.dataset.next = n.programme + ':' + n.region + ':' + n.view;
    } else {
      next.textContent = '';
    }
  }

  // --- the league table and the notices (晾晒, 督办通知) ---------------------------------------
  // A part of its own, served before this script where it exists: it sets
  //   DubanBoard.extras = { draw(board, section), apply(board, event) }
  // draw() fills the aside's #extras for the board on screen (reading with DubanBoard.graphql),
  // apply() takes each of the board's events. Without it the section stays hidden.
  function drawExtras(board) {
    var section = el('extras');
    if (!D.extras || typeof D.extras.draw !== 'function') { section.hidden = true; return; }
    section.hidden = false;
    D.extras.draw(board, section);
  }

  function nextPage() {
    pageStarted = Date.now();
    if (page + 1 < pages) { page += 1; D.layout.showPage(el('rows'), page); drawPager(); return true; }
    return false;
  }
  function nextSlot() {
    current = (current + 1) % slots.length;
    slotStarted = pageStarted = Date.now();
    page = 0;
    draw();
  }
  document.addEventListener('keydown', function (event) {
    // The person setting up the wall: → next page (then the next board), ↓ the next board.
    if (event.key === 'ArrowRight' && !nextPage()) {
      if (slots.length > 1) nextSlot(); else { page = -1; nextPage(); }
    }
    if (event.key === 'ArrowDown' && slots.length > 1) nextSlot();
  });

  // --- the live stream ------------------------------------------------------------------------
  var client = null;
  var attempt = 0;
  var stopped = false;
  var lastHeard = 0;
  var state = 'connecting';

  function setConnection(next, text) {
    state = next;
    var node = el('connection');
    node.dataset.state = next;
    node.textContent = text;
  }
  function heard() { lastHeard = Date.now(); }

  function stop() {
    stopped = true;
    if (client) { client.dispose(); client = null; }
    setConnection('error', '无法显示');
  }

  function reconnectLater() {
    if (stopped) return;
    attempt += 1;
    var pause = Math.min(15000, 250 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
    setConnection('reconnecting', '重连中…');
    setTimeout(connect, pause);
  }
  function lost(from) {
    if (client !== from) return;
    client = null;
    if (from.onLost) from.onLost();
    from.dispose();
    reconnectLater();
  }

  /** A board's next result, from either transport: the event applied, or its errors handled. */
  function onResult(conn, board, result) {
    if (client !== conn) return;
    heard();
    if (result.errors) { onErrors(conn, board, result.errors); return; }
    if (result.data && result.data.boardEvents) board.apply(result.data.boardEvents);
  }
  function onErrors(conn, board, errors) {
    var code = errorCode(errors);
    var why = errors[0] && errors[0].extensions && errors[0].extensions.reason;
    if (code === 'UNAUTHENTICATED') { askToSignIn(T.error(errors)); return; }
    if (why === 'CURSOR_EXPIRED') {
      // Too far behind to resume: read the board afresh, then follow it from now.
      board.cursor = null;
      board.load().then(function () { if (client === conn) follow(conn, board); }, function () { lost(conn); });
      return;
    }
    if (FATAL.indexOf(code) >= 0) { board.fail(errors); return; }
    lost(conn);
  }
  function follow(conn, board) {
    if (conn.kind === 'sse') stream(conn, board); else subscribe(conn, board);
  }

  function subscribe(socket, board) {
    socket.subscribe(M.operation(QUERIES.events, { programme: board.programme, region: board.region, after: board.cursor }), {
      next: function (result) { onResult(socket, board, result); },
      error: function (reason) {
        if (client !== socket) return;
        if (reason && (reason.code === 4403 || reason.code === 4401)) { askToSignIn('登录已失效，请重新登录'); return; }
        if (Array.isArray(reason)) { onErrors(socket, board, reason); return; }
        lost(socket);
      },
      complete: function () { lost(socket); },
    });
  }

  /** One board over Server-Sent Events, resumed from its cursor (board.sse.js reads the stream). */
  function stream(conn, board) {
    var variables = { programme: board.programme, region: board.region, after: board.cursor };
    conn.aborts.push(D.sse.follow(sseUrl, QUERIES.events, variables, api.token, board.cursor, {
      opened: function () {
        if (client !== conn) return;
        conn.opened = true;
        attempt = 0;
        heard();
        setConnection('live', '实时 · ' + LABEL.sse);
      },
      heard: function () { if (client === conn) heard(); },
      result: function (result) { onResult(conn, board, result); return client === conn; },
      refused: function (status, errors) {
        if (client !== conn) return;
        if (status === 401) askToSignIn('登录已失效，请重新登录'); else onErrors(conn, board, errors);
      },
      ended: function () { if (client === conn) lost(conn); },
    }));
  }

  function connect() {
    if (stopped || !api.token) return;
    if (client) client.dispose();
    setConnection(attempt ? 'reconnecting' : 'connecting', attempt ? '重连中…' : '连接中');
    if (transport === 'sse') {
      var conn = {
        kind: 'sse', aborts: [], opened: false,
        dispose: function () { conn.aborts.forEach(function (a) { a.abort(); }); },
      };
      conn.onLost = function () { if (!conn.opened) transport = 'ws'; };
      client = conn;
      boards.forEach(function (board) { if (!board.failed) stream(conn, board); });
      return;
    }
    var opened = false;
    var socket = graphqlWs.createClient({
      url: wsUrl,
      lazy: false,
      retryAttempts: 0, // this script reconnects itself, with the cursor each board has reached
      keepAlive: PING_MS,
      connectionParams: { authorization: 'Bearer ' + api.token },
      on: {
        connected: function () { if (client === socket) { opened = true; attempt = 0; heard(); setConnection('live', '实时 · ' + LABEL.ws); } },
        message: function () { if (client === socket) heard(); },
        closed: function (event) {
          if (client !== socket) return;
          if (event && (event.code === 4403 || event.code === 4401)) { askToSignIn('登录已失效，请重新登录'); return; }
          // A WebSocket that never opened (a proxy that refuses the upgrade): the next try is SSE.
          if (!opened) transport = 'sse';
          lost(socket);
        },
      },
    });
    client = socket;
    boards.forEach(function (board) { if (!board.failed) subscribe(socket, board); });
  }

  // Once a second: the stale badge, the last event's time, the pages and the rotation.
  setInterval(function () {
    var now = Date.now();
    var board = slots[current] && slots[current].board;
    var silent = now - lastHeard;
    // graphql-sse sends its keep-alive every 12 s; the socket is pinged every PING_MS.
    var quiet = transport === 'sse' ? Math.max(PING_MS, 12000) : PING_MS;
    var stale = state === 'live' && silent > quiet + 2000;
    var badge = el('stale');
    badge.hidden = !stale;
    badge.textContent = stale ? Math.round(silent / 1000) + ' 秒无信号' : '';
    // A socket that has missed two pongs and then some is dead even if it has not said so.
    if (state === 'live' && silent > quiet * 2 + 10000 && client) lost(client);
    el('last-event').textContent = board && board.lastEventAt ? '最近事件 ' + T.clock(Date.parse(board.lastEventAt)) : '';
    if (stopped || !board) return;
    if (slots.length > 1 && now - slotStarted >= slots[current].ms) { nextSlot(); return; }
    if (pages > 1 && now - pageStarted >= PAGE_MS) {
      if (!nextPage()) { page = -1; nextPage(); }
      return;
    }
    drawPager();
  }, 1000);

  var resizing = null;
  window.addEventListener('resize', function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { D.map.resize(); draw(); }, 200);
  });

  // --- sign-in --------------------------------------------------------------------------------
  function askToSignIn(message) {
    if (client) { client.dispose(); client = null; }
    sessionStorage.removeItem('duban.token');
    api.token = '';
    setConnection('signed-out', '未登录');
    var form = el('signin');
    form.hidden = false;
    el('signin-error').textContent = message || (settings.demoAccount ? '演示账号：' + settings.demoAccount.username + ' / ' + settings.demoAccount.password : '');
    if (settings.demoAccount && !form.elements.username.value) {
      form.elements.username.value = settings.demoAccount.username;
      form.elements.password.value = settings.demoAccount.password;
    }
  }
  el('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    var form = event.target;
    graphql(QUERIES.login, { u: form.elements.username.value, p: form.elements.password.value }).then(function (body) {
      if (!body.data || !body.data.login) {
        el('signin-error').textContent = errorCode(body.errors) === 'RATE_LIMITED' ? T.error(body.errors) : '用户名或密码不正确';
        return;
      }
      api.token = body.data.login.token;
      sessionStorage.setItem('duban.token', api.token);
      form.hidden = true;
      start();
    }, function (error) { el('signin-error').textContent = error.message; });
  });

  function loadBoard(board) {
    if (board.failed || stopped) return;
    board.load().catch(function (error) {
      board.problem = '看板读取失败：' + error.message + '，稍后自动重试';
      changed(board);
      setTimeout(function () { if (!board.loaded) loadBoard(board); }, 5000);
    });
  }
  function loadAll() { boards.forEach(loadBoard); }

  function start() {
    if (!slots.length) {
      el('problem').textContent = '轮播参数有误：请写成 rotate=项目:地区:秒数，例如 rotate=P3:330300:60,P1:330300:30';
      el('problem').hidden = false;
      stop();
      return;
    }
    // Subscribe first, then read: an event committed between the two is applied after the read.
    connect();
    loadAll();
    draw();
  }

  if (api.token) start(); else askToSignIn();
})(window.DubanBoard = window.DubanBoard || {});
