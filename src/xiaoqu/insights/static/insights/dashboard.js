/* Dashboards (insights/templates/insights/region.html, estate.html; docs/insights.md).
 *
 * Each element with data-chart="KEY" is drawn with ECharts from the chart of that key in the
 * JSON element #chart-data, which the server built from the same table shown beside it.
 * A bar or slice with a link opens it (the drill-down: province → prefecture →
 * county → street → community → estate). Labels come from imported data and are shown by
 * ECharts as text. No inline script (a Content-Security-Policy without it is coming).
 * Plain ES5 for old phones.
 */
(function () {
  "use strict";

  var PALETTE = ["#1d5fa8", "#d9822b", "#2e7d32", "#a61d24", "#6a4c93", "#00838f", "#8d6e63", "#546e7a"];

  function option(chart) {
    var base = {
      color: PALETTE,
      tooltip: {trigger: chart.kind === "pie" ? "item" : "axis", confine: true},
      grid: {left: 8, right: 16, top: 36, bottom: 8, containLabel: true},
      legend: {top: 0, type: "scroll"},
      animation: false
    };
    if (chart.kind === "pie") {
      base.series = [{
        type: "pie",
        radius: ["35%", "65%"],
        center: ["50%", "58%"],
        data: chart.categories.map(function (name, i) {
          return {name: name, value: chart.series[0].data[i]};
        }).filter(function (d) { return d.value; })
      }];
      return base;
    }
    // A funnel reads best as horizontal bars in the stages' order, first at the top.
    var horizontal = chart.kind === "funnel" || (chart.kind !== "line" && chart.categories.length > 6);
    var category = {type: "category", data: chart.categories, axisLabel: {interval: 0, hideOverlap: true}};
    // Counts step by whole numbers; amounts (with a unit, e.g. 万元) may not.
    var value = {type: "value", name: chart.unit || "", minInterval: chart.unit ? 0 : 1};
    base.xAxis = horizontal ? value : category;
    base.yAxis = horizontal ? category : value;
    if (horizontal) {
      category.inverse = true;
    }
    base.series = chart.series.map(function (s) {
      return {
        name: s.name,
        type: chart.kind === "line" ? "line" : "bar",
        data: s.data,
        barMaxWidth: 28
      };
    });
    return base;
  }

  function draw(el, chart) {
    var instance = echarts.init(el, null, {renderer: "canvas"});
    instance.setOption(option(chart));
    if (chart.links && chart.links.length) {
      instance.on("click", function (params) {
        var url = chart.links[params.dataIndex];
        if (url) { window.location.href = url; }
      });
      el.style.cursor = "pointer";
    }
    return instance;
  }

  function start() {
    var source = document.getElementById("chart-data");
    if (!source || typeof echarts === "undefined") { return; }
    var charts = {};
    JSON.parse(source.textContent).forEach(function (c) { charts[c.key] = c; });
    var drawn = [];
    var nodes = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < nodes.length; i++) {
      var chart = charts[nodes[i].getAttribute("data-chart")];
      if (chart) { drawn.push(draw(nodes[i], chart)); }
    }
    var pending = null;
    window.addEventListener("resize", function () {
      if (pending) { clearTimeout(pending); }
      pending = setTimeout(function () {
        drawn.forEach(function (d) { d.resize(); });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
