/* The shared map (web/templates/web/_map.html; the payload is docs/maps.md).
 *
 * Every element with data-map="ID" is drawn from the JSON in the element #ID, which the
 * server built (xiaoqu.core.maps.map_payload) already in the coordinates of the base map, so
 * nothing is converted here. The base layer is the street network the server holds, fetched
 * for the view's zoom and box; tiles only when the payload names a tile service. Names come
 * from imported data: they reach the map as text (textContent), never as markup.
 *
 * Plain ES5 (var, functions, XMLHttpRequest): old Android browsers run it, no build step.
 */
(function () {
  "use strict";

  var MIN_ZOOM = 3;
  var MAX_ZOOM = 19;

  function textNode(value) {
    var span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }

  // Leaflet's attribution control takes markup: our texts are escaped first.
  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  function clamp(value, low, high) { return Math.max(low, Math.min(high, value)); }

  function round6(value) { return Math.round(value * 1e6) / 1e6; }

  // [[lat, lon], ...] lists of a GeoJSON document's LineStrings and MultiLineStrings.
  function linesOf(doc) {
    var out = [];
    function line(coords) {
      var latlngs = [];
      for (var i = 0; i < coords.length; i++) { latlngs.push([coords[i][1], coords[i][0]]); }
      if (latlngs.length > 1) { out.push(latlngs); }
    }
    var features = (doc && doc.features) || [];
    for (var f = 0; f < features.length; f++) {
      var g = features[f].geometry;
      if (!g) { continue; }
      if (g.type === "LineString") { line(g.coordinates); }
      if (g.type === "MultiLineString") {
        for (var k = 0; k < g.coordinates.length; k++) { line(g.coordinates[k]); }
      }
    }
    return out;
  }

  function notice(el, message) {
    var figure = el.parentNode;
    var box = figure && figure.querySelector(".map-notice[hidden]");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  // The network's lines, fetched again when the view leaves the box last fetched or the zoom
  // changes; one SVG path for all of them, under everything else.
  function networkLayer(map, el, source, style, texts) {
    var layer = null;
    var have = null;
    var pending = null;

    function show(doc, zoom, box) {
      var lines = linesOf(doc);
      var next = L.polyline(lines, style);
      if (layer) { map.removeLayer(layer); }
      layer = lines.length ? next.addTo(map) : null;
      have = {zoom: zoom, box: box};
      el.setAttribute("data-lines", String(lines.length));
    }

    function failed() {
      pending = null;
      el.setAttribute("data-lines", "failed");
      notice(el, texts.linesFailed || "");
    }

    function refresh() {
      var zoom = clamp(Math.round(map.getZoom()), MIN_ZOOM, MAX_ZOOM);
      var view = map.getBounds();
      if (typeof source !== "string") {
        if (!have) { show(source, zoom, view); }
        return;
      }
      if (have && have.zoom === zoom && have.box.contains(view)) { return; }
      var box = view.pad(0.5);
      var west = clamp(box.getWest(), -180, 180);
      var east = clamp(box.getEast(), -180, 180);
      var south = clamp(box.getSouth(), -90, 90);
      var north = clamp(box.getNorth(), -90, 90);
      var url = source + (source.indexOf("?") < 0 ? "?" : "&") + "zoom=" + zoom +
        "&bbox=" + [round6(west), round6(south), round6(east), round6(north)].join(",");
      if (pending) { pending.abort(); }
      var xhr = new XMLHttpRequest();
      pending = xhr;
      xhr.open("GET", url);
      xhr.setRequestHeader("Accept", "application/geo+json, application/json");
      xhr.onload = function () {
        if (pending !== xhr) { return; }
        pending = null;
        if (xhr.status !== 200) { failed(); return; }
        var doc;
        try { doc = JSON.parse(xhr.responseText); } catch (e) { failed(); return; }
        show(doc, zoom, L.latLngBounds([south, west], [north, east]));
      };
      xhr.onerror = function () { if (pending === xhr) { failed(); } };
      xhr.send();
    }

    map.on("moveend", refresh);
    refresh();
  }

  function draw(el) {
    if (el.getAttribute("data-map-ready")) { return; }
    var holder = document.getElementById(el.getAttribute("data-map"));
    if (!holder || typeof L === "undefined") { return; }
    var data = JSON.parse(holder.textContent);
    el.setAttribute("data-map-ready", "1");
    var colours = data.colours || {};
    var map = L.map(el, {
      attributionControl: false,
      minZoom: MIN_ZOOM,
      maxZoom: data.tiles ? 18 : MAX_ZOOM,
      zoomSnap: 1
    });
    var attribution = L.control.attribution({prefix: false}).addTo(map);
    if (data.tiles) {
      L.tileLayer(data.tiles.url, {
        subdomains: data.tiles.subdomains || "abc",
        maxZoom: 18,
        attribution: escapeHtml(data.tiles.attribution || "")
      }).addTo(map);
    }
    if (data.attribution) { attribution.addAttribution(escapeHtml(data.attribution)); }
    // The network under everything else, in a pane of its own below the overlays.
    map.createPane("network");
    map.getPane("network").style.zIndex = 350;
    map.getPane("network").style.pointerEvents = "none";

    var bounds = L.latLngBounds([]);
    function place(item) {
      var at = L.latLng(item.lat, item.lon);
      bounds.extend(at);
      return at;
    }
    function open(url) {
      return function () {
        if (typeof url === "string" && url.charAt(0) === "/") { window.location.href = url; }
      };
    }

    (data.outlines || []).forEach(function (o) {
      var shape = L.polygon(o.rings, {
        color: colours.outline || "#555", weight: 1.5, dashArray: "5 4", fill: false,
        className: "map-outline"
      }).addTo(map);
      if (o.tip) { shape.bindTooltip(textNode(o.tip), {sticky: true}); }
      bounds.extend(shape.getBounds());
    });
    (data.facilities || []).forEach(function (f) {
      L.circleMarker(place(f), {
        radius: 4, weight: 1, color: "#fff", fillColor: f.colour, fillOpacity: 1,
        className: "map-facility"
      }).bindTooltip(textNode(f.tip)).addTo(map);
    });
    (data.gaps || []).forEach(function (g) {
      L.circleMarker(place(g), {
        radius: 11, weight: 2, color: colours.gap || "#d62728", dashArray: "4 3", fill: false,
        className: "map-gap"
      }).bindTooltip(textNode(g.tip)).addTo(map);
    });
    (data.estates || []).forEach(function (e) {
      var marker = L.circleMarker(place(e), {
        radius: 7, weight: 1.5, color: "#222", fillColor: e.colour, fillOpacity: 0.95,
        className: "map-estate"
      }).bindTooltip(textNode(e.tip));
      if (e.url) { marker.on("click", open(e.url)); }
      marker.addTo(map);
    });

    if (bounds.isValid() && bounds.getNorthEast().equals(bounds.getSouthWest())) {
      // One place only: show its streets around it.
      map.setView(bounds.getCenter(), 16);
    } else if (bounds.isValid()) {
      map.fitBounds(bounds, {padding: [24, 24], maxZoom: 17});
    } else {
      map.setView([35, 105], 4);
      notice(el, (data.texts || {}).noPoints || "");
    }
    if (data.lines) {
      networkLayer(map, el, data.lines, {
        color: colours.line || "#8c8c8c", weight: 1, opacity: 0.9, interactive: false,
        pane: "network", className: "map-line"
      }, data.texts || {});
    }
  }

  function drawAll() {
    var maps = document.querySelectorAll("[data-map]");
    for (var i = 0; i < maps.length; i++) { draw(maps[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
