// A live channel page: follows the channel's event stream (the API's server-sent events,
// authenticated by the session cookie) and adds each message the server let through for
// this viewer. Before messages are shown, the server rolls up the banner of everything
// the page will then hold, so the banner never reads lower than the page.
(function () {
  "use strict";
  const feed = document.getElementById("channel-feed");
  if (!feed || typeof EventSource !== "function") return;
  const channel = feed.dataset.channel;
  const shown = Number(feed.dataset.shown || 200);
  const status = document.getElementById("channel-status");
  const empty = document.getElementById("channel-empty");
  // The page holds the messages after event id `first` up to `last`. Event ids are opaque
  // (they say nothing of the messages withheld from this viewer): the server orders them.
  let first = feed.dataset.after;
  let last = feed.dataset.upto;
  let pending = [];
  let busy = false;
  const base = "/api/v1/channels/" + encodeURIComponent(channel);

  function say(text) { if (status) status.textContent = text; }

  function setBanner(b) {
    document.querySelectorAll(".banner").forEach(function (el) {
      Array.from(el.classList).forEach(function (c) {
        if (c.indexOf("banner-") === 0 && c !== "banner-top" && c !== "banner-bottom") el.classList.remove(c);
      });
      el.classList.add("banner-" + b.style);
      if (!b.complete) el.classList.add("banner-incomplete");
      el.dataset.marking = b.text;
      const text = el.querySelector(".banner-text");
      if (text) text.textContent = b.text;
      let note = el.querySelector(".banner-note");
      if (b.note) {
        if (!note) { note = document.createElement("span"); note.className = "banner-note"; el.append(" ", note); }
        note.textContent = "(" + b.note + ")";
      } else if (note) {
        note.remove();
      }
    });
  }

  function article(m) {
    const a = document.createElement("article");
    a.className = "card message";
    a.id = "c-" + m.id;
    a.dataset.id = String(m.id);
    a.setAttribute("aria-label", "message by " + m.publisher);
    const meta = document.createElement("p");
    meta.className = "small";
    const who = document.createElement("strong");
    who.textContent = m.publisher;
    meta.append(who, " · " + m.published_at.replace("T", " ").slice(0, 19) + " UTC");
    const line = document.createElement("p");
    const portion = document.createElement("span");
    portion.className = "portion";
    portion.textContent = m.portion || "(" + m.label + ")";
    const body = document.createElement("span");
    body.className = "message-body";
    body.textContent = m.body;
    line.append(portion, " ", body);
    a.append(meta, line);
    return a;
  }

  // Show the pending messages once the banner of the page holding them is known.
  function flush() {
    if (busy || !pending.length) return;
    busy = true;
    const batch = pending;
    pending = [];
    let from = first;
    const kept = feed.querySelectorAll("article.message");
    const drop = Math.max(0, kept.length + batch.length - shown);
    if (drop > 0 && kept.length) {
      // The newest article dropped: the page then holds what comes after it.
      from = kept[Math.min(drop, kept.length) - 1].dataset.id;
    }
    const upto = batch[batch.length - 1].id;
    let again = 0;
    fetch("/channels/" + encodeURIComponent(channel) + "/banner?after=" + encodeURIComponent(from) +
          "&upto=" + encodeURIComponent(upto),
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (b) {
        setBanner(b);
        for (let i = 0; i < drop && feed.firstElementChild; i++) feed.firstElementChild.remove();
        first = from;
        batch.forEach(function (m) { feed.append(article(m)); });
        if (empty) empty.hidden = true;
        say(batch.length === 1 ? "1 new message" : batch.length + " new messages");
      })
      .catch(function () {
        pending = batch.concat(pending);
        again = 5000;
        say("The page could not update its marking; new messages are held back. Reload the page.");
      })
      .finally(function () { busy = false; setTimeout(flush, again); });
  }

  const source = new EventSource(base + "/events?after=" + encodeURIComponent(last));
  source.addEventListener("open", function () { say("Live: new messages appear here."); });
  source.addEventListener("message", function (e) {
    const m = JSON.parse(e.data);
    if (m.id === last) return; // the stream resumes after `last`: never twice
    last = m.id;
    pending.push(m);
    flush();
  });
  source.addEventListener("trimmed", function () {
    say("Some messages were dropped by the channel's retention before they could be shown.");
  });
  source.addEventListener("lagging", function () { say("Catching up…"); });
  source.addEventListener("reconnect", function () { say("Reconnecting…"); });
  source.addEventListener("error", function () {
    say(source.readyState === EventSource.CLOSED
      ? "Disconnected from the channel; reload the page." : "Reconnecting…");
  });
})();
