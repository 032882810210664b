// Veche dashboard (`/`): live without reloading. The page works without it (browsers without JavaScript get
// a <noscript> refresh). When the server-sent-event stream in body[data-live] reports appeal events, the
// page is re-read (at most every MIN_GAP ms: the server shares one snapshot for a few seconds anyway) and
// its panels are replaced in place; without the stream (no EventSource, not allowed, broken) it polls.
(function () {
  "use strict";
  var MIN_GAP = 5000, POLL = 60000;
  var live = document.body.getAttribute("data-live");
  var last = 0, timer = null;

  function refresh() {
    timer = null;
    last = Date.now();
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["main.dg", "header.dh .ts"].forEach(function (sel) {
          var now = document.querySelector(sel), next = fresh.querySelector(sel);
          if (now && next) now.innerHTML = next.innerHTML;
        });
        var banner = document.querySelector(".banner"), freshBanner = fresh.querySelector(".banner");
        if (banner && !freshBanner) banner.remove();
        var note = document.getElementById("live-note");
        if (note) note.textContent = "обновлено " + new Date().toLocaleTimeString("ru-RU") + " по событиям";
        document.body.setAttribute("data-refreshed", String(last));
      })
      .catch(function () {});
  }

  function schedule() {
    if (timer) return;
    timer = setTimeout(refresh, Math.max(400, last + MIN_GAP - Date.now()));
  }

  var poll = null;
  function startPolling() { if (!poll) poll = setInterval(schedule, POLL); }

  if (live && window.EventSource) {
    var source = new EventSource(live);
    source.addEventListener("appeal", schedule);
    source.addEventListener("open", function () { if (poll) { clearInterval(poll); poll = null; } });
    source.addEventListener("error", function () { if (source.readyState === EventSource.CLOSED) startPolling(); });
  } else {
    startPolling();
  }
})();
