// The league table (晾晒) and the open supervision notices (督办通知) beside a board: the region's
// children ranked by completion, each with its move (↑/↓) against the ranking the page showed
// before (on the first read, against the previous day's), and the open notices by colour, worst
// first. Both are read with the board, and again each time the board is read again (after a
// figure moves it: the board's own debounced refetch); a NoticeChanged event opens, recolours or
// closes a notice at once. It plugs into the page as DubanBoard.extras (see board.client.js).
(function (D) {
  'use strict';
  var T = D.text;
  var h = D.board.h;
  var M = D.model;

  var COLOUR = { RED: '红', YELLOW: '黄', BLUE: '蓝' };
  var COLOURS = ['RED', 'YELLOW', 'BLUE'];
  var STATE = {
    ISSUED: '待签收', ACKNOWLEDGED: '已签收', EXTENSION_REQUESTED: '申请延期', EXTENSION_GRANTED: '已延期',
    EXTENSION_REFUSED: '不予延期', COMPLETED: '待验收', RETURNED: '退回重办', ACCEPTED: '已验收', LIFTED: '已解除',
  };
  var ACTION = {
    ISSUED: '发出', RAISED: '升级', LOWERED: '降级', ESCALATED: '上报领导', LIFTED: '解除', ACKNOWLEDGED: '签收',
    EXTENSION_REQUESTED: '申请延期', EXTENSION_GRANTED: '准予延期', EXTENSION_REFUSED: '不予延期', COMPLETED: '办结',
    ACCEPTED: '验收', RETURNED: '退回重办',
  };

  /** What the page holds for each board, by its key. */
  var held = {};
  var onScreen = null;
  function stateOf(board) {
    var key = board.key();
    if (!held[key]) {
      held[key] = { loads: 0, ranking: null, rankingError: null, rankingSeq: 0, shown: {}, moves: {},
        notices: null, noticesError: null, noticesSeq: 0, pending: null };
    }
    return held[key];
  }

  function dayBefore(day) {
    var d = new Date(day + 'T00:00:00Z');
    d.setUTCDate(d.getUTCDate() - 1);
    return d.toISOString().slice(0, 10);
  }
  function failure(body) {
    return body.errors ? T.error(body.errors) : '无数据';
  }

  // --- reading -------------------------------------------------------------------------------
  function readRanking(board, s) {
    var seq = ++s.rankingSeq;
    var variables = { programme: board.programme, region: board.region, since: board.asOf ? dayBefore(board.asOf) : null };
    M.graphql(M.QUERIES.ranking, variables).then(function (body) {
      if (seq !== s.rankingSeq) return; // a later read is on its way
      if (!body.data || !body.data.ranking) { s.rankingError = failure(body); redraw(board); return; }
      var first = s.ranking === null;
      body.data.ranking.rows.forEach(function (row) {
        var code = row.region.code;
        var before = s.shown[code];
        if (first) s.moves[code] = row.change;   // against the previous day
        else if (before !== undefined && before !== null && row.rank !== null && before !== row.rank) s.moves[code] = before - row.rank;
        if (row.rank === null) s.moves[code] = null;
        s.shown[code] = row.rank;
      });
      s.ranking = body.data.ranking;
      s.rankingError = null;
      redraw(board);
    }, function (error) { if (seq === s.rankingSeq) { s.rankingError = error.message; redraw(board); } });
  }

  function readNotices(board, s) {
    var seq = ++s.noticesSeq;
    s.pending = [];
    M.graphql(M.QUERIES.notices, { programme: board.programme, region: board.region }).then(function (body) {
      if (seq !== s.noticesSeq) return;
      var pending = s.pending || [];
      s.pending = null;
      if (!body.data || !body.data.notices) { s.noticesError = failure(body); redraw(board); return; }
      s.notices = {};
      body.data.notices.forEach(function (n) { s.notices[n.id] = n; });
      // Events that came while the read was on its way: applied after it, in their order.
      pending.forEach(function (n) { hold(s, n); });
      s.noticesError = null;
      redraw(board);
    }, function (error) { if (seq === s.noticesSeq) { s.pending = null; s.noticesError = error.message; redraw(board); } });
  }

  function hold(s, notice) {
    if (notice.closedAt) delete s.notices[notice.id]; else s.notices[notice.id] = notice;
  }

  // --- the board's events ------------------------------------------------------------------------
  function apply(board, event) {
    if (event.__typename !== 'NoticeChanged') return;
    var n = event.notice;
    var s = stateOf(board);
    if (s.pending) s.pending.push(n);
    if (s.notices) hold(s, n);
    board.note('notice|' + event.cursor, event.at, '督办通知（' + (COLOUR[n.colour] || n.colour) + '）' + n.region.name + ' ' + n.indicator.code + ' '
      + (ACTION[event.action] || event.action), 'notice');
  }

  // --- drawing -------------------------------------------------------------------------------
  function draw(board, section) {
    onScreen = board;
    var s = stateOf(board);
    if (board.loaded && s.loads !== board.loads) {
      s.loads = board.loads;
      readRanking(board, s);
      readNotices(board, s);
    }
    render(board, s, section);
  }
  function redraw(board) {
    if (onScreen !== board) return;
    render(board, stateOf(board), document.getElementById('extras'));
    D.layout.fitList(document.getElementById('activity')); // in the room left to it
  }

  function render(board, s, section) {
    section.textContent = '';
    section.appendChild(h('h2', '', '晾晒排名（完成率）'));
    var list = h('ol', 'ranking');
    list.id = 'ranking';
    section.appendChild(list);
    if (s.rankingError) list.appendChild(h('li', 'extras-note', '排名暂不可用：' + s.rankingError));
    else if (!s.ranking) list.appendChild(h('li', 'extras-note', '读取中…'));
    else if (!s.ranking.rows.length) list.appendChild(h('li', 'extras-note', '无下级地区，不排名'));
    else if (s.ranking.rows.every(function (r) { return r.rank === null; })) {
      // Nobody has reported: one line, not a column of 未报送.
      list.dataset.ranks = s.ranking.rows.map(function (r) { return r.region.code + ':-'; }).join(',');
      list.appendChild(h('li', 'extras-note', s.ranking.rows.length + ' 个下级地区均未报送，暂不排名'));
    } else rankingRows(s, list);

    var title = h('h2', 'notices-title', '督办通知');
    section.appendChild(title);
    var counts = h('div', 'notice-counts');
    section.appendChild(counts);
    var notices = h('ol', 'notices');
    notices.id = 'notices';
    section.appendChild(notices);
    if (s.noticesError) notices.appendChild(h('li', 'extras-note', '督办通知暂不可用：' + s.noticesError));
    else if (!s.notices) notices.appendChild(h('li', 'extras-note', '读取中…'));
    else noticeRows(s, counts, notices);

    if (s.ranking && s.notices) section.dataset.board = board.key(); else delete section.dataset.board;
    fitRanking(list);
    D.layout.fitList(notices);
    var hidden = Array.prototype.filter.call(notices.children, function (li) { return li.hidden; }).length;
    if (hidden) {
      // What does not fit is counted, never dropped silently.
      var more = h('li', 'extras-note', '另有 ' + hidden + ' 条未显示');
      notices.appendChild(more);
      var items = Array.prototype.filter.call(notices.children, function (li) { return !li.hidden && li !== more; });
      var bottom = notices.getBoundingClientRect().top + notices.clientHeight + 0.5;
      while (more.getBoundingClientRect().bottom > bottom && items.length) {
        items.pop().hidden = true;
        more.textContent = '另有 ' + (hidden += 1) + ' 条未显示';
      }
    }
  }

  function rankingRows(s, list) {
    var rows = s.ranking.rows;
    list.dataset.ranks = rows.map(function (r) { return r.region.code + ':' + (r.rank === null ? '-' : r.rank); }).join(',');
    rows.forEach(function (r) {
      var li = h('li', r.rank === null ? 'unranked' : '');
      li.dataset.region = r.region.code;
      li.dataset.rank = r.rank === null ? '' : String(r.rank);
      var move = s.moves[r.region.code];
      li.dataset.move = move === null || move === undefined ? '' : String(move);
      li.appendChild(h('span', 'rank', r.rank === null ? '—' : String(r.rank)));
      li.appendChild(h('span', 'who', r.region.name));
      li.appendChild(h('span', 'value', r.reported ? T.percent(r.value) : '未报送'));
      li.appendChild(h('span', 'move' + (move > 0 ? ' up' : move < 0 ? ' down' : ''),
        move > 0 ? '↑' + move : move < 0 ? '↓' + (-move) : r.rank === null ? '' : '—'));
      list.appendChild(li);
    });
  }

  /** Too many children for the room: the first ones and the last ones, with how many are between. */
  function fitRanking(list) {
    var items = Array.prototype.slice.call(list.children);
    if (!items.length || list.scrollHeight <= list.clientHeight + 1) return;
    var one = items[0].offsetHeight || 1;
    var room = Math.max(3, Math.floor(list.clientHeight / one));
    var head = Math.ceil((room - 1) / 2);
    var tail = room - 1 - head;
    items.forEach(function (li, i) { li.hidden = i >= head && i < items.length - tail; });
    var gap = h('li', 'extras-note', '… 另有 ' + (items.length - head - tail) + ' 个地区');
    list.insertBefore(gap, items[items.length - tail] || null);
    // Rounding: one more off the top half until it all fits.
    while (list.scrollHeight > list.clientHeight + 1 && head > 1) {
      head -= 1;
      items[head].hidden = true;
      gap.textContent = '… 另有 ' + (items.length - head - tail) + ' 个地区';
    }
  }

  function noticeRows(s, counts, list) {
    var all = Object.keys(s.notices).map(function (id) { return s.notices[id]; });
    all.sort(function (a, b) {
      return COLOURS.indexOf(a.colour) - COLOURS.indexOf(b.colour) || a.region.code.localeCompare(b.region.code) || a.indicator.code.localeCompare(b.indicator.code);
    });
    list.dataset.notices = all.map(function (n) { return n.region.code + '/' + n.indicator.code + ':' + n.colour + ':' + n.state; }).join(',');
    COLOURS.forEach(function (c) {
      var n = all.filter(function (x) { return x.colour === c; }).length;
      var badge = h('span', 'notice-count colour-' + c, COLOUR[c] + ' ' + n);
      badge.dataset.colour = c;
      badge.dataset.count = String(n);
      counts.appendChild(badge);
    });
    if (!all.length) { list.appendChild(h('li', 'extras-note', '没有未结的督办通知')); return; }
    all.forEach(function (n) {
      var li = h('li', 'notice colour-' + n.colour);
      li.dataset.notice = n.region.code + '/' + n.indicator.code;
      li.dataset.colour = n.colour;
      li.appendChild(h('span', 'swatch'));
      // The code, as on the rows; the short name where the indicator has one (a whole name takes lines the wall has not).
      li.appendChild(h('span', 'what', n.region.name + ' ' + n.indicator.code + (n.indicator.shortName ? ' ' + n.indicator.shortName : '')));
      li.appendChild(h('span', 'state', STATE[n.state] || n.state));
      list.appendChild(li);
    });
  }

  D.extras = { draw: draw, apply: apply };
})(window.DubanBoard = window.DubanBoard || {});
