// Forms that hold what someone typed (form[data-keep]: the portal's submission form, the case page's
// action forms), with script; without it they work as before.
// - A form with data-confirm (an action that cannot be taken back: office/case_page.py CONFIRM) asks
//   before it is sent; its secondary buttons (formaction: save a draft, save the public copy) do not,
//   nor a form missing a required field (the server sends it back with the error).
// - Sending one form while another holds text or files not sent yet (a draft reply typed, then an
//   extension sent) asks first (#actions' data-unsaved): the page that comes back would not have them.
// - Leaving the page (a link, the language switch, closing the tab) with such a form changed and not
//   sent: the browser asks first.
(function () {
  "use strict";
  var kept = Array.prototype.slice.call(document.querySelectorAll("form[data-keep]"));
  if (!kept.length) { return; }

  // what a form holds, but its hidden fields (token, version) and buttons; as loaded, then now
  function contents(form) {
    return Array.prototype.map.call(form.elements, function (el) {
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") { return ""; }
      if (el.type === "file") { return String(el.files ? el.files.length : 0); }
      if (el.type === "checkbox" || el.type === "radio") { return String(el.checked); }
      return el.value;
    }).join("\u0000");
  }
  // a form the server sent back (an error, a lost session: data-dirty) with text in it holds what was
  // typed and not saved, as it was loaded
  function typed(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      return (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && /^(text|email|tel|date|number|search|url)$/.test(el.type)))
        && el.value.trim() !== "";
    });
  }
  var loaded = kept.map(function (form) {
    return form.hasAttribute("data-dirty") && typed(form) ? null : contents(form);
  });
  function changed(form) { return contents(form) !== loaded[kept.indexOf(form)]; }
  // a required field left empty: the server refuses the form and says why, nothing to confirm yet
  function incomplete(form) {
    return Array.prototype.some.call(form.elements, function (el) {
      return el.required && el.type !== "file" && !String(el.value).trim();
    });
  }

  var actions = document.getElementById("actions");
  var unsaved = actions && actions.dataset.unsaved;
  kept.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var others = kept.some(function (other) { return other !== form && changed(other); });
      if (unsaved && others && !window.confirm(unsaved)) {
        event.preventDefault();
        return;
      }
      var secondary = event.submitter && event.submitter.hasAttribute("formaction");
      if (form.dataset.confirm && !secondary && !incomplete(form) && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  // a kept form on its way (after its own listener said yes); another form (remove a file, sign out)
  // leaves the kept ones' text behind, so the browser still asks
  var sending = false;
  window.addEventListener("submit", function (event) {
    if (!event.defaultPrevented && kept.indexOf(event.target) !== -1) { sending = true; }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!sending && kept.some(changed)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
}());
