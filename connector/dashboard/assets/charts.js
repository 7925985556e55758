/* crm-kpi dashboard: the SVG chart kit (formatting, axes, bars, lines, colours). No library. */
/* exported kpiCharts */
function kpiCharts(CUR, emptyText) {
  "use strict";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var COLORS = { brand: "#2760a8", soft: "#a9c2e3", target: "#d9480f", good: "#2b8a3e",
    goodSoft: "#9fd3a8", bad: "#c92a2a", badSoft: "#eba3a3", second: "#7048e8", cac: "#e8590c" };

  /* ---------- numbers ---------- */
  function nf(min, max) {
    return new Intl.NumberFormat("en-US", { minimumFractionDigits: min, maximumFractionDigits: max });
  }
  var N0 = nf(0, 0), N1 = nf(1, 1);
  var COMPACT = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });
  function isNum(v) { return typeof v === "number" && isFinite(v); }
  function fmt(unit, v) {
    if (!isNum(v)) return "—";
    if (unit === "money") return N0.format(v) + " " + CUR;
    if (unit === "days") return N1.format(v) + " d";
    if (unit === "score") return (v > 0 ? "+" : "") + N0.format(v);
    if (unit === "multiple") return N1.format(v) + ":1";
    return N1.format(v * 100) + " %";
  }
  function fmtTick(unit, v, step) {
    if (unit === "money") return COMPACT.format(v);
    if (unit === "ratio") return nf(0, step * 100 < 1 ? 1 : 0).format(v * 100) + " %";
    if (unit === "score") return (v > 0 ? "+" : "") + N0.format(v);
    if (unit === "multiple") return nf(0, step < 1 ? 1 : 0).format(v) + ":1";
    return N0.format(v);
  }
  function pct(a) { return isNum(a) ? N0.format(a * 100) + " %" : "n/a"; }
  function niceStep(span, count) {
    var raw = span / count, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  }
  // The value axis: it always holds what must stay visible (`keep`: the targets) and the
  // ordinary values; a value more than CLIP times the typical size (the larger of the
  // targets' and the lower median of the values') runs off it, drawn cut with its figure
  // written on it, so that one 800:1 period does not flatten every other into the floor.
  var CLIP = 8;
  function scaleY(values, fixed, keep) {
    if (fixed) return { lo: fixed[0], hi: fixed[1], step: (fixed[1] - fixed[0]) / 4, clipped: false };
    var nums = values.filter(isNum), kept = (keep || []).filter(isNum), cap = outlierCap(nums, kept);
    var inside = nums.filter(function (v) { return Math.abs(v) <= cap; }).concat(kept);
    var lo = Math.min(0, Math.min.apply(null, inside)), hi = Math.max(0, Math.max.apply(null, inside));
    if (hi === lo) hi = lo + 1;
    var step = niceStep(hi - lo, 4);
    return { lo: Math.floor(lo / step) * step, hi: Math.ceil(hi / step) * step, step: step,
      clipped: inside.length < nums.length + kept.length };
  }
  function outlierCap(nums, kept) {
    var sizes = nums.map(Math.abs).filter(function (v) { return v > 0; }).sort(function (a, b) { return a - b; });
    if (sizes.length < 2) return Infinity;
    var typical = Math.max(sizes[Math.floor((sizes.length - 1) / 2)],
      Math.max.apply(null, kept.map(Math.abs).concat([0])));
    return typical > 0 ? typical * CLIP : Infinity;
  }

  /* ---------- period labels ---------- */
  function typeOf(key) {
    if (/^\d{4}-Q[1-4]$/.test(key)) return "quarter";
    if (/^\d{4}-\d{2}$/.test(key)) return "month";
    return /^\d{4}$/.test(key) ? "year" : null;
  }
  function label(key) {
    var t = typeOf(key);
    if (t === "month") return MONTHS[+key.slice(5, 7) - 1] + " \u2019" + key.slice(2, 4);
    if (t === "quarter") return key.slice(5) + " \u2019" + key.slice(2, 4);
    return key;
  }
  function longLabel(key) {
    var t = typeOf(key);
    if (t === "month") return MONTHS[+key.slice(5, 7) - 1] + " " + key.slice(0, 4);
    if (t === "quarter") return key.slice(5) + " " + key.slice(0, 4);
    return key;
  }
  /* ---------- SVG helpers ---------- */
  function el(tag, attrs, parent, text) {
    var node = document.createElementNS(SVG_NS, tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function tip(node, text) { el("title", {}, node, text); return node; }
  function svgRoot(plot, w, h, name, desc) {
    plot.textContent = "";
    var id = "c" + Math.random().toString(36).slice(2, 8);
    var svg = el("svg", { viewBox: "0 0 " + w + " " + h, role: "img",
      "aria-labelledby": id + "t " + id + "d" }, plot);
    el("title", { id: id + "t" }, svg, name);
    el("desc", { id: id + "d" }, svg, desc);
    return svg;
  }
  function empty(svg, w, h, why) {
    el("text", { x: w / 2, y: h / 2, "text-anchor": "middle", "class": "empty" }, svg,
      why || emptyText());
    return "empty";
  }
  function legend(svg, items, x, y) {
    items.forEach(function (it) {
      var g = el("g", { transform: "translate(" + x + "," + y + ")" }, svg);
      if (it.line) el("line", { x1: 0, x2: 18, y1: -4, y2: -4, stroke: it.color, "stroke-width": 2.5,
        "stroke-dasharray": it.dash || null }, g);
      else el("rect", { x: 0, y: -10, width: 12, height: 12, rx: 2, fill: it.color }, g);
      var t = el("text", { x: it.line ? 23 : 17, y: 0, "font-size": 12 }, g, it.name);
      x += (it.line ? 30 : 24) + t.getComputedTextLength();
    });
  }

  /* ---------- time-series chart: bars and lines over period bands ---------- */
  function xyChart(plot, o) {
    var W = o.width || 640, H = o.height || 250, M = { l: (o.x0 || 0) + 62, r: 14, t: 30, b: 34 };
    var all = [], keep = [];
    o.series.forEach(function (s) { if (s.dash) keep = keep.concat(s.values); else all = all.concat(s.values); });
    var svg = o.svg || svgRoot(plot, W, H, o.title, o.desc);
    if (!all.concat(keep).some(isNum)) return empty(svg, W, H);
    var y = scaleY(all, o.fixed, keep), pw = W - M.l - M.r, ph = H - M.t - M.b;
    o.y = y;
    var band = pw / o.keys.length;
    o.bottom = M.t + ph;
    var Y = function (v) { return M.t + ph * (y.hi - Math.max(y.lo, Math.min(y.hi, v))) / (y.hi - y.lo); };
    var X = function (i) { return M.l + band * (i + 0.5); };
    axes(svg, o, y, Y, X, M, W, H);
    var bars = o.series.filter(function (s) { return s.kind === "bar"; });
    bars.forEach(function (s, j) { drawBars(svg, o, s, j, bars.length, band, X, Y); });
    var lines = o.series.filter(function (s) { return s.kind === "line"; });
    // A value callout goes above the highest line at its period and below the others.
    o.top = o.keys.map(function (k, i) {
      return Math.max.apply(null, lines.map(function (s) { return s.dash || !isNum(s.values[i]) ? -Infinity : s.values[i]; }));
    });
    lines.forEach(function (s) { drawLine(svg, o, s, X, Y, band); });
    if (o.groupLabels) o.groupLabels.forEach(function (txt, i) {
      if (txt) el("text", { x: X(i), y: M.t - 4, "text-anchor": "middle", "class": "callout",
        fill: COLORS.second }, svg, txt);
    });
    legend(svg, o.series.filter(function (s) { return s.values.some(isNum); }).map(function (s) {
      var color = typeof s.color === "function" ? s.legendColor || COLORS.good : s.color;
      return { name: s.name, color: color, line: s.kind === "line", dash: s.dash };
    }), M.l, 14);
    if (y.clipped) el("text", { x: W - M.r, y: H - 3, "text-anchor": "end", "class": "clip-note" }, svg,
      "axis cut: a figure off the scale is written on its bar");
    return "ok";
  }
  function outside(o, v) { return o.y && (v > o.y.hi || v < o.y.lo); }
  function axes(svg, o, y, Y, X, M, W, H) {
    var g = el("g", { "class": "axis" }, svg);
    for (var v = y.lo; v <= y.hi + y.step / 2; v += y.step) {
      el("line", { x1: M.l, x2: W - M.r, y1: Y(v), y2: Y(v),
        "class": Math.abs(v) < y.step / 1e6 ? "zero-line" : "grid-line" }, g);
      el("text", { x: M.l - 6, y: Y(v) + 4, "text-anchor": "end" }, g, fmtTick(o.unit, v, y.step));
    }
    var every = Math.ceil(o.keys.length / Math.max(1, Math.floor((W - M.l - M.r) / 42)));
    o.keys.forEach(function (k, i) {
      if ((o.keys.length - 1 - i) % every) return;
      el("text", { x: X(i), y: H - M.b + 16, "text-anchor": "middle",
        "font-weight": o.highlight(i) ? 700 : null }, g, label(k));
    });
    el("text", { transform: "translate(" + (M.l - 48) + "," + (M.t + (H - M.t - M.b) / 2) + ") rotate(-90)",
      "text-anchor": "middle" }, g, o.yLabel);
  }
  function drawBars(svg, o, s, j, count, band, X, Y) {
    var inner = band * 0.72, w = inner / count;
    s.values.forEach(function (v, i) {
      if (!isNum(v)) return;
      var x = X(i) - inner / 2 + j * w, y0 = Y(0), y1 = Y(v);
      var fill = typeof s.color === "function" ? s.color(v, i) : s.color;
      var bar = el("rect", { "class": "bar", x: x + 1, width: Math.max(1, w - 2),
        y: Math.min(y0, y1), height: Math.max(1, Math.abs(y1 - y0)), rx: 2, fill: fill,
        "fill-opacity": o.highlight(i) ? 1 : 0.55 }, svg);
      tip(bar, longLabel(o.keys[i]) + " · " + s.name + ": " + fmt(o.unit, v) + (s.tip ? s.tip(i) : ""));
      if (outside(o, v)) return cutBar(svg, o, x, w, y1, v);
      if (!o.highlight(i) || o.callouts === false) return;
      // Negative bars are labelled inside, under the zero line (or under the bar if too short).
      var inside = v < 0 && y1 - y0 > 20;
      el("text", { x: x + w / 2, y: v >= 0 ? y1 - 4 : inside ? y0 + 14 : y1 + 14, "text-anchor": "middle",
        "class": "callout", fill: inside ? "#fff" : null }, svg, fmtShort(o.unit, v));
    });
  }
  // A bar cut by the axis: a break across its end and its figure written inside it.
  function cutBar(svg, o, x, w, edge, v) {
    var up = v > 0, y = up ? edge + 6 : edge - 6;
    el("path", { d: "M" + (x + 1) + "," + (y + 3) + "l" + (w - 2) / 2 + ",-6l" + (w - 2) / 2 + ",6",
      fill: "none", stroke: "#fff", "stroke-width": 2.5, "class": "cut" }, svg);
    el("text", { x: x + w / 2, y: up ? edge + 22 : edge - 14, "text-anchor": "middle", "class": "callout",
      fill: "#fff", "data-clipped": "1" }, svg, fmtShort(o.unit, v));
  }
  function fmtShort(unit, v) { return unit === "money" ? COMPACT.format(v) : fmt(unit, v); }
  function drawLine(svg, o, s, X, Y, band) {
    var d = "", pen = false, half = s.dash ? band / 2 : 0;
    s.values.forEach(function (v, i) {
      if (!isNum(v)) { pen = false; return; }
      // Targets are steps across each period's band; values are points joined by lines.
      d += (pen ? "L" : "M") + (X(i) - half).toFixed(1) + "," + Y(v).toFixed(1);
      if (half) d += "L" + (X(i) + half).toFixed(1) + "," + Y(v).toFixed(1);
      pen = true;
    });
    if (d) el("path", { d: d, fill: "none", stroke: s.color, "stroke-width": s.dash ? 2 : 2.5,
      "stroke-dasharray": s.dash || null, "stroke-linejoin": "round" }, svg);
    if (s.dash) return;
    s.values.forEach(function (v, i) {
      if (!isNum(v)) return;
      var hl = o.highlight(i);
      tip(el("circle", { cx: X(i), cy: Y(v), r: hl ? 5 : 3.5, fill: hl ? s.color : "#fff",
        stroke: s.color, "stroke-width": 2, "data-clipped": outside(o, v) ? "1" : null }, svg),
      longLabel(o.keys[i]) + " · " + s.name + ": " + fmt(o.unit, v) + (s.tip ? s.tip(i) : ""));
      if ((hl && o.callouts !== false) || outside(o, v))
        callout(svg, o, s, X(i), Y(v), v < o.top[i] || v > o.y.hi).textContent = fmt(o.unit, v);
    });
  }
  function callout(svg, o, s, x, y, below) {
    if (!below) return el("text", { x: x, y: y - 9, "text-anchor": "middle", "class": "callout", fill: s.color }, svg);
    if (y + 19 <= o.bottom - 2) return el("text", { x: x, y: y + 19, "text-anchor": "middle", "class": "callout", fill: s.color }, svg);
    return el("text", { x: x - 9, y: y - 6, "text-anchor": "end", "class": "callout", fill: s.color }, svg);
  }
  function heatColor(a) {
    var stops = [[0.5, [215, 48, 39]], [0.8, [252, 141, 89]], [0.97, [254, 224, 139]],
      [1.0, [217, 239, 139]], [1.25, [145, 207, 96]], [1.6, [26, 152, 80]]];
    a = Math.max(stops[0][0], Math.min(stops[stops.length - 1][0], a));
    for (var i = 1; i < stops.length; i++) {
      if (a <= stops[i][0]) {
        var p = (a - stops[i - 1][0]) / (stops[i][0] - stops[i - 1][0]);
        var c = [0, 1, 2].map(function (k) {
          return Math.round(stops[i - 1][1][k] + p * (stops[i][1][k] - stops[i - 1][1][k]));
        });
        return "rgb(" + c.join(",") + ")";
      }
    }
    return "rgb(26,152,80)";
  }
  return {
    COLORS: COLORS, COMPACT: COMPACT, isNum: isNum, fmt: fmt, fmtTick: fmtTick, pct: pct,
    niceStep: niceStep, typeOf: typeOf, label: label, longLabel: longLabel, el: el, tip: tip,
    svgRoot: svgRoot, empty: empty, xyChart: xyChart, heatColor: heatColor
  };
}
