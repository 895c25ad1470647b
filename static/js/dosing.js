// The dosing page: countdown to the next vitals, and htmx showing the vitals row's errors.
"use strict";

(function () {
  function pad(n) {
    return String(n).padStart(2, "0");
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (badge) {
      var due = Date.parse(badge.getAttribute("data-countdown"));
      if (isNaN(due)) {
        return;
      }
      var seconds = Math.round((due - now) / 1000);
      var late = seconds < 0;
      var left = Math.abs(seconds);
      var text = Math.floor(left / 60) + ":" + pad(left % 60);
      badge.textContent = late ? "overdue " + text : "in " + text;
      badge.classList.toggle("text-bg-danger", late);
      badge.classList.toggle("text-bg-secondary", !late);
    });
  }

  // A refused vitals row answers 422 with the row and its errors: show it in place.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After a swap, put the cursor back in the first field of the row (or the first error).
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "vitals-panel") {
      var panel = document.getElementById("vitals-panel");
      var field = panel && (panel.querySelector(".quick-vitals .is-invalid") || panel.querySelector(".quick-vitals input[type=number]"));
      if (field) {
        field.focus();
      }
    }
    tick();
  });

  tick();
  window.setInterval(tick, 1000);
})();
