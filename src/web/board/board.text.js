// Every word the wall shows, in Chinese: statuses, figures, times, the activity list's items, and
// the server's error codes. Live and loaded items go through the same functions, so one fact
// reads the same whether it arrived over the socket or with the board.
(function (D) {
  'use strict';
  var STATUS = {
    ACHIEVED: '已完成', ON_TRACK: '进度正常', AT_RISK: '有风险', BEHIND: '滞后',
    OVERDUE: '逾期', NOT_STARTED: '未报送', NO_TARGET: '无目标',
  };
  var REVIEW = { SUBMITTED: '待审核', APPROVED: '已通过', RETURNED: '已退回' };
  var WHAT = { Programme: '项目', Region: '地区', Indicator: '指标', Submission: '报送', User: '用户' };
  var ERRORS = {
    UNAUTHENTICATED: '登录已失效，请重新登录',
    FORBIDDEN: '此屏幕无权显示该看板',
    NOT_FOUND: '所请求的内容不存在',
    BAD_USER_INPUT: '参数有误',
    CONFLICT: '数据有冲突，请稍后再试',
    RATE_LIMITED: '尝试次数过多，请稍后再试',
    LIMIT_EXCEEDED: '请求超出服务器的限制',
    GRAPHQL_PARSE_FAILED: '页面与服务器版本不一致，请刷新页面',
    GRAPHQL_VALIDATION_FAILED: '页面与服务器版本不一致，请刷新页面',
    PERSISTED_QUERY_NOT_FOUND: '页面与服务器版本不一致，请刷新页面',
    PERSISTED_QUERY_NOT_SUPPORTED: '页面与服务器版本不一致，请刷新页面',
    BAD_REQUEST: '请求有误',
    INTERNAL_SERVER_ERROR: '服务器内部错误',
  };

  function number(value, decimals) {
    if (value === null || value === undefined) return '—';
    return Number(value).toLocaleString('zh-CN', { maximumFractionDigits: decimals === undefined ? 2 : decimals });
  }
  function percent(value) {
    return value === null || value === undefined ? '—' : Math.round(value * 100) + '%';
  }
  function target(t, decimals) {
    if (!t) return '无目标';
    if (t.comparator === 'RANGE') return number(t.min, decimals) + '–' + number(t.max, decimals);
    if (t.value === null || t.value === undefined) return t.deadline ? t.deadline + ' 前完成' : '无目标';
    return (t.comparator === 'LTE' ? '≤' : '') + number(t.value, decimals);
  }
  /** A child region's name on its cell: without its level's suffix, never cut (蒲鞋市街道 → 蒲鞋市). */
  function regionShort(name) {
    var short = name.replace(/(街道|自治县|新区|区|县|市|镇|乡)$/, '');
    return short.length >= 2 ? short : name;
  }
  var TZ = 'Asia/Shanghai';
  function when(iso) {
    return new Date(iso).toLocaleString('zh-CN', { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: TZ });
  }
  function clock(ms) {
    return new Date(ms).toLocaleTimeString('zh-CN', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: TZ });
  }
  function withUnit(value, unit, decimals) {
    return number(value, decimals) + (unit ? (unit === '%' ? '%' : ' ' + unit) : '');
  }

  /** The first error of a GraphQL answer, in Chinese (with the server's id for an internal error). */
  function error(errors) {
    var e = errors && errors[0];
    if (!e) return '未知错误';
    var ext = e.extensions || {};
    if (ext.code === 'NOT_FOUND' && ext.what) return (WHAT[ext.what] || ext.what) + '“' + ext.key + '”不存在';
    if (ext.reason === 'CURSOR_EXPIRED') return '断开太久，正在重新读取看板';
    if (ext.code === 'INTERNAL_SERVER_ERROR') return ERRORS.INTERNAL_SERVER_ERROR + (ext.errorId ? '（编号 ' + ext.errorId + '）' : '');
    return ERRORS[ext.code] || '服务器错误' + (ext.code ? '（' + ext.code + '）' : '');
  }
  function networkError() { return '无法连接服务器'; }

  // --- the activity list: one wording per kind of fact --------------------------------------
  /** A region's figure for an indicator, as loaded (a submission) or live (its progress changed). */
  function figure(regionName, indicator, value, status, note) {
    return regionName + ' ' + indicator.code + ' 报送 ' + withUnit(value, indicator.unit, indicator.decimals)
      + (status && status !== 'SUBMITTED' ? '，' + (REVIEW[status] || status) : '')
      + (note ? '：' + note : '');
  }
  function targetSet(regionName, code, t) {
    return regionName + ' ' + code + ' 目标调整为 ' + target(t);
  }
  function comment(kind, regionName, code, author, text) {
    return (kind === 'INSTRUCTION' ? '批示 ' : '评论 ') + regionName + ' ' + code + '（' + author + '）：' + text;
  }
  function urge(u) {
    if (u.resolvedAt) return '催办办结 ' + u.region.name + ' ' + u.indicator.code + ' 已报送';
    return '催办 ' + u.region.name + ' ' + u.indicator.code + ' ' + u.indicator.name + '，' + u.dueOn + ' 前报送' + (u.message ? '：' + u.message : '');
  }

  D.text = {
    STATUS: STATUS, REVIEW: REVIEW, number: number, percent: percent, target: target, regionShort: regionShort,
    when: when, clock: clock, withUnit: withUnit, error: error, networkError: networkError,
    figure: figure, targetSet: targetSet, comment: comment, urge: urge,
  };
})(window.DubanBoard = window.DubanBoard || {});
