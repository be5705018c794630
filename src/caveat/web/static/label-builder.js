// The structured label builder, enhanced: shown only when scripts run (without them the
// free-text label field works alone), and Enter in its "add" fields adds the chip
// instead of submitting the whole form. Everything else is htmx against /labels/build.
(function () {
  "use strict";
  const box = document.getElementById("label-builder-box");
  if (!box || !window.htmx) return;
  box.hidden = false;
  document.addEventListener("keydown", function (event) {
    const field = event.target;
    if (event.key !== "Enter" || !field.dataset || !field.dataset.add) return;
    event.preventDefault();
    const button = document.getElementById(field.dataset.add);
    if (button && field.value.trim()) button.click();
  });
  // After the builder is swapped in, keep the person where they were typing.
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "label-builder") return;
    const trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (trigger && trigger.id && /-add$/.test(trigger.id)) {
      const field = document.querySelector("[data-add='" + trigger.id + "']");
      if (field) field.focus();
    }
  });
})();
