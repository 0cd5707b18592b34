// One indicator's row: code, whole name, figure with unit and target, the bar with the pace
// marker, completion, status, the child regions and the history. Nothing overlaps: each part has
// its own column, sized by the widest of its kind (see board.layout.js).
(function (D) {
  'use strict';
  var T = D.text;

  function h(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function sparkline(history, target) {
    var ns = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('class', 'spark');
    svg.setAttribute('viewBox', '0 0 100 40');
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.setAttribute('aria-hidden', 'true');
    if (!history || history.length === 0) return svg;
    var values = history.map(function (p) { return p.actual; });
    var top = Math.max.apply(null, values.concat(target && target.value ? [target.value] : []));
    var bottom = Math.min.apply(null, values.concat([0]));
    var span = top - bottom || 1;
    var y = function (v) { return (38 - ((v - bottom) / span) * 36).toFixed(1); };
    var points = history.map(function (p, i) {
      return (history.length === 1 ? 100 : (i / (history.length - 1)) * 100).toFixed(1) + ',' + y(p.actual);
    });
    if (target && target.value) {
      var line = document.createElementNS(ns, 'line');
      line.setAttribute('x1', '0'); line.setAttribute('x2', '100'); line.setAttribute('y1', y(target.value)); line.setAttribute('y2', y(target.value));
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
    // The whole name, on as many lines as it takes; a short name where the indicator has one.
    row.appendChild(h('div', 'name', indicator.shortName || indicator.name));

    var figure = h('div', 'figure');
    var first = h('div', 'figure-actual');
    first.appendChild(h('span', 'actual', T.number(p.actual, indicator.decimals)));
    if (indicator.unit) first.appendChild(h('span', 'unit', indicator.unit));
    figure.appendChild(first);
    figure.appendChild(h('div', 'target', p.target ? '目标 ' + T.target(p.target, indicator.decimals) : '无目标'));
    row.appendChild(figure);

    var bar = h('div', 'bar');
    var fill = h('div', 'fill');
    fill.style.width = Math.max(0, Math.min(1, p.completion || 0)) * 100 + '%';
    bar.appendChild(fill);
    if (p.expectedByNow !== null && p.expectedByNow !== undefined && p.target && p.target.value) {
      var marker = h('div', 'expected');
      marker.style.left = Math.max(0, Math.min(1, p.expectedByNow / p.target.value)) * 100 + '%';
      marker.title = '应达 ' + T.number(p.expectedByNow, indicator.decimals);
      bar.appendChild(marker);
    }
    row.appendChild(bar);
    row.appendChild(h('div', 'pct', p.met !== null && p.met !== undefined && p.metOf ? p.met + '/' + p.metOf : T.percent(p.completion)));
    row.appendChild(h('div', 'status', T.STATUS[p.status] || p.status));

    var children = h('div', 'children');
    (p.children || []).forEach(function (c) {
      var cell = h('span', 'child status-' + c.status, T.regionShort(c.region.name));
      cell.dataset.region = c.region.code;
      cell.title = c.region.name + ' ' + T.number(c.actual, indicator.decimals) + '（' + T.percent(c.completion) + '，' + (T.STATUS[c.status] || c.status) + '）';
      children.appendChild(cell);
    });
    row.appendChild(children);
    row.appendChild(sparkline(p.history, p.target));
    return row;
  }

  var ORDER = ['OVERDUE', 'BEHIND', 'AT_RISK', 'ON_TRACK', 'ACHIEVED', 'NOT_STARTED', 'NO_TARGET'];
  var SHORT = { ACHIEVED: '完成', ON_TRACK: '正常', AT_RISK: '风险', BEHIND: '滞后', OVERDUE: '逾期', NOT_STARTED: '未报', NO_TARGET: '无目标' };
  /** Too many children for whole names in two lines: how many are in each status, worst first. */
  function compactChildren(row) {
    var box = row.querySelector('.children');
    if (!box || box.classList.contains('compact')) return;
    var counts = {};
    Array.prototype.forEach.call(box.children, function (cell) {
      var status = cell.className.replace(/.*status-/, '');
      counts[status] = (counts[status] || 0) + 1;
    });
    var total = box.children.length;
    box.textContent = '';
    box.classList.add('compact');
    ORDER.forEach(function (status) {
      if (counts[status]) box.appendChild(h('span', 'child-count status-' + status, SHORT[status] + ' ' + counts[status]));
    });
    box.title = total + ' 个下级地区';
  }

  D.board = { h: h, renderRow: renderRow, compactChildren: compactChildren };
})(window.DubanBoard = window.DubanBoard || {});
