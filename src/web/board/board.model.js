// One board of the wall: what it shows (read over HTTP) and what its stream has applied (its
// cursor), its activity list by what each item is about, and the operations the page sends.
(function (D) {
  'use strict';
  var T = D.text;

  // The operations, in one place.
  var QUERIES = {
    board: 'query BoardPage($programme: String!, $region: String!) {\n'
      + '  programme(code: $programme) { code name indicators { code name shortName unit decimals\n'
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
      + '    ... on NoticeChanged { action notice { id colour state closedAt region { code name } indicator { code name shortName } } }\n'
      + '  }\n}',
    ranking: 'query BoardRanking($programme: String!, $region: String!, $since: Date) {\n'
      + '  ranking(programme: $programme, region: $region, by: COMPLETION, since: $since) { asOf since\n'
      + '    rows { region { code name } reported value rank rankSince change } }\n}',
    notices: 'query BoardNotices($programme: String!, $region: String!) {\n'
      + '  notices(programme: $programme, region: $region) { id colour state closedAt region { code name } indicator { code name shortName } }\n}',
    login: 'mutation BoardLogin($u: String!, $p: String!) { login(username: $u, password: $p) { token } }',
  };
  var FATAL = ['NOT_FOUND', 'BAD_USER_INPUT', 'FORBIDDEN'];

  // --- HTTP ---------------------------------------------------------------------------------
  /** Where the API is, and the token to send: set by the page's script. */
  var api = { endpoint: '/graphql', token: '', documents: {} };
  /** An operation by its hash in the server's manifest (board.graphql); its text only where the server has no such hash. */
  function operation(query, variables) {
    var name = /^(?:query|mutation|subscription)\s+(\w+)/.exec(query)[1];
    var hash = api.documents && api.documents[name];
    if (!hash) return { query: query, variables: variables };
    return { query: '', operationName: name, variables: variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
  }
  function graphql(query, variables, asText) {
    var body = asText ? { query: query, variables: variables } : operation(query, variables);
    if (!body.query) delete body.query;
    return fetch(api.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + api.token },
      body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { throw new Error(res.status >= 500 ? '服务器内部错误（HTTP ' + res.status + '）' : T.networkError()); });
    }, function () { throw new Error(T.networkError()); }).then(function (result) {
      return !asText && errorCode(result.errors) === 'PERSISTED_QUERY_NOT_FOUND' ? graphql(query, variables, true) : result;
    });
  }
  function errorCode(errors) {
    return errors && errors[0] && errors[0].extensions && errors[0].extensions.code;
  }

  // --- one board: what it shows, and what its stream has applied --------------------------------
  /** `host` is told as the board changes: { changed(board), failed(board), unauthenticated(message) }. */
  function Board(programme, region, host) {
    this.host = host;
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
      if (code === 'UNAUTHENTICATED') { board.host.unauthenticated(T.error(body.errors)); return false; }
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
      board.loads = (board.loads || 0) + 1; // what reads along with the board (board.extras.js) reads again
      board.problem = null;
      board.host.changed(board);
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
    this.host.failed(this);
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
    if (D.extras && typeof D.extras.apply === 'function') D.extras.apply(this, event);
    this.host.changed(this);
  };

  D.model = { QUERIES: QUERIES, FATAL: FATAL, api: api, graphql: graphql, operation: operation, errorCode: errorCode, Board: Board };
  // For the parts of the wall that read on their own (the league table and the notices).
  D.graphql = graphql;
})(window.DubanBoard = window.DubanBoard || {});
