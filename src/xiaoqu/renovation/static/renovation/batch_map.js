/* The map of the annual-batch optimiser (renovation/batches/optimise.html): each candidate
 * estate coloured by which choice took it. Names come from imported registers: they reach the
 * map as data (the json_script element "batch-points") and show as text only. */
(function () {
  "use strict";
  var holder = document.getElementById("batch-points");
  if (!holder || !document.getElementById("batch-map") || typeof L === "undefined") { return; }
  var points = JSON.parse(holder.textContent);
  if (!points.length) { return; }
  var map = L.map("batch-map", {preferCanvas: true});
  var bounds = [];
  function tooltip(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }
  function colour(p) {
    if (p.chosen && p.greedy) { return "#2e7d32"; }
    if (p.chosen) { return "#1d5fa6"; }
    if (p.greedy) { return "#d9822b"; }
    return "#9aa3ab";
  }
  points.forEach(function (p) {
    var on = p.chosen || p.greedy;
    L.circleMarker([p.lat, p.lon], {radius: on ? 6 : 3, weight: 1, color: colour(p), fillColor: colour(p), fillOpacity: on ? 0.8 : 0.4})
      .bindTooltip(tooltip(p.name)).addTo(map);
    bounds.push([p.lat, p.lon]);
  });
  map.fitBounds(bounds, {padding: [20, 20], maxZoom: 16});
})();
