// The meeting-room board's script: reads the board over HTTP, then follows boardEvents over
// graphql-ws. On a lost connection it reconnects by itself with growing pauses and resumes from
// the last cursor it applied, so no event is missed or applied twice.
(function () {
  'use strict';
  var settings = JSON.parse(document.getElementById('duban-board').textContent);
  var params = new URLSearchParams(location.search);
  var programme = params.get('programme') || 'P3';
  var region = params.get('region') || '330300';
  var endpoint = settings.endpoint;
  var wsUrl = location.origin.replace(/^http/, 'ws') + endpoint;

  var BOARD = 'query BoardPage($programme: String!, $region: String!) {\n'
    + '  programme(code: $programme) { code name indicators { code name unit decimals\n'
    + '    progress(region: $region) { asOf region { code name } actual completion expectedByNow status reportedCount expectedCount met metOf\n'
    + '      target { value min max comparator deadline }\n'
    + '      history { asOf actual }\n'
    + '      children { region { code name } actual completion status } } } }\n'
    + '  submissions(first: 12, filter: { programme: $programme, region: $region }) {\n'
    + '    nodes { value status submittedAt indicator { code name } region { name } submittedBy { username } } }\n'
    + '  urges(programme: $programme, region: $region) { createdAt dueOn message indicator { code name } region { name } }\n'
    + '}';
  var EVENTS = 'subscription BoardPageEvents($programme: String!, $region: String!, $after: String) {\n'
    + '  boardEvents(programme: $programme, region: $region, after: $after) { __typename cursor at\n'
    + '    ... on ProgressChanged { indicator { code name } region { code name }\n'
    + '      progress { actual completion expectedByNow status reportedCount expectedCount met metOf target { value min max comparator deadline } } }\n'
    + '    ... on TargetChanged { target { value min max comparator deadline indicator { code name } region { code name } } }\n'
    + '    ... on SubmissionReviewed { submission { value status reviewNote indicator { code name } region { name } } }\n'
    + '    ... on CommentAdded { comment { kind text author { username } indicator { code name } region { name } } }\n'
    + '    ... on UrgeChanged { urge { dueOn message resolvedAt indicator { code name } region { name } } }\n'
    + '    ... on ProgrammeChanged { programme { code } }\n'
    + '    ... on PresenceChanged { change watching watcher { username department } }\n'
    + '  }\n}';

  var STATUS = {
    ACHIEVED: '已完成', ON_TRACK: '进度正常', AT_RISK: '有风险', BEHIND: '滞后',
    OVERDUE: '逾期', NOT_STARTED: '未报送', NO_TARGET: '无目标',
  };
  var REVIEW = { SUBMITTED: '待审核', APPROVED: '已通过', RETURNED: '已退回' };

  // --- the token ----------------------------------------------------------------------------
  var token = params.get('token') || sessionStorage.getItem('duban.token') || '';
  if (params.has('token')) {
    // Kept for this tab's reloads, and off the address bar on the wall.
    sessionStorage.setItem('duban.token', token);
    params.delete('token');
    history.replaceState(null, '', location.pathname + '?' + params.toString());
  }

  // --- state ----------------------------------------------------------------------------------
  var indicators = [];           // from the board query, in the report's order
  var byCode = {};
  var lastCursor = null;         // the last event applied, as a string
  var client = null;
  var attempt = 0;
  var refetchTimer = null;

  var el = function (id) { return document.getElementById(id); };
  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function setConnection(state, text) {
    var node = el('connection');
    node.dataset.state = state;
    node.textContent = text;
  }

  function number(value, decimals) {
    if (value === null || value === undefined) return '—';
    return Number(value).toLocaleString('zh-CN', { maximumFractionDigits: decimals === undefined ? 2 : decimals });
  }
  function percent(value) {
    return value === null || value === undefined ? '—' : Math.round(value * 100) + '%';
  }
  function targetText(target, decimals) {
    if (!target) return '无目标';
    if (target.comparator === 'RANGE') return number(target.min, decimals) + '–' + number(target.max, decimals);
    var sign = target.comparator === 'LTE' ? '≤' : '';
    return sign + number(target.value, decimals);
  }
  function shortName(name) {
    return name.replace(/(街道|自治县|新区|区|县|市|镇|乡)$/, '').slice(0, 3);
  }
  function when(iso) {
    var d = new Date(iso);
    return d.toLocaleString('zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'Asia/Shanghai' });
  }

  // An operation by its hash in the server's manifest (board.graphql); its text only if the server does not know the hash.
  function operation(query, variables) {
    var name = /^(?:query|mutation|subscription)\s+(\w+)/.exec(query)[1];
    var hash = settings.documents && settings.documents[name];
    if (!hash) return { query: query, variables: variables };
    return { query: '', operationName: name, variables: variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
  }
  function graphql(query, variables, asText) {
    var body = asText ? { query: query, variables: variables } : operation(query, variables);
    if (!body.query) delete body.query;
    return fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify(body),
    }).then(function (res) { return res.json(); }).then(function (result) {
      return !asText && errorCode(result.errors) === 'PERSISTED_QUERY_NOT_FOUND' ? graphql(query, variables, true) : result;
    });
  }
  function errorCode(errors) {
    return errors && errors[0] && errors[0].extensions && errors[0].extensions.code;
  }

  // --- drawing ---------------------------------------------------------------------------------
  function sparkline(history, target) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 100 40');
    svg.setAttribute('preserveAspectRatio', 'none');
    if (!history || history.length === 0) return svg;
    var values = history.map(function (p) { return p.actual; });
    var top = Math.max.apply(null, values.concat(target && target.value ? [target.value] : []));
    var bottom = Math.min.apply(null, values.concat([0]));
    var span = top - bottom || 1;
    var points = history.map(function (p, i) {
      var x = history.length === 1 ? 100 : (i / (history.length - 1)) * 100;
      var y = 38 - ((p.actual - bottom) / span) * 36;
      return x.toFixed(1) + ',' + y.toFixed(1);
    });
    if (target && target.value) {
      var line = document.createElementNS(ns, 'line');
      var ty = (38 - ((target.value - bottom) / span) * 36).toFixed(1);
      line.setAttribute('x1', '0'); line.setAttribute('x2', '100'); line.setAttribute('y1', ty); line.setAttribute('y2', ty);
      line.setAttribute('class', 'spark-target');
      svg.appendChild(line);
    }
    var path = document.createElementNS(ns, 'polyline');
    path.setAttribute('points', points.length === 1 ? '0,' + points[0].split(',')[1] + ' ' + points[0] : points.join(' '));
    svg.appendChild(path);
    return svg;
  }

  function renderRow(indicator) {
    var p = indicator.progress;
    var row = h('div', 'row status-' + p.status);
    row.dataset.indicator = indicator.code;
    row.dataset.status = p.status;
    row.appendChild(h('div', 'code', indicator.code));
    var name = h('div', 'name', indicator.name);
    name.title = indicator.name;
    row.appendChild(name);

    var figure = h('div', 'figure');
    var actual = h('span', 'actual', number(p.actual, indicator.decimals));
    figure.appendChild(actual);
    if (indicator.unit) figure.appendChild(h('span', 'unit', ' ' + indicator.unit));
    figure.appendChild(h('span', 'target', ' / ' + targetText(p.target, indicator.decimals)));
    row.appendChild(figure);

    var bar = h('div', 'bar');
    var fill = h('div', 'fill');
    fill.style.width = Math.max(0, Math.min(1, p.completion || 0)) * 100 + '%';
    bar.appendChild(fill);
    if (p.expectedByNow !== null && p.target && p.target.value) {
      var marker = h('div', 'expected');
      marker.style.left = Math.max(0, Math.min(1, p.expectedByNow / p.target.value)) * 100 + '%';
      marker.title = '应达 ' + number(p.expectedByNow, indicator.decimals);
      bar.appendChild(marker);
    }
    bar.appendChild(h('span', 'pct', p.met !== null && p.met !== undefined && p.metOf ? p.met + '/' + p.metOf : percent(p.completion)));
    row.appendChild(bar);

    row.appendChild(h('div', 'status', STATUS[p.status] || p.status));

    var children = h('div', 'children');
    (p.children || []).forEach(function (c) {
      var cell = h('span', 'child status-' + c.status, shortName(c.region.name));
      cell.dataset.region = c.region.code;
      cell.title = c.region.name + ' ' + number(c.actual, indicator.decimals) + ' (' + percent(c.completion) + ', ' + (STATUS[c.status] || c.status) + ')';
      children.appendChild(cell);
    });
    row.appendChild(children);
    row.appendChild(sparkline(p.history, p.target));
    return row;
  }

  function renderAll() {
    var rows = el('rows');
    rows.textContent = '';
    rows.style.setProperty('--rows', String(Math.max(indicators.length, 8)));
    indicators.forEach(function (i) { rows.appendChild(renderRow(i)); });
  }
  function redraw(code, flash) {
    var indicator = byCode[code];
    var old = document.querySelector('.row[data-indicator="' + code + '"]');
    if (!indicator || !old) return;
    var row = renderRow(indicator);
    if (flash) row.classList.add('flash');
    old.replaceWith(row);
  }

  function urgeText(u) {
    return '催办 ' + u.region.name + ' ' + u.indicator.code + ' ' + u.indicator.name + '，' + u.dueOn + ' 前报送' + (u.message ? '：' + u.message : '');
  }

  function activity(iso, text, kind) {
    var list = el('activity');
    var item = h('li', kind ? 'kind-' + kind : '');
    item.appendChild(h('time', '', when(iso)));
    item.appendChild(document.createTextNode(' ' + text));
    list.insertBefore(item, list.firstChild);
    while (list.children.length > 14) list.removeChild(list.lastChild);
  }

  // A board that cannot be shown (an unknown programme or region, a code mistyped): say so, and stop.
  var stopped = false;
  function cannotShow(errors) {
    stopped = true;
    if (client) { client.dispose(); client = null; }
    setConnection('error', '无法显示');
    var problem = el('problem');
    problem.textContent = '无法显示看板（programme=' + programme + '，region=' + region + '）：'
      + errors.map(function (e) { return e.message; }).join('；');
    problem.hidden = false;
  }
  var FATAL = ['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN'];

  // --- reading the board ----------------------------------------------------------------------
  function load() {
    return graphql(BOARD, { programme: programme, region: region }).then(function (body) {
      if (errorCode(body.errors) === 'UNAUTHENTICATED') { askToSignIn('请重新登录'); return false; }
      if (FATAL.indexOf(errorCode(body.errors)) >= 0) { cannotShow(body.errors); return false; }
      if (!body.data) throw new Error((body.errors && body.errors[0] && body.errors[0].message) || '看板读取失败');
      var p = body.data.programme;
      indicators = p.indicators;
      byCode = {};
      indicators.forEach(function (i) { byCode[i.code] = i; });
      var first = indicators[0] && indicators[0].progress;
      el('programme-name').textContent = p.code + ' ' + p.name;
      el('region-name').textContent = first ? first.region.name : region;
      el('as-of').textContent = first ? '截至 ' + first.asOf : '';
      document.title = '督办 · ' + p.name + (first ? ' · ' + first.region.name : '');
      renderAll();
      if (!el('activity').children.length) {
        body.data.submissions.nodes.slice().reverse().forEach(function (s) {
          activity(s.submittedAt, s.region.name + ' 报送 ' + s.indicator.code + ' ' + number(s.value) + '（' + (REVIEW[s.status] || s.status) + '）', 'submission');
        });
        // Open urges stay on the board until their region reports.
        body.data.urges.slice().reverse().forEach(function (u) { activity(u.createdAt, urgeText(u), 'urge'); });
      }
      return true;
    });
  }
  // After live changes, the whole board again for what events do not carry (history, children).
  function refetchSoon() {
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(function () { load().catch(function () { /* the next event or reconnect retries */ }); }, 1500);
  }

  // --- the live stream ------------------------------------------------------------------------
  function apply(event) {
    if (lastCursor !== null && BigInt(event.cursor) <= BigInt(lastCursor)) return; // already applied
    lastCursor = event.cursor;
    switch (event.__typename) {
      case 'ProgressChanged': {
        var indicator = byCode[event.indicator.code];
        if (!indicator) break;
        var p = event.progress;
        if (event.region.code === region) {
          Object.assign(indicator.progress, p);
        } else {
          var child = (indicator.progress.children || []).find(function (c) { return c.region.code === event.region.code; });
          if (child) Object.assign(child, { actual: p.actual, completion: p.completion, status: p.status });
          activity(event.at, event.region.name + ' ' + event.indicator.code + ' ' + event.indicator.name + ' 更新为 ' + number(p.actual, indicator.decimals), 'progress');
        }
        redraw(indicator.code, true);
        refetchSoon();
        break;
      }
      case 'TargetChanged': {
        var t = event.target;
        activity(event.at, t.region.name + ' ' + t.indicator.code + ' 目标调整为 ' + targetText(t), 'target');
        refetchSoon();
        break;
      }
      case 'SubmissionReviewed': {
        var s = event.submission;
        activity(event.at, s.region.name + ' ' + s.indicator.code + ' ' + number(s.value) + ' ' + (REVIEW[s.status] || s.status) + (s.reviewNote ? '：' + s.reviewNote : ''), 'review');
        refetchSoon();
        break;
      }
      case 'CommentAdded': {
        var c = event.comment;
        activity(event.at, (c.kind === 'INSTRUCTION' ? '批示 ' : '评论 ') + c.region.name + ' ' + c.indicator.code + '（' + c.author.username + '）：' + c.text, 'comment');
        break;
      }
      case 'UrgeChanged': {
        var u = event.urge;
        activity(event.at, u.resolvedAt
          ? u.region.name + ' 已报送 ' + u.indicator.code + '，催办办结'
          : urgeText(u), 'urge');
        break;
      }
      case 'ProgrammeChanged':
        refetchSoon();
        break;
      case 'PresenceChanged':
        el('watching').textContent = event.watching + ' 人在看';
        break;
      default:
        break;
    }
  }

  function reconnectLater() {
    if (stopped) return;
    attempt += 1;
    var pause = Math.min(15000, 250 * Math.pow(2, attempt)) * (0.75 + Math.random() / 2);
    setConnection('reconnecting', '重连中…');
    setTimeout(connect, pause);
  }

  function connect() {
    if (stopped) return;
    if (client) client.dispose();
    setConnection(attempt ? 'reconnecting' : 'connecting', attempt ? '重连中…' : '连接中');
    var current = graphqlWs.createClient({
      url: wsUrl,
      lazy: false,
      retryAttempts: 0, // this script reconnects itself, with the cursor it has reached
      connectionParams: { authorization: 'Bearer ' + token },
      on: {
        connected: function () { if (client === current) { attempt = 0; setConnection('live', '实时'); } },
      },
    });
    client = current;
    current.subscribe(operation(EVENTS, { programme: programme, region: region, after: lastCursor }), {
      next: function (result) {
        if (client !== current) return;
        if (result.data && result.data.boardEvents) apply(result.data.boardEvents);
      },
      error: function (reason) {
        if (client !== current) return;
        if (reason && reason.code === 4403) { askToSignIn('请重新登录'); return; }
        if (Array.isArray(reason)) {
          var code = errorCode(reason);
          var why = reason[0] && reason[0].extensions && reason[0].extensions.reason;
          if (code === 'UNAUTHENTICATED') { askToSignIn('请重新登录'); return; }
          if (why === 'CURSOR_EXPIRED') {
            // Too far behind to resume: read the board afresh, then follow from now.
            lastCursor = null;
            load().then(function () { attempt = 0; connect(); }, reconnectLater);
            return;
          }
          if (FATAL.indexOf(code) >= 0) { cannotShow(reason); return; }
        }
        reconnectLater();
      },
      complete: function () { if (client === current) reconnectLater(); },
    });
  }

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
    graphql('mutation BoardLogin($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
      { u: form.elements.username.value, p: form.elements.password.value }).then(function (body) {
      if (!body.data || !body.data.login) { el('signin-error').textContent = '用户名或密码不正确'; return; }
      token = body.data.login.token;
      sessionStorage.setItem('duban.token', token);
      form.hidden = true;
      start();
    }, function () { el('signin-error').textContent = '无法连接服务器'; });
  });

  function start() {
    // Subscribe first, then read: an event committed between the two is applied after the read.
    connect();
    load().catch(function (error) { activity(new Date().toISOString(), error.message, 'error'); });
  }

  var watching = h('span', '', '');
  watching.id = 'watching';
  el('connection').parentNode.insertBefore(watching, el('connection'));
  if (token) start(); else askToSignIn();
})();
