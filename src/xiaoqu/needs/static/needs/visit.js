/* Door-knocking on a phone: every visit is stored in the browser (IndexedDB) first, then
 * sent; entries stay queued until the server answers, and are resent on the "online" event,
 * on page load and every 30 s. Each visit carries a client key, so a resend after a lost
 * answer is stored once by the server.
 *
 * The queue on the phone, client keys and the sending of one entry are web/offline.js
 * (window.XiaoquOffline), which the page loads first.
 *
 * Plain ES5 (var, functions, XMLHttpRequest): old Android browsers run it, no build step.
 */
(function () {
  "use strict";

  var dataEl = document.getElementById("visit-data");
  var form = document.getElementById("visit-form");
  var shared = window.XiaoquOffline;  // web/offline.js, loaded first
  if (!dataEl || !form || !shared) { return; }
  var CFG = JSON.parse(dataEl.textContent);
  var T = JSON.parse(document.getElementById("visit-texts").textContent);
  var DB_NAME = "xiaoqu-visits";
  var STORE = "queue";
  var RETRY_MS = 30000;
  var PHOTO_MAX = 8 * 1024 * 1024;
  var PHOTO_EDGE = 1600;

  var fmt = shared.fmt;
  var uuid4 = shared.uuid4;
  var parse = shared.parse;
  var queue = shared.queue(DB_NAME, STORE);
  var sending = false;
  var again = false;      // something was saved or came online during a round: go again
  var currentKey = null;  // client key of the visit being filled in
  var keptPhoto = null;   // photo of a returned entry being edited
  var lastSaved = null;   // key of the visit just saved, whose fate the form reports
  var $ = function (id) { return document.getElementById(id); };

  // --- the dwelling picker ---------------------------------------------------------------

  var bSel = $("v-building");
  var eSel = $("v-entrance");
  var dSel = $("v-dwelling");
  var cSel = $("v-campaign");
  var localVisited = {};  // campaign id -> {dwelling id: true} queued or sent from this phone
  var sessionSent = {};   // the same for visits sent (and so gone from the queue) this time
  var visitedSignature = "";

  function mark(map, cid, dwelling) {
    map[cid] = map[cid] || {};
    map[cid][dwelling] = true;
  }

  // Queued visits count as visited in the picker (also after a reload).
  function noteVisited(entries) {
    var map = {};
    var cid;
    var sig = [];
    for (cid in sessionSent) {
      if (sessionSent.hasOwnProperty(cid)) {
        for (var d in sessionSent[cid]) {
          if (sessionSent[cid].hasOwnProperty(d)) { mark(map, cid, d); }
        }
      }
    }
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].state !== "returned") {
        mark(map, entries[i].fields.campaign, entries[i].fields.dwelling);
      }
    }
    for (cid in map) {
      if (map.hasOwnProperty(cid)) {
        for (var k in map[cid]) { if (map[cid].hasOwnProperty(k)) { sig.push(cid + ":" + k); } }
      }
    }
    sig.sort();
    localVisited = map;
    if (sig.join(",") !== visitedSignature) {
      visitedSignature = sig.join(",");
      fillDwellings();
    }
  }

  function option(sel, value, label) {
    var o = document.createElement("option");
    o.value = value;
    o.appendChild(document.createTextNode(label));
    sel.appendChild(o);
    return o;
  }

  function visitedSet() {
    var set = {};
    var cid = cSel ? cSel.value : "";
    var i;
    var list = (cid && CFG.visited[cid]) || [];
    for (i = 0; i < list.length; i++) { set[list[i]] = true; }
    var mine = localVisited[cid] || {};
    for (var k in mine) { if (mine.hasOwnProperty(k)) { set[k] = true; } }
    return set;
  }

  function fillBuildings() {
    bSel.innerHTML = "";
    for (var i = 0; i < CFG.tree.length; i++) { option(bSel, i, CFG.tree[i].n + T.building); }
    fillEntrances();
  }

  function fillEntrances() {
    eSel.innerHTML = "";
    var b = CFG.tree[bSel.selectedIndex] || { e: [] };
    for (var i = 0; i < b.e.length; i++) { option(eSel, i, b.e[i].n + T.entrance); }
    fillDwellings();
  }

  function fillDwellings(keep) {
    var before = keep || dSel.value;
    dSel.innerHTML = "";
    var b = CFG.tree[bSel.selectedIndex] || { e: [] };
    var e = b.e[eSel.selectedIndex] || { d: [] };
    var seen = visitedSet();
    option(dSel, "", "—");
    for (var i = 0; i < e.d.length; i++) {
      var d = e.d[i];
      option(dSel, d[0], d[1] + (seen[d[0]] ? " " + T.visitedMark : ""));
    }
    dSel.value = before;
    if (dSel.value !== String(before)) { dSel.value = ""; }
    showVisitedHint(seen);
  }

  function showVisitedHint(seen) {
    var hint = $("visited-hint");
    if (!cSel || !cSel.value) { hint.textContent = ""; return; }
    var total = 0;
    var n = 0;
    for (var i = 0; i < CFG.tree.length; i++) {
      for (var j = 0; j < CFG.tree[i].e.length; j++) {
        var ds = CFG.tree[i].e[j].d;
        for (var k = 0; k < ds.length; k++) { total++; if (seen[ds[k][0]]) { n++; } }
      }
    }
    hint.textContent = fmt(T.visitedHint, { n: n, t: total });
  }

  function selectDwelling(id) {
    for (var i = 0; i < CFG.tree.length; i++) {
      for (var j = 0; j < CFG.tree[i].e.length; j++) {
        var ds = CFG.tree[i].e[j].d;
        for (var k = 0; k < ds.length; k++) {
          if (String(ds[k][0]) === String(id)) {
            bSel.selectedIndex = i;
            fillEntrances();
            eSel.selectedIndex = j;
            fillDwellings(String(id));
            return;
          }
        }
      }
    }
  }

  function dwellingLabel(id) {
    for (var i = 0; i < CFG.tree.length; i++) {
      for (var j = 0; j < CFG.tree[i].e.length; j++) {
        var ds = CFG.tree[i].e[j].d;
        for (var k = 0; k < ds.length; k++) {
          if (String(ds[k][0]) === String(id)) {
            return CFG.tree[i].n + T.building + CFG.tree[i].e[j].n + T.entrance + ds[k][1];
          }
        }
      }
    }
    return String(id);
  }

  // --- the form --------------------------------------------------------------------------

  function outcome() {
    var radios = form.querySelectorAll("input[name=outcome]");
    for (var i = 0; i < radios.length; i++) { if (radios[i].checked) { return radios[i].value; } }
    return "";
  }

  function showOutcome() {
    var value = outcome();
    var labels = form.querySelectorAll("#v-outcome label");
    for (var i = 0; i < labels.length; i++) {
      var input = labels[i].getElementsByTagName("input")[0];
      labels[i].className = input.checked ? "on" : "";
    }
    $("met-part").hidden = value !== "met";
  }

  function addOpinion(text, urgent) {
    var box = $("opinions");
    if (box.children.length >= CFG.maxOpinions) { return; }
    var wrap = document.createElement("div");
    wrap.className = "opinion";
    var area = document.createElement("textarea");
    area.className = "opinion-text";
    area.maxLength = 2000;
    area.placeholder = T.opinionPlaceholder;
    area.value = text || "";
    var row = document.createElement("div");
    row.className = "row";
    var label = document.createElement("label");
    var tick = document.createElement("input");
    tick.type = "checkbox";
    tick.className = "opinion-urgent";
    tick.checked = !!urgent;
    label.appendChild(tick);
    label.appendChild(document.createTextNode(T.urgent));
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link-button";
    remove.appendChild(document.createTextNode(T.remove));
    remove.onclick = function () {
      box.removeChild(wrap);
      if (!box.children.length) { addOpinion(); }
    };
    row.appendChild(label);
    row.appendChild(remove);
    wrap.appendChild(area);
    wrap.appendChild(row);
    box.appendChild(wrap);
    return area;
  }

  function collectOpinions() {
    var out = [];
    var items = $("opinions").children;
    for (var i = 0; i < items.length; i++) {
      var text = items[i].getElementsByTagName("textarea")[0].value;
      if (text.replace(/\s+/g, "") === "") { continue; }
      out.push({ text: text, urgent: items[i].getElementsByTagName("input")[0].checked });
    }
    return out;
  }

  function say(text, kind) {
    var box = $("form-msg");
    box.className = text ? "msg " + (kind || "ok") : "";
    box.textContent = text || "";
  }

  function resetForm() {
    currentKey = null;
    keptPhoto = null;
    var radios = form.querySelectorAll("input[name=outcome]");
    for (var i = 0; i < radios.length; i++) { radios[i].checked = false; }
    $("v-people").value = "1";
    $("v-note").value = "";
    $("v-photo").value = "";
    $("photo-hint").textContent = "";
    $("opinions").innerHTML = "";
    addOpinion();
    dSel.value = "";
    showOutcome();
  }

  function loadEntry(entry) {
    var f = entry.fields;
    resetForm();
    currentKey = entry.key;
    keptPhoto = entry.photo ? { blob: entry.photo, name: entry.photoName } : null;
    if (cSel) { cSel.value = f.campaign || ""; }
    selectDwelling(f.dwelling);
    var radios = form.querySelectorAll("input[name=outcome]");
    for (var i = 0; i < radios.length; i++) { radios[i].checked = radios[i].value === f.outcome; }
    $("v-people").value = f.people_met || "1";
    $("v-note").value = f.note || "";
    var ops = JSON.parse(f.opinions || "[]");
    $("opinions").innerHTML = "";
    for (var j = 0; j < ops.length; j++) { addOpinion(ops[j].text, ops[j].urgent); }
    if (!ops.length) { addOpinion(); }
    if (keptPhoto) { $("photo-hint").textContent = T.withPhoto; }
    showOutcome();
    say(fmt(T.returnedLoaded, { error: entry.error || "" }), "err");
    form.scrollIntoView();
  }

  // A phone photo is often 4–8 MB; send it at 1600 px so it gets through a weak signal.
  function shrinkPhoto(file, done) {
    var canvas = document.createElement("canvas");
    if (!file || !canvas.toBlob || !window.URL || !/^image\/(jpeg|png|webp)$/.test(file.type)) {
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
      canvas.toBlob(function (blob) {
        done(blob && blob.size < file.size ? blob : file);
      }, "image/jpeg", 0.82);
    };
    img.onerror = function () { window.URL.revokeObjectURL(url); done(file); };
    img.src = url;
  }

  function save(ev) {
    if (ev) { ev.preventDefault(); }
    say("");
    if (!dSel.value) { say(T.needDwelling, "err"); dSel.focus(); return; }
    var result = outcome();
    if (!result) { say(T.needOutcome, "err"); return; }
    if (!currentKey) { currentKey = uuid4(); }
    var met = result === "met";
    var fields = {
      client_key: currentKey,
      estate: String(CFG.estate),
      dwelling: dSel.value,
      campaign: cSel ? cSel.value : "",
      outcome: result,
      people_met: met ? ($("v-people").value || "1") : "0",
      opinions: JSON.stringify(met ? collectOpinions() : []),
      note: $("v-note").value,
      visited_at: shared.localIso(new Date())
    };
    var file = $("v-photo").files && $("v-photo").files[0];
    var saveBtn = $("visit-save");
    saveBtn.disabled = true;
    shrinkPhoto(file || null, function (photo) {
      var photoName = file ? (photo === file ? file.name : "photo.jpg") : "";
      if (!photo && keptPhoto) { photo = keptPhoto.blob; photoName = keptPhoto.name; }
      if (photo && photo.size > PHOTO_MAX) {
        saveBtn.disabled = false;
        say(T.photoBig, "err");
        return;
      }
      var entry = {
        key: currentKey,
        fields: fields,
        photo: photo || null,
        photoName: photoName,
        label: CFG.estateName + " " + dwellingLabel(fields.dwelling),
        outcomeLabel: CFG.outcomes[result] || result,
        state: "waiting",
        error: "",
        savedAt: new Date().getTime(),
        tries: 0
      };
      queue.put(entry, function (err) {
        saveBtn.disabled = false;
        if (err) { say(T.saveFailed, "err"); return; }
        lastSaved = entry.key;
        resetForm();
        say(T.saved, "ok");
        render();
        flush();
      });
    });
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

  function next(todo, i) {
    if (i >= todo.length) {
      sending = false;
      render();
      if (again) { flush(); }
      return;
    }
    var entry = todo[i];
    entry.state = "sending";
    render(entry.key);
    // kind: "sent" | "returned" (refused, fix and save again) | "retry".
    shared.send(CFG.submitUrl, CFG.csrfCookie, entry, T, function (kind, info) {
      entry.tries = (entry.tries || 0) + 1;
      entry.lastTry = new Date().getTime();
      var justSaved = entry.key === lastSaved;
      if (kind === "sent") {
        mark(sessionSent, entry.fields.campaign, entry.fields.dwelling);
        queue.remove(entry.key, function () {
          if (justSaved || !$("form-msg").textContent) {
            say(fmt(T.sent, { what: entry.label }), "ok");
          }
          next(todo, i + 1);
        });
      } else if (kind === "returned") {
        entry.state = "returned";
        entry.error = info;
        if (justSaved) { say(fmt(T.returnedHere, { error: info }), "err"); }
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

  var sendingKey = null;

  function render(activeKey) {
    sendingKey = activeKey || null;
    queue.all(function (entries) {
      noteVisited(entries);
      var list = $("queue-list");
      list.innerHTML = "";
      var waiting = 0;
      for (var i = 0; i < entries.length; i++) {
        var entry = entries[i];
        if (entry.state !== "returned") { waiting++; }
        list.appendChild(entryItem(entry));
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

  function entryItem(entry) {
    var li = document.createElement("li");
    li.setAttribute("data-key", entry.key);
    li.className = "entry " + entry.state;
    var what = document.createElement("div");
    what.className = "what";
    what.appendChild(document.createTextNode(entry.label + " · " + entry.outcomeLabel));
    li.appendChild(what);
    var ops = parse(entry.fields.opinions) || [];
    var bits = [];
    if (ops.length) {
      var texts = [];
      for (var i = 0; i < ops.length; i++) { texts.push((ops[i].urgent ? "【" + T.urgent + "】" : "") + ops[i].text); }
      bits.push(fmt(T.opinionsN, { n: ops.length }) + "：" + texts.join("；"));
    }
    if (entry.photo) { bits.push(T.withPhoto); }
    if (bits.length) {
      var detail = document.createElement("div");
      detail.className = "detail";
      detail.appendChild(document.createTextNode(bits.join(" · ")));
      li.appendChild(detail);
    }
    var state = document.createElement("div");
    var sendingNow = entry.key === sendingKey;
    state.className = "state " + (sendingNow ? "sending" : entry.state);
    var text;
    if (entry.state === "returned") {
      text = T.returned + entry.error;
    } else if (sendingNow) {
      text = T.sending;
    } else {
      text = T.waiting + (entry.error ? "：" + entry.error : "");
    }
    state.appendChild(document.createTextNode(text));
    li.appendChild(state);
    if (entry.state === "returned") {
      var edit = document.createElement("button");
      edit.type = "button";
      edit.className = "secondary entry-edit";
      edit.appendChild(document.createTextNode(T.edit));
      edit.onclick = function () { loadEntry(entry); };
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "secondary entry-discard";
      drop.appendChild(document.createTextNode(T.discard));
      drop.onclick = function () {
        if (window.confirm(T.discardConfirm)) { queue.remove(entry.key, function () { render(); }); }
      };
      li.appendChild(edit);
      li.appendChild(drop);
    }
    return li;
  }

  // --- links to a dwelling ----------------------------------------------------------------

  // Lists on the page (such as a vote's door-knocking list) link to ?dwelling=<id>#visit-form:
  // the dwelling is picked here without loading the page again, so the links work offline.
  function dwellingFromUrl() {
    var m = /[?&]dwelling=([0-9]+)/.exec(window.location.search);
    return m ? m[1] : "";
  }

  function pick(id) {
    selectDwelling(id);
    if (dSel.value !== String(id)) { return false; }
    var items = document.querySelectorAll("[data-dwelling]");
    for (var i = 0; i < items.length; i++) {
      items[i].className = items[i].getAttribute("data-dwelling") === String(id) ? "picked" : "";
    }
    say("");
    form.scrollIntoView();
    dSel.focus();
    return true;
  }

  function onLinkClick(ev) {
    var el = ev.target;
    while (el && el !== document && !(el.getAttribute && el.getAttribute("data-visit-dwelling"))) {
      el = el.parentNode;
    }
    if (!el || el === document) { return; }
    if (pick(el.getAttribute("data-visit-dwelling"))) { ev.preventDefault(); }
  }

  // --- start -----------------------------------------------------------------------------

  function start() {
    form.hidden = false;
    if (cSel && CFG.campaign) { cSel.value = String(CFG.campaign); }
    fillBuildings();
    resetForm();
    bSel.onchange = fillEntrances;
    eSel.onchange = function () { fillDwellings(); };
    if (cSel) { cSel.onchange = function () { fillDwellings(); }; }
    var radios = form.querySelectorAll("input[name=outcome]");
    for (var i = 0; i < radios.length; i++) { radios[i].onchange = showOutcome; }
    $("add-opinion").onclick = function () { var a = addOpinion(); if (a) { a.focus(); } };
    // The key is made when the visit starts being filled in and kept until it is saved.
    form.oninput = form.onchange = function () { if (!currentKey) { currentKey = uuid4(); } };
    form.onsubmit = save;
    $("send-now").onclick = flush;
    window.addEventListener("online", flush);
    window.addEventListener("offline", function () { render(); });
    setInterval(flush, RETRY_MS);
    document.addEventListener("click", onLinkClick);
    if (dwellingFromUrl()) { pick(dwellingFromUrl()); }
    queue.open(function (stored) {
      if (!stored) { say(T.noStorage, "err"); }
      render();
      flush();
    });
  }

  start();
})();
