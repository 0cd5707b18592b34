// Fit by construction: the wall measures what it drew and never relies on text being short.
// Rows are laid out all at once (one grid, each row a subgrid, so every column is as wide as its
// widest cell), their child cells switch to a compact form when they would take more than two
// lines, then rows are packed into pages by their measured heights. The activity list keeps only
// the items that fit whole.
(function (D) {
  'use strict';

  /** How many lines the cells of a wrapping box take. */
  function lines(box) {
    var tops = {};
    for (var i = 0; i < box.children.length; i++) tops[box.children[i].offsetTop] = true;
    return Object.keys(tops).length;
  }

  /**
   * Lays out `container`'s rows and returns how many pages they take. Each row gets
   * `data-page`; showPage() shows one page.
   */
  function fitRows(container) {
    var rows = Array.prototype.slice.call(container.querySelectorAll('.row'));
    container.classList.add('measuring');
    container.style.gridTemplateColumns = '';
    rows.forEach(function (row) { row.hidden = false; });
    // Child cells: whole names on at most two lines, else counts by status for every row alike.
    var compact = rows.some(function (row) {
      var cells = row.querySelector('.children');
      return cells && !cells.classList.contains('compact') && lines(cells) > 2;
    });
    if (compact) rows.forEach(function (row) { D.board.compactChildren(row); });
    // The columns, resolved with every row present, stay as they are from page to page.
    container.style.gridTemplateColumns = getComputedStyle(container).gridTemplateColumns;
    var style = getComputedStyle(container);
    var room = container.getBoundingClientRect().height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom) - 1;
    var gap = parseFloat(style.rowGap) || 0;
    var page = 0;
    var used = 0;
    rows.forEach(function (row) {
      var height = row.getBoundingClientRect().height;
      if (used > 0 && used + gap + height > room) { page += 1; used = 0; }
      used += (used > 0 ? gap : 0) + height;
      row.dataset.page = String(page);
    });
    container.classList.remove('measuring');
    container.dataset.pages = String(rows.length ? page + 1 : 0);
    return rows.length ? page + 1 : 0;
  }

  function showPage(container, page) {
    container.querySelectorAll('.row').forEach(function (row) { row.hidden = row.dataset.page !== String(page); });
    container.dataset.page = String(page);
  }

  /** Keeps the newest items that fit whole; the rest wait off the list. */
  function fitList(list) {
    // Measured on screen: offsetTop counts from the nearest positioned box, which need not be the list's parent.
    var bottom = list.getBoundingClientRect().top + list.clientTop + list.clientHeight + 0.5;
    var items = list.children;
    for (var i = 0; i < items.length; i++) items[i].hidden = false;
    for (var j = 0; j < items.length; j++) {
      if (items[j].getBoundingClientRect().bottom > bottom) {
        for (var k = j; k < items.length; k++) items[k].hidden = true;
        break;
      }
    }
  }

  /** Shrinks a one-line heading's font until it fits, down to `min` of its size. */
  function shrinkToFit(node, min) {
    node.style.fontSize = '';
    var size = parseFloat(getComputedStyle(node).fontSize);
    var floor = size * (min || 0.7);
    while (node.scrollWidth > node.clientWidth && size > floor) {
      size -= 1;
      node.style.fontSize = size + 'px';
    }
  }

  D.layout = { fitRows: fitRows, showPage: showPage, fitList: fitList, shrinkToFit: shrinkToFit };
})(window.DubanBoard = window.DubanBoard || {});
