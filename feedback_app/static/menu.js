// The header's navigation on a phone, and a staff member's long one on a tablet too: folded behind the menu
// button, a disclosure (templates/base.html: a <button> with aria-expanded and aria-controls). The stylesheet
// does the folding and says where (pakn.css, "menu"), only for <html class="js-menu"> and only while the
// button says aria-expanded="false"; this script sets that class and turns aria-expanded. Without script
// every link is shown, as on a wide screen, and the button stays hidden.
// Loaded in <head> without defer, so that the class is there before the first paint: a phone or a tablet
// never shows the whole navigation and then folds it (the stylesheet beside it holds the paint back anyway).
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js-menu");

  function setUp() {
    var button = document.getElementById("menu-button");
    var nav = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) {  // a page without the header's navigation: nothing to fold
      root.classList.remove("js-menu");
      return;
    }
    function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.setAttribute("aria-expanded", String(!isOpen()));
    });
    // Escape folds the open menu from the button or a link in it, and the focus goes back to the button
    // (it would be left on a link no longer shown); on a wide screen the button is not shown: nothing to do
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape" || !isOpen() || !button.getClientRects().length) { return; }
      if (event.target === button || nav.contains(event.target)) {
        button.setAttribute("aria-expanded", "false");
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
