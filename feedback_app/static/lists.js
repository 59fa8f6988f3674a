// The staff lists on a phone (<table class="stack">: the case queues, the unit's list, the overdue list,
// the register, the admin's lists): below the header's breakpoint each row is a block and each cell is
// preceded by its column's name (pakn.css, "lists"), so that the page reflows at 320 px without
// sideways scrolling (WCAG 1.4.10). This script writes each cell's column name, read from the table's
// header, into its data-label (the stylesheet shows it with ::before), and gives the table, its row groups,
// rows and cells their ARIA roles: Chromium and Firefox keep a table's semantics when the stylesheet
// changes its display, WebKit (Safari, VoiceOver on an iPhone) has dropped them, and the roles keep them.
// The stylesheet stacks only for <html class="js-lists">: without script a list stays a table that
// scrolls sideways in its own region, as before.
// Loaded in <head> without defer, as menu.js, so that the class is there before the first paint; the
// tables are read once the document is parsed.
(function () {
  "use strict";
  document.documentElement.classList.add("js-lists");

  function text(cell) { return cell.textContent.replace(/\s+/g, " ").trim(); }

  // each column's name, from the header's last row (the one above the cells), a colspan counting as many
  function columnNames(table) {
    var names = [];
    var head = table.tHead;
    var row = head && head.rows[head.rows.length - 1];
    if (!row) { return names; }
    Array.prototype.forEach.call(row.cells, function (cell) {
      for (var i = 0; i < cell.colSpan; i += 1) { names.push(text(cell)); }
    });
    return names;
  }

  function setUp(table) {
    var names = columnNames(table);
    table.setAttribute("role", "table");
    Array.prototype.forEach.call(table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot"), function (group) {
      group.setAttribute("role", "rowgroup");
    });
    Array.prototype.forEach.call(table.rows, function (row) {
      var inHead = row.parentNode === table.tHead;
      var column = 0;
      row.setAttribute("role", "row");
      Array.prototype.forEach.call(row.cells, function (cell) {
        if (cell.tagName === "TD") {
          cell.setAttribute("role", "cell");
        } else {
          cell.setAttribute("role", inHead || cell.scope === "col" ? "columnheader" : "rowheader");
        }
        if (!inHead && names[column]) { cell.setAttribute("data-label", names[column]); }
        column += cell.colSpan;
      });
    });
  }

  // The scroll region around a list (.table-wrap, tabindex="0": a keyboard scrolls a wide table in it) does
  // not scroll while the list is stacked, so it is no tab stop then; it is one again on a wider screen.
  // The query is pakn.css's for the stacked lists.
  var stacked = window.matchMedia("screen and (max-width: 760px), screen and (max-width: 960px) and (max-height: 480px)");
  var regions = [];

  function followWidth() {
    regions.forEach(function (region) {
      if (stacked.matches) { region.removeAttribute("tabindex"); } else { region.setAttribute("tabindex", "0"); }
    });
  }

  function setUpAll() {
    Array.prototype.forEach.call(document.querySelectorAll("table.stack"), function (table) {
      setUp(table);
      var region = table.parentNode;
      if (region.classList.contains("table-wrap") && region.getAttribute("tabindex") === "0") { regions.push(region); }
    });
    followWidth();
    stacked.addEventListener("change", followWidth);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
}());
