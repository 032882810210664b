// Veche workspace: small progressive enhancement. Every page works without it (plain forms and links).
(function () {
  "use strict";
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // A form marked data-once is sent once: the button is disabled on the first submit (the server's
  // idempotency key and expected version stop a second request that gets through anyway).
  function guardForms(root) {
    $$("form[data-once]", root).forEach(function (f) {
      f.addEventListener("submit", function () {
        $$("button[type=submit], button:not([type])", f).forEach(function (b) { b.disabled = true; b.textContent = "Отправляется…"; });
      });
    });
  }

  // "Select all" in the bulk-assign table.
  function checkAll(root) {
    var all = $("[data-check-all]", root);
    if (!all) return;
    all.addEventListener("change", function () {
      $$("input[name=appeal]", root).forEach(function (c) { c.checked = all.checked; });
    });
  }

  // Answer templates fill the answer text.
  $$("select[data-template-target]").forEach(function (s) {
    s.addEventListener("change", function () {
      var t = document.getElementById(s.getAttribute("data-template-target"));
      if (t && s.value) t.value = s.value;
    });
  });

  // Saved filters live on the server now. Filters an older version kept in this browser (localStorage) are
  // moved there once: each is saved through the JSON API (an existing name counts as moved), then the page
  // reloads to list them. Nothing else of the saved filters needs JavaScript.
  var KEY = "veche.savedFilters";
  function migrateLocalFilters() {
    var raw = null;
    try { raw = window.localStorage && localStorage.getItem(KEY); } catch (e) { return; }
    var csrf = $("input[name=_csrf]");
    if (!raw || !csrf || !$("#saved-filters")) return;
    var list; try { list = JSON.parse(raw); } catch (e) { list = []; }
    if (!Array.isArray(list)) list = [];
    var left = [];
    var sends = list.map(function (f) {
      if (!f || !f.name || !f.href) return Promise.resolve();
      return fetch("/api/v1/me/filters", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf.value },
        body: JSON.stringify({ name: String(f.name).slice(0, 80), query: String(f.href) })
      }).then(function (r) { if (!r.ok && r.status !== 409) left.push(f); }, function () { left.push(f); });
    });
    Promise.all(sends).then(function () {
      if (left.length) localStorage.setItem(KEY, JSON.stringify(left)); else localStorage.removeItem(KEY);
      if (left.length < list.length) location.reload();
    });
  }
  migrateLocalFilters();
  guardForms(document);
  checkAll(document);

  // Live updates: appeal events arrive as server-sent events; the queue is re-read in place, an open
  // appeal card says when someone else changed it.
  var live = document.body.getAttribute("data-live");
  if (live && window.EventSource) {
    var note = $("#live-note");
    var pending = null;
    var source = new EventSource(live);
    source.addEventListener("appeal", function (e) {
      var ev; try { ev = JSON.parse(e.data); } catch (err) { return; }
      var card = $("[data-appeal]");
      if (card) {
        if (card.getAttribute("data-appeal") === ev.id && String(ev.version) !== card.getAttribute("data-version")) {
          note.hidden = false;
          note.textContent = "Обращение изменено (" + ev.event + ", " + ev.actor + "). ";
          var a = document.createElement("a"); a.href = location.pathname; a.textContent = "Обновить карточку";
          note.appendChild(a);
        }
        return;
      }
      var queue = $("#queue");
      if (!queue || pending) return;
      pending = setTimeout(function () {
        pending = null;
        fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("#queue");
            if (!fresh) return;
            queue.innerHTML = fresh.innerHTML;
            guardForms(queue); checkAll(queue);
            note.hidden = false;
            note.textContent = "Очередь обновлена " + new Date().toLocaleTimeString("ru-RU") + ": " + ev.event + " № " + ev.number;
          })
          .catch(function () {});
      }, 400);
    });
  }
})();
