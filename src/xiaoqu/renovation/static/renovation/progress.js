/* The 进度 tab's timeline: per item a planned bar (grey) over an actual bar (blue under way,
 * green finished, amber when the item is overdue), a dashed line for today. ECharts from
 * vendor/echarts.min.js; the data comes from the page (json_script "gantt-data"), and the same
 * data is in the table beside the chart for screen readers and browsers without JavaScript.
 *
 * Plain ES5, no build step.
 */
(function () {
  "use strict";

  var el = document.getElementById("gantt");
  var dataEl = document.getElementById("gantt-data");
  if (!el || !dataEl || !window.echarts) { return; }
  var D = JSON.parse(dataEl.textContent);
  var L = D.labels;
  var DAY = 86400000;
  var COLORS = {
    planned: "#c9d1d9", plannedOverdue: "#f0c987", actual: "#1d4f91", done: "#1e6b3a",
    overdue: "#d97706", today: "#a61d24", held: "#e5e7eb", text: "#1f2933", warn: "#8a5300"
  };

  // "2026-03-01" → local midnight in milliseconds (the dates are days, not instants).
  function day(text) {
    if (!text) { return null; }
    var p = text.split("-");
    return new Date(+p[0], +p[1] - 1, +p[2]).getTime();
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function md(ms) {
    var d = new Date(ms);
    return pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  var rows = D.rows;
  var today = day(D.today);
  var lo = today;
  var hi = today;
  var bars = [];
  for (var i = 0; i < rows.length; i++) {
    var r = rows[i];
    var ps = day(r.ps);
    var pf = day(r.pf);
    var as = day(r.as);
    var ae = day(r.ae);
    if (ps !== null || pf !== null) {
      var s = ps !== null ? ps : pf;
      var e = (pf !== null ? pf : ps) + DAY;
      bars.push({ value: [i, s, e, 0], row: r });
      lo = Math.min(lo, s); hi = Math.max(hi, e);
    }
    if (as !== null) {
      var end = (ae !== null ? ae : today) + DAY;
      bars.push({ value: [i, as, end, 1], row: r });
      lo = Math.min(lo, as); hi = Math.max(hi, end);
    }
  }
  var margin = Math.max(3 * DAY, Math.round((hi - lo) * 0.04));
  var narrow = el.clientWidth < 520;

  function barColor(row, kind) {
    if (row.held) { return COLORS.held; }
    if (kind === 0) { return row.overdue ? COLORS.plannedOverdue : COLORS.planned; }
    if (row.overdue) { return COLORS.overdue; }
    return row.done ? COLORS.done : COLORS.actual;
  }

  function renderItem(params, api) {
    var index = api.value(0);
    var start = api.coord([api.value(1), index]);
    var end = api.coord([api.value(2), index]);
    var band = api.size([0, 1])[1];
    var height = Math.max(6, Math.min(16, band * 0.3));
    var kind = api.value(3);
    var y = kind === 0 ? start[1] - height - 1 : start[1] + 1;
    var rect = window.echarts.graphic.clipRectByRect(
      { x: start[0], y: y, width: Math.max(end[0] - start[0], 3), height: height },
      { x: params.coordSys.x, y: params.coordSys.y,
        width: params.coordSys.width, height: params.coordSys.height }
    );
    var row = bars[params.dataIndex].row;
    return rect && { type: "rect", shape: rect, style: { fill: barColor(row, kind) } };
  }

  function label(index) {
    var r = rows[index];
    var name = r.name;
    var max = narrow ? 6 : 14;
    if (name.length > max) { name = name.substr(0, max - 1) + "…"; }
    name += " " + r.percent + "%";
    return r.overdue ? "{warn|" + name + "}" : name;
  }

  function tip(params) {
    var r = bars[params.dataIndex].row;
    var lines = [r.name + (r.estate ? "（" + r.estate + "）" : "")];
    lines.push(L.planned + "：" + (r.ps || "…") + " — " + (r.pf || "…"));
    if (r.as) { lines.push(L.actual + "：" + r.as + " — " + (r.done ? r.ae : "") + " " + r.percent + "%"); }
    if (r.overdue) { lines.push(L.overdue); }
    if (r.held) { lines.push(L.held); }
    var box = document.createElement("div");
    for (var k = 0; k < lines.length; k++) {
      var line = document.createElement("div");
      line.appendChild(document.createTextNode(lines[k]));
      box.appendChild(line);
    }
    return box.innerHTML;
  }

  var names = [];
  for (var j = 0; j < rows.length; j++) { names.push(j); }

  var chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 8, right: 16, top: 28, bottom: 24, containLabel: true },
    tooltip: { trigger: "item", formatter: tip, confine: true },
    xAxis: {
      type: "time", position: "top", min: lo - margin, max: hi + margin,
      axisLabel: { formatter: function (v) { return md(v); }, hideOverlap: true, fontSize: narrow ? 10 : 12 },
      splitLine: { show: true, lineStyle: { color: "#eef0f2" } }
    },
    yAxis: {
      type: "category", data: names, inverse: true,
      axisTick: { show: false },
      axisLabel: {
        formatter: label, color: COLORS.text, fontSize: narrow ? 11 : 12,
        rich: { warn: { color: COLORS.warn, fontWeight: "bold", fontSize: narrow ? 11 : 12 } }
      }
    },
    series: [{
      type: "custom", renderItem: renderItem, encode: { x: [1, 2], y: 0 }, data: bars,
      markLine: {
        silent: true, symbol: "none",
        lineStyle: { color: COLORS.today, type: "dashed", width: 1.5 },
        label: { formatter: L.today, position: "end", color: COLORS.today },
        data: [{ xAxis: today }]
      }
    }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
