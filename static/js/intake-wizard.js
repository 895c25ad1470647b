// Intake wizard: hide a conditional question until the answer that calls for it is given.
// The server validates the same rule; without JavaScript every question simply stays visible.
"use strict";

(function () {
  function currentValue(form, name) {
    const controls = form.querySelectorAll(`[name="${name}"]`);
    for (const control of controls) {
      if (control.type === "radio" || control.type === "checkbox") {
        if (control.checked) {
          return control.value;
        }
      } else {
        return control.value;
      }
    }
    return "";
  }

  function update(form) {
    const seen = new Set();
    form.querySelectorAll("[data-shown-when]").forEach(function (control) {
      if (seen.has(control.name)) {
        return;
      }
      seen.add(control.name);
      const [trigger, values] = control.dataset.shownWhen.split("=");
      const wrapper = document.getElementById(`div_id_${control.name}`);
      if (wrapper) {
        wrapper.hidden = !values.split("|").includes(currentValue(form, trigger));
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-intake-step]").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () {
        update(form);
      });
    });
  });
})();
