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

  // Saved filters: kept in this browser (localStorage), as links to the filtered queue.
  var KEY = "veche.savedFilters";
  function loadSaved() { try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; } }
  function renderSaved() {
    var box = $("#saved-filters");
    if (!box) return;
    box.textContent = "";
    loadSaved().forEach(function (s, i) {
      var a = document.createElement("a");
      a.href = s.href; a.textContent = s.name; a.className = "saved-link";
      var x = document.createElement("button");
      x.type = "button"; x.className = "link"; x.textContent = "×"; x.title = "Удалить фильтр «" + s.name + "»";
      x.addEventListener("click", function () {
        var all = loadSaved(); all.splice(i, 1); localStorage.setItem(KEY, JSON.stringify(all)); renderSaved();
      });
      var span = document.createElement("span"); span.className = "saved-item";
      span.appendChild(a); span.appendChild(x); box.appendChild(span);
    });
  }
  var save = $("[data-save-filter]");
  if (save) {
    save.addEventListener("click", function () {
      var form = $("#filter-form");
      var params = new URLSearchParams(new FormData(form));
      Array.from(params.keys()).forEach(function (k) { if (!params.get(k)) params.delete(k); });
      var name = window.prompt("Название фильтра", "Мой фильтр");
      if (!name) return;
      var all = loadSaved(); all.push({ name: name.slice(0, 60), href: "/ws?" + params.toString() });
      localStorage.setItem(KEY, JSON.stringify(all)); renderSaved();
    });
  }
  renderSaved();
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
