// The map (一张图): the board region's children coloured by how many of their indicators are
// behind or overdue, drawn by echarts from boundaries this server serves (/board/map/<code>.json).
// Children the boundary data has no shape for are listed beside the map, never dropped.
(function (D) {
  'use strict';
  var T = D.text;
  var shapes = {}; // region code → promise of its children's shapes, or null when there are none
  var chart = null;
  var COLOURS = { good: '#22b35e', done: '#2e9bff', some: '#f0a500', many: '#e5484d', none: '#5b6b7c' };
  var LEVEL = { good: '无滞后', done: '全部完成', some: '滞后 1–2 项', many: '滞后 3 项及以上', none: '未报送' };

  var library = null;
  /** echarts, loaded from this server the first time a map is shown. */
  function loadLibrary() {
    if (!library) {
      library = new Promise(function (resolve, reject) {
        var script = document.createElement('script');
        script.src = '/board/assets/echarts.js';
        script.onload = resolve;
        script.onerror = function () { library = null; reject(new Error('地图组件读取失败')); };
        document.head.appendChild(script);
      });
    }
    return library;
  }

  function load(region) {
    if (!shapes[region]) {
      shapes[region] = loadLibrary().then(function () { return fetch('/board/map/' + region + '.json'); }).then(function (res) {
        if (res.status === 404) return null;
        if (!res.ok) throw new Error('地图数据读取失败');
        return res.json();
      }).then(function (json) {
        if (json) echarts.registerMap('r' + region, json);
        return json;
      });
      shapes[region].catch(function () { delete shapes[region]; });
    }
    return shapes[region];
  }

  /** Each child region with its standing over all of the board's indicators. */
  function standings(model) {
    var byCode = {};
    var order = [];
    model.indicators.forEach(function (indicator) {
      (indicator.progress.children || []).forEach(function (c) {
        var s = byCode[c.region.code];
        if (!s) { s = byCode[c.region.code] = { code: c.region.code, name: c.region.name, late: 0, achieved: 0, counted: 0, reported: 0 }; order.push(s); }
        if (c.status === 'BEHIND' || c.status === 'OVERDUE') s.late += 1;
        if (c.status === 'ACHIEVED') s.achieved += 1;
        if (c.status !== 'NO_TARGET') s.counted += 1;
        if (c.status !== 'NOT_STARTED' && c.status !== 'NO_TARGET') s.reported += 1;
      });
    });
    order.forEach(function (s) {
      s.level = s.reported === 0 ? 'none' : s.late >= 3 ? 'many' : s.late > 0 ? 'some' : s.achieved === s.counted ? 'done' : 'good';
    });
    return order;
  }

  function entry(s) {
    var li = D.board.h('li', 'map-region');
    var swatch = D.board.h('span', 'swatch');
    swatch.style.background = COLOURS[s.level];
    li.appendChild(swatch);
    li.appendChild(D.board.h('span', 'map-name', s.name));
    li.appendChild(D.board.h('span', 'map-late', s.late ? '滞后 ' + s.late : LEVEL[s.level]));
    li.dataset.region = s.code;
    return li;
  }

  /** Draws `model`'s map into `view` (#map): the chart, the legend, and what it cannot draw. */
  function draw(view, model, fontPx) {
    var list = standings(model);
    var canvas = view.querySelector('#map-canvas');
    var missing = view.querySelector('#map-missing');
    var legend = view.querySelector('#map-legend');
    legend.textContent = '';
    ['good', 'done', 'some', 'many', 'none'].forEach(function (level) {
      var item = D.board.h('span', 'map-key', LEVEL[level]);
      item.style.setProperty('--swatch', COLOURS[level]);
      legend.appendChild(item);
    });
    return load(model.region).then(function (json) {
      var drawn = {};
      ((json && json.features) || []).forEach(function (f) { drawn[f.properties.name] = true; });
      var absent = list.filter(function (s) { return !drawn[s.code]; });
      missing.textContent = '';
      var heading = view.querySelector('#map-missing-title');
      heading.textContent = !json ? '此级地区没有边界数据，按地区列出：' : absent.length ? '边界数据中没有以下地区，未画在图上：' : '';
      heading.hidden = !heading.textContent;
      absent.forEach(function (s) { missing.appendChild(entry(s)); });
      view.dataset.drawn = String(list.length - absent.length);
      view.dataset.missing = absent.map(function (s) { return s.code; }).join(',');
      if (!json) { if (chart) { chart.dispose(); chart = null; } canvas.hidden = true; return; }
      canvas.hidden = false;
      if (!chart || chart.getDom() !== canvas) { if (chart) chart.dispose(); chart = echarts.init(canvas, null, { renderer: 'canvas' }); }
      var names = {};
      list.forEach(function (s) { names[s.code] = s; });
      chart.setOption({
        animation: false,
        series: [{
          type: 'map', map: 'r' + model.region, roam: false, selectedMode: false, layoutCenter: ['50%', '50%'], layoutSize: '95%',
          itemStyle: { areaColor: '#1b2a3a', borderColor: '#0b1622', borderWidth: 2 },
          emphasis: { disabled: true },
          label: {
            show: true, color: '#fff', fontSize: fontPx, lineHeight: fontPx * 1.25, textBorderColor: '#000', textBorderWidth: 3,
            formatter: function (p) {
              var s = names[p.name];
              return s ? T.regionShort(s.name) + (s.late ? '\n滞后 ' + s.late : '') : '';
            },
          },
          data: list.filter(function (s) { return drawn[s.code]; }).map(function (s) {
            return { name: s.code, value: s.late, itemStyle: { areaColor: COLOURS[s.level] } };
          }),
        }],
      }, true);
      chart.resize();
    });
  }

  function resize() { if (chart) chart.resize(); }

  D.map = { draw: draw, resize: resize, standings: standings };
})(window.DubanBoard = window.DubanBoard || {});
