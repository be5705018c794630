// Caveat's only script besides htmx: warn before the session times out for inactivity.
(function () {
  "use strict";
  const idle = Number(document.body.dataset.idleSeconds || 0);
  const dialog = document.getElementById("idle-warning");
  if (!idle || !dialog || typeof dialog.showModal !== "function") return;
  const warnBefore = Math.min(120, idle / 4) * 1000;
  let timer;
  function arm() {
    clearTimeout(timer);
    timer = setTimeout(function () { if (!dialog.open) dialog.showModal(); }, idle * 1000 - warnBefore);
  }
  document.getElementById("idle-stay").addEventListener("click", function () {
    // Any authenticated request refreshes the session's last-seen time.
    fetch("/api/v1/me", { credentials: "same-origin" }).finally(arm);
  });
  document.addEventListener("htmx:afterRequest", arm);
  arm();
})();
