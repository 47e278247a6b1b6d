/* The site's few behaviours, bound by data attributes: the Content-Security-Policy allows no
   inline script, so templates carry no <script> body and no on* attributes. Listeners are
   delegated to the document, so content swapped in by htmx behaves the same. */
(function () {
  "use strict";

  // <input type="checkbox" data-select-all="CSS selector">: ticks or unticks every match.
  document.addEventListener("change", function (event) {
    var box = event.target.closest("[data-select-all]");
    if (!box) return;
    document.querySelectorAll(box.dataset.selectAll).forEach(function (item) {
      item.checked = box.checked;
    });
  });

  // <select data-autosubmit>: submits its form when the choice changes.
  document.addEventListener("change", function (event) {
    var select = event.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });

  // <form data-confirm="question">: asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });

  // <div data-shown-if="field_id=value">: shown only while that field holds that value.
  function showDependants() {
    document.querySelectorAll("[data-shown-if]").forEach(function (element) {
      var parts = element.dataset.shownIf.split("=");
      var field = document.getElementById(parts[0]);
      if (field) element.hidden = field.value !== parts[1];
    });
  }
  document.addEventListener("change", showDependants);
  document.addEventListener("DOMContentLoaded", showDependants);
})();
