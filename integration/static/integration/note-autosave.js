// Autosave of note drafts: htmx posts the textarea; when the save fails (network or server
// error) the text stays in the textarea and the status says so.
(function () {
  "use strict";
  function showFailure(event) {
    var form = event.target.closest("[data-note-autosave]");
    if (!form) {
      return;
    }
    var status = form.querySelector("#save-status");
    if (status) {
      status.textContent = "Not saved: the connection or server failed. Your text is still here; it will be saved with your next change.";
      status.className = "small text-danger";
    }
  }
  document.addEventListener("htmx:responseError", showFailure);
  document.addEventListener("htmx:sendError", showFailure);
  document.addEventListener("htmx:afterSwap", function (event) {
    var status = event.target;
    if (status && status.id === "save-status") {
      status.className = "small";
    }
  });
})();
