/* The contractor's phone page: progress reports are stored in the browser (IndexedDB, which
 * also holds the photo) first, then sent; they stay queued until the server answers, and are
 * resent on the "online" event, on page load and every 30 s. Each report carries a client_id
 * made here, so a resend after a lost answer is stored once by the server. A report the
 * server refuses (400) stays on the phone with its message, to fill in again or discard.
 *
 * The photo is sent as taken (up to 8 MB) so its EXIF time and position reach the server;
 * the phone's own position (navigator.geolocation, when allowed) goes with it.
 *
 * The queue on the phone, client keys and the sending of one entry are web/offline.js
 * (window.XiaoquOffline), which the page loads first.
 *
 * Plain ES5 (var, functions, XMLHttpRequest): old Android browsers run it, no build step.
 */
(function () {
  "use strict";

  var dataEl = document.getElementById("site-data");
  var shared = window.XiaoquOffline;  // web/offline.js, loaded first
  if (!dataEl || !shared) { return; }
  var CFG = JSON.parse(dataEl.textContent);
  var T = JSON.parse(document.getElementById("site-texts").textContent);
  var DB_NAME = "xiaoqu-site";
  var STORE = "queue";
  var RETRY_MS = 30000;
  var PHOTO_MAX = 8 * 1024 * 1024;
  var PHOTO_EDGE = 1600;

  var fmt = shared.fmt;
  var uuid4 = shared.uuid4;
  var queue = shared.queue(DB_NAME, STORE);
  var sending = false;
  var again = false;
  var keys = {};        // item id -> client_id of the report being filled in
  var lastSaved = null; // client_id of the report just saved, whose fate the message reports
  var $ = function (id) { return document.getElementById(id); };

  // --- the forms -------------------------------------------------------------------------

  function say(text, kind) {
    var box = $("form-msg");
    box.className = text ? "msg " + (kind || "ok") : "";
    box.textContent = text || "";
  }

  function formOf(itemId) {
    return document.querySelector(".report-form[data-item='" + itemId + "']");
  }

  function showPercent(form) {
    var range = form.querySelector(".percent");
    form.querySelector(".percent-value").textContent = range.value + "%";
  }

  function step(form, delta) {
    var range = form.querySelector(".percent");
    var value = Math.max(0, Math.min(100, (Math.round(+range.value / 5) * 5) + delta));
    range.value = String(value);
    showPercent(form);
    touch(form);
  }

  function touch(form) {
    var id = form.getAttribute("data-item");
    if (!keys[id]) { keys[id] = uuid4(); }
  }

  // After a save the control stays at the percent just reported (the next report starts
  // from there, whether or not this one has been sent yet).
  function resetForm(form, percent) {
    var id = form.getAttribute("data-item");
    keys[id] = null;
    form.querySelector(".percent").value = String(percent);
    form.querySelector(".note").value = "";
    form.querySelector(".photo").value = "";
    showPercent(form);
  }

  // The percent this phone last reported on the item (queued, or known from the server).
  function baseline(itemId, entries) {
    var base = CFG.items[itemId] ? CFG.items[itemId].percent : 0;
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].fields.item === itemId && entries[i].state !== "returned") {
        base = +entries[i].fields.percent;
      }
    }
    return base;
  }

  function position(wanted, done) {
    if (!wanted || !navigator.geolocation) { done(null); return; }
    var finished = false;
    function once(value) { if (!finished) { finished = true; done(value); } }
    say(T.locating, "ok");
    try {
      navigator.geolocation.getCurrentPosition(
        function (pos) { once({ lat: pos.coords.latitude, lon: pos.coords.longitude }); },
        function () { once(null); },
        { enableHighAccuracy: true, timeout: 8000, maximumAge: 120000 }
      );
    } catch (e) { once(null); }
    setTimeout(function () { once(null); }, 10000);
  }

  // A photo up to 8 MB is sent as taken (its EXIF says when and where); a larger one is
  // shrunk to 1600 px, which loses the EXIF, so the phone's position stands in for it.
  function fitPhoto(file, done) {
    if (!file || file.size <= PHOTO_MAX) { done(file); return; }
    var canvas = document.createElement("canvas");
    if (!canvas.toBlob || !window.URL || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
      done(file);
      return;
    }
    var img = new Image();
    var url = window.URL.createObjectURL(file);
    img.onload = function () {
      var scale = Math.min(1, PHOTO_EDGE / Math.max(img.width, img.height));
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      window.URL.revokeObjectURL(url);
      canvas.toBlob(function (blob) { done(blob || file); }, "image/jpeg", 0.82);
    };
    img.onerror = function () { window.URL.revokeObjectURL(url); done(file); };
    img.src = url;
  }

  function save(form, ev) {
    if (ev) { ev.preventDefault(); }
    say("");
    var id = form.getAttribute("data-item");
    var percent = form.querySelector(".percent").value;
    var note = form.querySelector(".note").value;
    var btn = form.querySelector(".save");
    queue.all(function (entries) {
      var base = baseline(id, entries);
      if (+percent < base && note.replace(/\s+/g, "") === "") {
        say(fmt(T.lowerNeedsNote, { p: base }), "err");
        form.querySelector(".note").focus();
        return;
      }
      touch(form);
      var key = keys[id];
      var file = form.querySelector(".photo").files && form.querySelector(".photo").files[0];
      btn.disabled = true;
      position(form.querySelector(".use-place").checked, function (where) {
        fitPhoto(file || null, function (photo) {
          if (photo && photo.size > PHOTO_MAX) {
            btn.disabled = false;
            say(T.photoBig, "err");
            return;
          }
          var info = CFG.items[id] || { title: id, project: "" };
          var entry = {
            key: key,
            fields: {
              client_id: key,
              item: id,
              percent: percent,
              note: note,
              reported_at: shared.localIso(new Date()),
              latitude: where ? String(where.lat) : "",
              longitude: where ? String(where.lon) : ""
            },
            photo: photo || null,
            photoName: photo ? (photo === file ? file.name : "photo.jpg") : "",
            label: info.title + " · " + percent + "%",
            state: "waiting",
            error: "",
            savedAt: new Date().getTime()
          };
          queue.put(entry, function (err) {
            btn.disabled = false;
            if (err) { say(T.saveFailed, "err"); return; }
            lastSaved = key;
            resetForm(form, percent);
            say(T.saved, "ok");
            render();
            flush();
          });
        });
      });
    });
  }

  function loadEntry(entry) {
    var form = formOf(entry.fields.item);
    if (!form) { return; }
    var details = form.parentNode;
    if (details && details.tagName === "DETAILS") { details.open = true; }
    keys[entry.fields.item] = entry.key;
    form.querySelector(".percent").value = entry.fields.percent;
    form.querySelector(".note").value = entry.fields.note || "";
    showPercent(form);
    queue.remove(entry.key, function () { render(); });
    say(fmt(T.returnedLoaded, { error: entry.error || "" }), "err");
    form.scrollIntoView();
  }

  // --- sending ---------------------------------------------------------------------------

  function flush() {
    if (sending) { again = true; return; }
    again = false;
    sending = true;
    queue.all(function (entries) {
      var todo = [];
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].state !== "returned") { todo.push(entries[i]); }
      }
      next(todo, 0);
    });
  }

  function showServerPercent(itemId, percent) {
    if (CFG.items[itemId]) { CFG.items[itemId].percent = percent; }
    var shown = document.querySelector(".current-percent[data-item='" + itemId + "']");
    if (shown) { shown.textContent = percent + "%"; }
  }

  function next(todo, i) {
    if (i >= todo.length) {
      sending = false;
      render();
      if (again) { flush(); }
      return;
    }
    var entry = todo[i];
    render(entry.key);
    // kind: "sent" | "returned" (refused: fill in again) | "retry".
    shared.send(CFG.submitUrl, CFG.csrfCookie, entry, T, function (kind, info) {
      var justSaved = entry.key === lastSaved;
      if (kind === "sent") {
        showServerPercent(entry.fields.item, info.percent);
        queue.remove(entry.key, function () {
          say(fmt(T.sent, { what: entry.label }), "ok");
          next(todo, i + 1);
        });
      } else if (kind === "returned") {
        entry.state = "returned";
        entry.error = info;
        if (justSaved) { say(T.returned + info, "err"); }
        queue.put(entry, function () { next(todo, i + 1); });
      } else {
        entry.state = "waiting";
        entry.error = info;
        if (justSaved) { say(T.queued, "ok"); }
        // Offline or the server is down: the rest would fail alike, try them next round.
        queue.put(entry, function () { sending = false; render(); });
      }
    });
  }

  // --- the queue panel -------------------------------------------------------------------

  function render(activeKey) {
    queue.all(function (entries) {
      var list = $("queue-list");
      list.innerHTML = "";
      var waiting = 0;
      for (var i = 0; i < entries.length; i++) {
        if (entries[i].state !== "returned") { waiting++; }
        list.appendChild(entryItem(entries[i], activeKey));
      }
      $("queue-count").textContent = waiting ? fmt(T.queueCount, { n: waiting }) : T.allSent;
      $("send-now").hidden = !waiting;
      $("queue").hidden = false;
      var online = navigator.onLine !== false;
      var net = $("net-status");
      net.textContent = online ? T.online : T.offline;
      net.className = online ? "badge ok" : "badge warn";
    });
  }

  function button(text, cls, onclick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary " + cls;
    b.appendChild(document.createTextNode(text));
    b.onclick = onclick;
    return b;
  }

  function entryItem(entry, activeKey) {
    var li = document.createElement("li");
    li.setAttribute("data-key", entry.key);
    li.className = "entry " + entry.state;
    var what = document.createElement("div");
    what.className = "what";
    what.appendChild(document.createTextNode(entry.label));
    li.appendChild(what);
    var bits = [];
    if (entry.fields.note) { bits.push(entry.fields.note); }
    if (entry.photo) { bits.push(T.withPhoto); }
    if (entry.fields.latitude) { bits.push(T.withPlace); }
    if (bits.length) {
      var detail = document.createElement("div");
      detail.className = "detail";
      detail.appendChild(document.createTextNode(bits.join(" · ")));
      li.appendChild(detail);
    }
    var state = document.createElement("div");
    var now = entry.key === activeKey;
    state.className = "state " + (now ? "sending" : entry.state);
    var text;
    if (entry.state === "returned") {
      text = T.returned + entry.error;
    } else if (now) {
      text = T.sending;
    } else {
      text = T.waiting + (entry.error ? "：" + entry.error : "");
    }
    state.appendChild(document.createTextNode(text));
    li.appendChild(state);
    if (entry.state === "returned") {
      li.appendChild(button(T.edit, "entry-edit", function () { loadEntry(entry); }));
      li.appendChild(button(T.discard, "entry-discard", function () {
        if (window.confirm(T.discardConfirm)) { queue.remove(entry.key, function () { render(); }); }
      }));
    }
    return li;
  }

  // --- start -----------------------------------------------------------------------------

  function wire(form) {
    form.hidden = false;
    var range = form.querySelector(".percent");
    range.oninput = range.onchange = function () { showPercent(form); touch(form); };
    form.querySelector(".minus").onclick = function () { step(form, -5); };
    form.querySelector(".plus").onclick = function () { step(form, 5); };
    form.querySelector(".note").oninput = function () { touch(form); };
    form.onsubmit = function (ev) { save(form, ev); };
  }

  function start() {
    var forms = document.querySelectorAll(".report-form");
    for (var i = 0; i < forms.length; i++) { wire(forms[i]); }
    $("send-now").onclick = flush;
    window.addEventListener("online", flush);
    window.addEventListener("offline", function () { render(); });
    setInterval(flush, RETRY_MS);
    queue.open(function (stored) {
      if (!stored) { say(T.noStorage, "err"); }
      render();
      flush();
    });
  }

  start();
})();
