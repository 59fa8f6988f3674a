// The case page's action forms (templates/office/case.html), with script; without it they work as before.
// - A form with data-confirm (an action that cannot be taken back: office/case_page.py CONFIRM) asks
//   before it is sent; its secondary buttons (formaction: save a draft, save the public copy) do not.
// - Sending one form while another holds text or files not sent yet (a draft reply typed, then an
//   extension sent) asks first: the page that comes back would not have them.
(function () {
  "use strict";
  var actions = document.getElementById("actions");
  if (!actions) { return; }
  var forms = Array.prototype.slice.call(actions.querySelectorAll("form.action"));

  // what a form holds, but its hidden fields (token, version) and buttons; as loaded, then as sent
  function contents(form) {
    return Array.prototype.map.call(form.elements, function (el) {
      if (el.type === "hidden" || el.type === "submit" || el.type === "button") { return ""; }
      if (el.type === "file") { return String(el.files ? el.files.length : 0); }
      if (el.type === "checkbox" || el.type === "radio") { return String(el.checked); }
      return el.value;
    }).join("\u0000");
  }
  var loaded = forms.map(contents);

  function changed(form) {
    return contents(form) !== loaded[forms.indexOf(form)];
  }

  forms.forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var others = forms.some(function (other) { return other !== form && changed(other); });
      if (others && !window.confirm(actions.dataset.unsaved)) {
        event.preventDefault();
        return;
      }
      var secondary = event.submitter && event.submitter.hasAttribute("formaction");
      if (form.dataset.confirm && !secondary && !window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });
}());
