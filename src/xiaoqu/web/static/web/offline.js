/* What the offline-tolerant phone pages share (the door-knocking page needs/visit.js and the
 * contractor's page renovation/site.js): texts, client keys, local times, the queue kept in
 * the browser (IndexedDB, in memory where that is missing or fails) and sending one queued
 * entry. Each page loads this first and keeps its own forms, sending rounds and messages.
 *
 * Plain ES5 (var, functions, XMLHttpRequest): old Android browsers run it, no build step.
 */
(function () {
  "use strict";

  // Python-style %(name)s formatting of a translated text; %% stands for %.
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s|%%/g, function (m, name) {
      if (m === "%%") { return "%"; }
      return values[name] === undefined ? m : String(values[name]);
    });
  }

  // --- client keys -----------------------------------------------------------------------

  function uuid4() {
    var c = window.crypto || window.msCrypto;
    if (c && typeof c.randomUUID === "function") { return c.randomUUID(); }
    var b = [];
    var i;
    if (c && c.getRandomValues) {
      var arr = new Uint8Array(16);
      c.getRandomValues(arr);
      for (i = 0; i < 16; i++) { b.push(arr[i]); }
    } else {
      for (i = 0; i < 16; i++) { b.push(Math.floor(Math.random() * 256)); }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var hex = "";
    for (i = 0; i < 16; i++) {
      hex += (b[i] + 0x100).toString(16).substr(1);
      if (i === 3 || i === 5 || i === 7 || i === 9) { hex += "-"; }
    }
    return hex;
  }

  // The phone's time with its offset, e.g. 2024-05-01T09:30:00+08:00.
  function localIso(d) {
    function p(n) { return (n < 10 ? "0" : "") + n; }
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" +
      p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds()) +
      sign + p(Math.floor(off / 60)) + ":" + p(off % 60);
  }

  // --- the queue -------------------------------------------------------------------------

  /* The entries (objects with a "key" and a "savedAt") of one IndexedDB store. Until open()
   * has answered, and for good when IndexedDB is missing or fails, they are kept in memory.
   * open(done): done(true) when IndexedDB is in use, done(false) when only memory is.
   * put(entry, done) and remove(key, done): done(error or null); all(done): done(entries),
   * oldest saved first. */
  function queue(dbName, storeName) {
    var db = null;
    var memory = {};

    function open(done) {
      var req;
      try {
        if (!window.indexedDB) { done(false); return; }
        req = window.indexedDB.open(dbName, 1);
      } catch (e) { done(false); return; }
      req.onupgradeneeded = function () {
        req.result.createObjectStore(storeName, { keyPath: "key" });
      };
      req.onsuccess = function () { db = req.result; done(true); };
      req.onerror = function () { done(false); };
    }

    function withStore(mode, work, done) {
      if (!db) { work(null); if (done) { done(null); } return; }
      var tx;
      try { tx = db.transaction(storeName, mode); } catch (e) { if (done) { done(e); } return; }
      work(tx.objectStore(storeName));
      tx.oncomplete = function () { if (done) { done(null); } };
      tx.onerror = tx.onabort = function () { if (done) { done(tx.error || new Error("store")); } };
    }

    function put(entry, done) {
      withStore("readwrite", function (store) {
        if (store) { store.put(entry); } else { memory[entry.key] = entry; }
      }, done);
    }

    function remove(key, done) {
      withStore("readwrite", function (store) {
        if (store) { store["delete"](key); } else { delete memory[key]; }
      }, done);
    }

    function all(done) {
      var out = [];
      withStore("readonly", function (store) {
        if (!store) {
          for (var k in memory) { if (memory.hasOwnProperty(k)) { out.push(memory[k]); } }
          return;
        }
        var req = store.openCursor();
        req.onsuccess = function () {
          var cursor = req.result;
          if (cursor) { out.push(cursor.value); cursor["continue"](); }
        };
      }, function () {
        out.sort(function (a, b) { return a.savedAt < b.savedAt ? -1 : 1; });
        done(out);
      });
    }

    return { open: open, put: put, remove: remove, all: all };
  }

  // --- sending one entry -----------------------------------------------------------------

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i].replace(/^\s+/, "");
      if (p.indexOf(name + "=") === 0) { return decodeURIComponent(p.substring(name.length + 1)); }
    }
    return "";
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return null; }
  }

  /* Posts entry.fields (and entry.photo) to url with the CSRF token from the cookie named
   * csrfCookie. done(kind, info): "sent" with the server's answer | "returned" with its
   * message (refused: fill in again) | "retry" with a message from texts (loginExpired,
   * serverErr with %(status)s, offlineErr) or the server's. */
  function send(url, csrfCookie, entry, texts, done) {
    var fd = new FormData();
    for (var k in entry.fields) {
      if (entry.fields.hasOwnProperty(k)) { fd.append(k, entry.fields[k]); }
    }
    if (entry.photo) { fd.append("photo", entry.photo, entry.photoName || "photo.jpg"); }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url, true);
    xhr.timeout = 90000;
    xhr.setRequestHeader("X-CSRFToken", cookie(csrfCookie));
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onload = function () {
      var body = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300 && body && body.id) {
        done("sent", body);
      } else if (xhr.status === 400 && body && body.error) {
        done("returned", body.error);
      } else if (xhr.status === 403 && body && body.error) {
        done("retry", body.error);
      } else if (xhr.status >= 200 && xhr.status < 300) {
        // Not our JSON: the session ended and the request landed on the login page.
        done("retry", texts.loginExpired);
      } else {
        done("retry", fmt(texts.serverErr, { status: xhr.status }));
      }
    };
    xhr.onerror = xhr.ontimeout = xhr.onabort = function () { done("retry", texts.offlineErr); };
    try { xhr.send(fd); } catch (e) { done("retry", texts.offlineErr); }
  }

  window.XiaoquOffline = {
    fmt: fmt,
    uuid4: uuid4,
    localIso: localIso,
    queue: queue,
    parse: parse,
    send: send
  };
})();
