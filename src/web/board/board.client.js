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
  var settings = JSON.parse(document.getElementById('duban-board').textContent);
  var params = new URLSearchParams(location.search);
  var endpoint = settings.endpoint;
  var wsUrl = location.origin.replace(/^http/, 'ws') + endpoint;
  var seconds = function (name, fallback, min) { var v = Number(params.get(name)); return v >= min ? v : fallback; };
  var PAGE_MS = seconds('page', 15, 2) * 1000;   // an indicator page turns after this long
  var PING_MS = seconds('ping', 10, 1) * 1000;   // the socket is pinged this often; silence past it is stale

  // The operations, in one place.
  var QUERIES = {
    board: 'query BoardPage($programme: String!, $region: String!) {\n'
      + '  programme(code: $programme) { code name indicators { code name unit decimals\n'
      + '    progress(region: $region) { asOf region { code name } actual completion expectedByNow status reportedCount expectedCount met metOf\n'
      + '      target { value min max comparator deadline }\n'
      + '      history { asOf actual }\n'
      + '      children { region { code name } actual completion status } } } }\n'
      + '  submissions(first: 12, filter: { programme: $programme, region: $region }) {\n'
      + '    nodes { value status submittedAt indicator { code name unit decimals } region { name } submittedBy { username } } }\n'
      + '  urges(programme: $programme, region: $region) { createdAt dueOn message indicator { code name } region { name } }\n'
      + '}',
    events: 'subscription BoardPageEvents($programme: String!, $region: String!, $after: String) {\n'
      + '  boardEvents(programme: $programme, region: $region, after: $after) { __typename cursor at\n'
      + '    ... on ProgressChanged { indicator { code name } region { code name }\n'
      + '      progress { actual completion expectedByNow status reportedCount expectedCount met metOf target { value min max comparator deadline } } }\n'
      + '    ... on TargetChanged { target { value min max comparator deadline indicator { code name } region { code name } } }\n'
      + '    ... on SubmissionReviewed { submission { value status reviewNote indicator { code name unit decimals } region { name } } }\n'
      + '    ... on CommentAdded { comment { kind text author { username } indicator { code name } region { name } } }\n'
      + '    ... on UrgeChanged { urge { dueOn message resolvedAt indicator { code name } region { name } } }\n'
      + '    ... on ProgrammeChanged { programme { code } }\n'
      + '    ... on PresenceChanged { change watching watcher { username department } }\n'
      + '  }\n}',
    login: 'mutation BoardLogin($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
  };
  var FATAL = ['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN'];

  // --- the token ----------------------------------------------------------------------------
  var token = params.get('token') || sessionStorage.getItem('duban.token') || '';
  if (params.has('token')) {
    // Kept for this tab's reloads, and off the address bar on the wall.
    sessionStorage.setItem('duban.token', token);
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

  // --- one board: what it shows, and what its stream has applied --------------------------------
  function Board(programme, region) {
    this.programme = programme;
    this.region = region;
    this.indicators = [];
    this.byCode = {};
    this.name = '';
    this.regionName = '';
    this.asOf = '';
    this.cursor = null;      // the last event applied, as a string
    this.lastEventAt = null; // its time
    this.items = {};         // the activity list, by what each item is about
    this.failed = null;      // why it cannot be shown
    this.loaded = false;
    this.refetch = null;
    this.flashed = {};
  }
  Board.prototype.key = function () { return this.programme + ':' + this.region; };
  Board.prototype.note = function (key, at, text, kind) {
    this.items[key] = { at: at, text: text, kind: kind };
    var keys = Object.keys(this.items);
    if (keys.length > 200) {
      var items = this.items;
      keys.sort(function (a, b) { return Date.parse(items[a].at) - Date.parse(items[b].at); });
      keys.slice(0, keys.length - 200).forEach(function (k) { delete items[k]; });
    }
  };
  Board.prototype.load = function () {
    var board = this;
    return graphql(QUERIES.board, { programme: board.programme, region: board.region }).then(function (body) {
      var code = errorCode(body.errors);
      if (code === 'UNAUTHENTICATED') { askToSignIn(T.error(body.errors)); return false; }
      if (FATAL.indexOf(code) >= 0) { board.fail(body.errors); return false; }
      if (!body.data) throw new Error(T.error(body.errors));
      var p = body.data.programme;
      board.indicators = p.indicators;
      board.byCode = {};
      board.indicators.forEach(function (i) { board.byCode[i.code] = i; });
      var first = board.indicators[0] && board.indicators[0].progress;
      board.name = p.code + ' ' + p.name;
      board.regionName = first ? first.region.name : board.region;
      board.asOf = first ? first.asOf : '';
      body.data.submissions.nodes.forEach(function (s) {
        board.note(figureKey(s.region.name, s.indicator.code, s.value), s.submittedAt, T.figure(s.region.name, s.indicator, s.value, s.status), 'submission');
      });
      // Open urges stay on the board until their region reports.
      body.data.urges.forEach(function (u) { board.note('urge|' + u.region.name + '|' + u.indicator.code + '|' + u.dueOn, u.createdAt, T.urge(u), 'urge'); });
      board.loaded = true;
      board.problem = null;
      changed(board);
      return true;
    });
  };
  // After live changes, the whole board again for what events do not carry (history, children).
  Board.prototype.refetchSoon = function () {
    var board = this;
    clearTimeout(board.refetch);
    board.refetch = setTimeout(function () { board.load().catch(function () { /* the next event or reconnect retries */ }); }, 1500);
  };
  Board.prototype.fail = function (errors) {
    this.failed = '无法显示看板（项目 ' + this.programme + '，地区 ' + this.region + '）：' + T.error(errors);
    changed(this);
    if (boards.every(function (b) { return b.failed; })) stop();
  };
  function figureKey(regionName, code, value) { return 'figure|' + regionName + '|' + code + '|' + value; }

  Board.prototype.apply = function (event) {
    if (this.cursor !== null && BigInt(event.cursor) <= BigInt(this.cursor)) return; // already applied
    this.cursor = event.cursor;
    this.lastEventAt = event.at;
    switch (event.__typename) {
      case 'ProgressChanged': {
        var indicator = this.byCode[event.indicator.code];
        if (!indicator) break;
        var p = event.progress;
        if (event.region.code === this.region) {
          Object.assign(indicator.progress, p);
        } else {
          var child = (indicator.progress.children || []).find(function (c) { return c.region.code === event.region.code; });
          if (child) Object.assign(child, { actual: p.actual, completion: p.completion, status: p.status });
          var key = figureKey(event.region.name, indicator.code, p.actual);
          if (!this.items[key]) this.note(key, event.at, T.figure(event.region.name, indicator, p.actual), 'submission');
        }
        this.flashed[indicator.code] = Date.now();
        this.refetchSoon();
        break;
      }
      case 'TargetChanged': {
        var t = event.target;
        this.note('target|' + event.cursor, event.at, T.targetSet(t.region.name, t.indicator.code, t), 'target');
        this.refetchSoon();
        break;
      }
      case 'SubmissionReviewed': {
        var s = event.submission;
        this.note('review|' + event.cursor, event.at, T.figure(s.region.name, s.indicator, s.value, s.status, s.reviewNote), 'review');
        this.refetchSoon();
        break;
      }
      case 'CommentAdded': {
        var c = event.comment;
        this.note('comment|' + event.cursor, event.at, T.comment(c.kind, c.region.name, c.indicator.code, c.author.username, c.text), 'comment');
        break;
      }
      case 'UrgeChanged':
        this.note('urge|' + event.cursor, event.at, T.urge(event.urge), 'urge');
        break;
      case 'ProgrammeChanged':
        this.refetchSoon();
        break;
      case 'PresenceChanged':
        this.watching = event.watching;
        break;
      default:
        break;
    }
    changed(this);
  };

  var slots = playlist();
  var boards = [];
  var byKey = {};
  slots.forEach(function (slot) {
    var key = slot.programme + ':' + slot.region;
    if (!byKey[key]) { byKey[key] = new Board(slot.programme, slot.region); boards.push(byKey[key]); }
    slot.board = byKey[key];
  });

  // --- HTTP ---------------------------------------------------------------------------------
  function graphql(query, variables) {
    return fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ query: query, variables: variables }),
    }).then(function (res) {
      return res.json().catch(function () { throw new Error(res.status >= 500 ? '服务器内部错误（HTTP ' + res.status + '）' : T.networkError()); });
    }, function () { throw new Error(T.networkError()); });
  }
  function errorCode(errors) {
    return errors && errors[0] && errors[0].extensions && errors[0].extensions.code;
  }

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
    drawActivity(board);
    drawPager();
    drawExtras(board);
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
  // Drawn by DubanBoard.extras ({ draw(board, section) }) where that part of the wall is served;
  // without it the section stays hidden.
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
    from.dispose();
    reconnectLater();
  }

  function subscribe(socket, board) {
    socket.subscribe({ query: QUERIES.events, variables: { programme: board.programme, region: board.region, after: board.cursor } }, {
      next: function (result) {
        if (client !== socket) return;
        heard();
        if (result.data && result.data.boardEvents) board.apply(result.data.boardEvents);
      },
      error: function (reason) {
        if (client !== socket) return;
        if (reason && reason.code === 4403) { askToSignIn('登录已失效，请重新登录'); return; }
        if (Array.isArray(reason)) {
          var code = errorCode(reason);
          var why = reason[0] && reason[0].extensions && reason[0].extensions.reason;
          if (code === 'UNAUTHENTICATED') { askToSignIn(T.error(reason)); return; }
          if (why === 'CURSOR_EXPIRED') {
            // Too far behind to resume: read the board afresh, then follow it from now.
            board.cursor = null;
            board.load().then(function () { if (client === socket) subscribe(socket, board); }, function () { lost(socket); });
            return;
          }
          if (FATAL.indexOf(code) >= 0) { board.fail(reason); return; }
        }
        lost(socket);
      },
      complete: function () { lost(socket); },
    });
  }

  function connect() {
    if (stopped || !token) return;
    if (client) client.dispose();
    setConnection(attempt ? 'reconnecting' : 'connecting', attempt ? '重连中…' : '连接中');
    var socket = graphqlWs.createClient({
      url: wsUrl,
      lazy: false,
      retryAttempts: 0, // this script reconnects itself, with the cursor each board has reached
      keepAlive: PING_MS,
      connectionParams: { authorization: 'Bearer ' + token },
      on: {
        connected: function () { if (client === socket) { attempt = 0; heard(); setConnection('live', '实时'); } },
        message: function () { if (client === socket) heard(); },
        closed: function (event) {
          if (client !== socket) return;
          if (event && event.code === 4403) { askToSignIn('登录已失效，请重新登录'); return; }
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
    var stale = state === 'live' && silent > PING_MS + 2000;
    var badge = el('stale');
    badge.hidden = !stale;
    badge.textContent = stale ? Math.round(silent / 1000) + ' 秒无信号' : '';
    // A socket that has missed two pongs and then some is dead even if it has not said so.
    if (state === 'live' && silent > PING_MS * 2 + 10000 && client) lost(client);
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
    token = '';
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
      token = body.data.login.token;
      sessionStorage.setItem('duban.token', token);
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

  if (token) start(); else askToSignIn();
})(window.DubanBoard = window.DubanBoard || {});
