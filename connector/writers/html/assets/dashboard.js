/* crm-kpi dashboard: a small SVG renderer over the inlined payload (no library, no network). */
(function () {
  "use strict";
  var SVG_NS = "http://www.w3.org/2000/svg";
  var D = JSON.parse(document.getElementById("kpi-data").textContent);
  var CUR = D.meta.currency;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var COLORS = { brand: "#2760a8", soft: "#a9c2e3", target: "#d9480f", good: "#2b8a3e",
    goodSoft: "#9fd3a8", bad: "#c92a2a", badSoft: "#eba3a3", second: "#7048e8", cac: "#e8590c" };
  var TREND = { month: 12, quarter: 8, year: 5 };
  var state = { type: null, period: null, team: "" };

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
  function scaleY(values, fixed) {
    if (fixed) return { lo: fixed[0], hi: fixed[1], step: (fixed[1] - fixed[0]) / 4 };
    var nums = values.filter(isNum), lo = Math.min(0, Math.min.apply(null, nums));
    var hi = Math.max(0, Math.max.apply(null, nums));
    if (hi === lo) hi = lo + 1;
    var step = niceStep(hi - lo, 4);
    return { lo: Math.floor(lo / step) * step, hi: Math.ceil(hi / step) * step, step: step };
  }

  /* ---------- periods and data ---------- */
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
  function scope() { return state.team ? "team:" + state.team : "company"; }
  function scopeName() { return state.team || "Company"; }
  function windowOf(type, period, n) {
    var keys = D.periods[type] || [], end = keys.indexOf(period);
    var start = Math.max(0, end - n + 1);
    return { type: type, keys: keys.slice(start, end + 1), from: start, sel: end - start };
  }
  function col(win, kpi, field) {
    var s = ((D.series[scope()] || {})[kpi] || {})[win.type];
    var out = [];
    for (var i = 0; i < win.keys.length; i++) out.push(s ? s[field][win.from + i] : null);
    return out;
  }
  function at(kpi, field) {
    var s = ((D.series[scope()] || {})[kpi] || {})[state.type];
    var i = (D.periods[state.type] || []).indexOf(state.period);
    return s && i >= 0 ? s[field][i] : null;
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
      why || "No data for " + scopeName() + " in this period");
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
    var all = [];
    o.series.forEach(function (s) { all = all.concat(s.values); });
    var svg = o.svg || svgRoot(plot, W, H, o.title, o.desc);
    if (!all.some(isNum)) return empty(svg, W, H);
    var y = scaleY(all, o.fixed), pw = W - M.l - M.r, ph = H - M.t - M.b;
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
    return "ok";
  }
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
      if (!o.highlight(i) || o.callouts === false) return;
      // Negative bars are labelled inside, under the zero line (or under the bar if too short).
      var inside = v < 0 && y1 - y0 > 20;
      el("text", { x: x + w / 2, y: v >= 0 ? y1 - 4 : inside ? y0 + 14 : y1 + 14, "text-anchor": "middle",
        "class": "callout", fill: inside ? "#fff" : null }, svg, fmtShort(o.unit, v));
    });
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
        stroke: s.color, "stroke-width": 2 }, svg),
      longLabel(o.keys[i]) + " · " + s.name + ": " + fmt(o.unit, v) + (s.tip ? s.tip(i) : ""));
      if (hl && o.callouts !== false) callout(svg, o, s, X(i), Y(v), v < o.top[i]).textContent = fmt(o.unit, v);
    });
  }
  function callout(svg, o, s, x, y, below) {
    if (!below) return el("text", { x: x, y: y - 9, "text-anchor": "middle", "class": "callout", fill: s.color }, svg);
    if (y + 19 <= o.bottom - 2) return el("text", { x: x, y: y + 19, "text-anchor": "middle", "class": "callout", fill: s.color }, svg);
    return el("text", { x: x - 9, y: y - 6, "text-anchor": "end", "class": "callout", fill: s.color }, svg);
  }
  function vsTarget(unit, targets, att) {
    return function (i) {
      return isNum(targets[i]) ? " · target " + fmt(unit, targets[i]) + " · " + pct(att[i]) + " of target" : "";
    };
  }
  function trendChart(plot, kpis, extra) {
    var win = windowOf(state.type, state.period, TREND[state.type]);
    var unit = D.kpis[kpis[0].kpi].unit, series = [];
    kpis.forEach(function (k) {
      var v = col(win, k.kpi, "v"), t = col(win, k.kpi, "t"), a = col(win, k.kpi, "a");
      series.push({ kind: k.kind || "line", name: D.kpis[k.kpi].label, values: v, color: k.color,
        tip: vsTarget(unit, t, a) });
      if (t.some(isNum)) series.push({ kind: "line", name: D.kpis[k.kpi].label + " target",
        values: t, color: k.targetColor || COLORS.target, dash: "6 4" });
    });
    var o = { keys: win.keys, unit: unit, series: series, highlight: function (i) { return i === win.sel; },
      title: kpis.map(function (k) { return D.kpis[k.kpi].label; }).join(" and ") + " by " + state.type,
      desc: (win.keys.length > 1 ? "Last " + win.keys.length + " " + state.type + "s" : "The " + state.type) + " to " + longLabel(state.period) + ", " + scopeName() };
    for (var key in extra || {}) o[key] = extra[key];
    return { state: xyChart(plot, o), sub: o.desc };
  }

  /* ---------- the charts ---------- */
  var CHARTS = {
    revenue: function (plot) {
      var span = state.type === "month" ? [state.period, state.period] : D.spans[state.type][state.period];
      var win = windowOf("month", span[1], 12);
      var v = col(win, "total_revenue", "v"), t = col(win, "total_revenue", "t"), a = col(win, "total_revenue", "a");
      var inSpan = function (i) { return win.keys[i] >= span[0] && win.keys[i] <= span[1]; };
      var desc = "12 months to " + longLabel(span[1]) + ", " + scopeName() + " (" + CUR + ")";
      var st = xyChart(plot, { keys: win.keys, unit: "money", highlight: inSpan, width: 1300, height: 250,
        yLabel: "Revenue (" + CUR + ")", title: "Revenue vs target by month", desc: desc,
        series: [
          { kind: "bar", name: "Revenue", values: v, tip: vsTarget("money", t, a),
            color: function (val, i) { return isNum(t[i]) && val < t[i] ? COLORS.brand : COLORS.good; } },
          { kind: "line", name: "Monthly target", values: t, color: COLORS.target, dash: "6 4" }] });
      return { state: st, sub: desc + " · green: at or above target" };
    },
    growth: function (plot) {
      return trendChart(plot, [{ kpi: "sales_growth", kind: "bar",
        color: function (v) { return v < 0 ? COLORS.bad : COLORS.good; } }],
      { yLabel: "Growth vs previous period" });
    },
    funnel: function (plot) {
      return trendChart(plot, [{ kpi: "lead_to_opportunity", color: COLORS.brand, targetColor: COLORS.soft },
        { kpi: "lead_to_sale", color: COLORS.second, targetColor: "#c0b0f5" }],
      { yLabel: "Share of leads created" });
    },
    closing: function (plot) {
      return trendChart(plot, [{ kpi: "closing_ratio", color: COLORS.brand }],
        { yLabel: "Deals won / opportunities" });
    },
    cycle: function (plot) {
      var r = trendChart(plot, [{ kpi: "avg_sales_cycle_days", kind: "bar", color: COLORS.brand }],
        { yLabel: "Days, first contact → won" });
      r.sub += " · lower is better";
      return r;
    },
    methods: methodsChart,
    clvcac: clvCacChart,
    retention: function (plot) {
      return trendChart(plot, [{ kpi: "retention_rate", color: COLORS.good, targetColor: COLORS.goodSoft },
        { kpi: "churn_rate", color: COLORS.bad, targetColor: COLORS.badSoft }],
      { yLabel: "Share of customers" });
    },
    nps: function (plot) {
      return trendChart(plot, [{ kpi: "nps", kind: "bar",
        color: function (v) { return v < 0 ? COLORS.bad : COLORS.good; } }],
      { yLabel: "NPS (−100 to 100)", fixed: [-100, 100] });
    },
    heatmap: heatChart
  };

  function clvCacChart(plot) {
    var W = 640, H = 250, win = windowOf(state.type, state.period, TREND[state.type]);
    var clv = at("clv", "v"), cac = at("cac", "v"), target = at("clv_to_cac", "t");
    var desc = "CLV and CAC in " + longLabel(state.period) + " (left) and CLV : CAC by " + state.type +
      " (right), " + scopeName() + (isNum(target) ? "; target " + fmt("multiple", target) : "");
    var svg = svgRoot(plot, W, H, "CLV vs CAC", desc);
    var ratio = col(win, "clv_to_cac", "v"), clvs = col(win, "clv", "v"), cacs = col(win, "cac", "v");
    if (!isNum(clv) && !isNum(cac) && !ratio.some(isNum)) return { state: empty(svg, W, H), sub: desc };
    pairBars(svg, [["CLV", clv, COLORS.brand], ["CAC", cac, COLORS.cac]], 10, 190, H);
    var st = xyChart(plot, { svg: svg, x0: 200, keys: win.keys, unit: "multiple", yLabel: "CLV : CAC",
      highlight: function (i) { return i === win.sel; },
      series: [{ kind: "bar", name: "CLV : CAC", values: ratio, color: COLORS.second,
        tip: function (i) { return " · CLV " + fmt("money", clvs[i]) + ", CAC " + fmt("money", cacs[i]); } },
      { kind: "line", name: "Target", values: col(win, "clv_to_cac", "t"), color: COLORS.target, dash: "6 4" }] });
    return { state: st, sub: desc };
  }
  function pairBars(svg, pairs, x, w, H) {
    var top = 46, bottom = H - 34, max = Math.max.apply(null, pairs.map(function (p) { return isNum(p[1]) ? p[1] : 0; }));
    el("text", { x: x + w / 2, y: 14, "text-anchor": "middle", "font-size": 12, "font-weight": 600 }, svg,
      longLabel(state.period));
    pairs.forEach(function (p, i) {
      var bx = x + 20 + i * (w - 40) / 2, bw = (w - 40) / 2 - 16, h = max > 0 && isNum(p[1]) ? (bottom - top) * p[1] / max : 0;
      tip(el("rect", { "class": "bar", x: bx, y: bottom - Math.max(h, 1), width: bw, height: Math.max(h, 1), rx: 2,
        fill: p[2] }, svg), p[0] + ", " + longLabel(state.period) + ": " + fmt("money", p[1]));
      el("text", { x: bx + bw / 2, y: bottom - Math.max(h, 1) - 5, "text-anchor": "middle", "class": "callout" }, svg,
        isNum(p[1]) ? COMPACT.format(p[1]) : "—");
      el("text", { x: bx + bw / 2, y: bottom + 16, "text-anchor": "middle", "font-size": 12 }, svg, p[0]);
    });
    el("line", { x1: x + 10, x2: x + w - 10, y1: bottom, y2: bottom, "class": "zero-line" }, svg);
    el("text", { x: x + w / 2, y: bottom + 30, "text-anchor": "middle", "font-size": 11, fill: "#616e7c" }, svg,
      "in " + CUR);
  }
  function methodsChart(plot) {
    var list = ((D.methods[scope()] || {})[state.type] || [])[(D.periods[state.type] || []).indexOf(state.period)];
    var W = 640, H = 250, M = { l: 92, r: 200, t: 16, b: 26 };
    var desc = "Won per contact attempt, " + longLabel(state.period) + ", " + scopeName();
    var svg = svgRoot(plot, W, H, "Sales by contact method", desc);
    if (!list) return { state: empty(svg, W, H), sub: desc };
    var max = Math.max.apply(null, list.map(function (e) { return isNum(e[1]) ? e[1] : 0; }).concat([list[0][5] || 0, 0.0001]));
    var step = niceStep(max, 4), hi = Math.ceil(max / step) * step, pw = W - M.l - M.r;
    var rowH = (H - M.t - M.b) / list.length, X = function (v) { return M.l + pw * v / hi; };
    var g = el("g", { "class": "axis" }, svg);
    for (var v = 0; v <= hi + step / 2; v += step) {
      el("line", { x1: X(v), x2: X(v), y1: M.t, y2: H - M.b, "class": v ? "grid-line" : "zero-line" }, g);
      el("text", { x: X(v), y: H - M.b + 15, "text-anchor": "middle" }, g, fmtTick("ratio", v, step));
    }
    list.forEach(function (e, i) { methodRow(svg, e, M.t + i * rowH, rowH, X, W - M.r); });
    if (isNum(list[0][5])) {
      el("line", { x1: X(list[0][5]), x2: X(list[0][5]), y1: M.t - 4, y2: H - M.b, stroke: COLORS.target,
        "stroke-width": 2, "stroke-dasharray": "6 4" }, svg);
      el("text", { x: X(list[0][5]) + 4, y: M.t - 4, fill: COLORS.target, "font-size": 11 }, svg,
        "target " + fmt("ratio", list[0][5]));
    }
    return { state: "ok", sub: desc + " · rate · won/attempts · revenue" };
  }
  function methodRow(svg, e, y, rowH, X, right) {
    var name = e[0].replace("_", " "), h = Math.min(20, rowH * 0.66), mid = y + rowH / 2;
    el("text", { x: X(0) - 8, y: mid + 4, "text-anchor": "end", "font-size": 12 }, svg, name);
    if (isNum(e[1])) tip(el("rect", { "class": "bar", x: X(0), y: mid - h / 2, height: h, rx: 2,
      width: Math.max(1, X(e[1]) - X(0)), fill: isNum(e[5]) && e[1] >= e[5] ? COLORS.good : COLORS.brand }, svg),
    name + ": " + fmt("ratio", e[1]) + " (" + (e[2] || 0) + " won / " + (e[3] || 0) + " attempts), revenue " +
      fmt("money", e[4] || 0));
    el("text", { x: right + 10, y: mid + 4, "font-size": 11.5 }, svg,
      fmt("ratio", e[1]) + " · " + (e[2] || 0) + "/" + (e[3] || 0) + " · " + COMPACT.format(e[4] || 0) + " " + CUR);
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
  function heatChart(plot) {
    var owners = D.owners.filter(function (o) { return !state.team || o.team === state.team; });
    var cells = (D.heat[state.type] || [])[(D.periods[state.type] || []).indexOf(state.period)] || {};
    var cols = D.heatKpis, cw = 80, ch = 26, M = { l: 170, t: 46, b: 46 };
    var W = M.l + cols.length * cw + 10, H = M.t + Math.max(1, owners.length) * ch + M.b;
    var desc = "Attainment per rep, " + longLabel(state.period) + (state.team ? ", " + state.team : ", all teams") +
      ": 100 % = on target; for cycle length, CAC and churn lower is better and already inverted";
    var svg = svgRoot(plot, W, H, "Attainment by rep and KPI", desc);
    if (!owners.length || !owners.some(function (o) { return cells[o.id]; }))
      return { state: empty(svg, W, H, "No rep has a target for this period"), sub: desc };
    cols.forEach(function (k, j) { heatHeader(svg, D.kpis[k].label, M.l + j * cw + cw / 2, M.t - 8); });
    owners.forEach(function (o, r) {
      var y = M.t + r * ch;
      el("text", { x: M.l - 8, y: y + ch / 2 + 4, "text-anchor": "end", "font-size": 12 }, svg,
        o.name + (state.team || !o.team ? "" : " · " + o.team));
      cols.forEach(function (k, j) { heatCell(svg, o, k, (cells[o.id] || [])[j], M.l + j * cw, y, cw, ch); });
    });
    heatLegend(svg, M.l, H - 22);
    return { state: "ok", sub: desc };
  }
  function heatHeader(svg, text, x, y) {
    var words = text.split(" "), lines = words.length > 1 && text.length > 11 ?
      [words.slice(0, Math.ceil(words.length / 2)).join(" "), words.slice(Math.ceil(words.length / 2)).join(" ")] : [text];
    lines.forEach(function (line, i) {
      el("text", { x: x, y: y - (lines.length - 1 - i) * 13, "text-anchor": "middle", "font-size": 11.5,
        "font-weight": 600 }, svg, line);
    });
  }
  function heatCell(svg, owner, kpi, a, x, y, cw, ch) {
    var has = isNum(a), dark = has && (a < 0.62 || a > 1.42);
    tip(el("rect", { "class": "cell", x: x + 1, y: y + 1, width: cw - 2, height: ch - 2, rx: 3,
      fill: has ? heatColor(a) : "#eef1f4" }, svg),
    owner.name + " · " + D.kpis[kpi].label + ": " + (has ? pct(a) + " of target" : "no attainment (no target or no value)"));
    el("text", { x: x + cw / 2, y: y + ch / 2 + 4, "text-anchor": "middle", "font-size": 11.5,
      fill: has ? (dark ? "#fff" : "#1f2933") : "#9aa5b1" }, svg, has ? pct(a) : "—");
  }
  function heatLegend(svg, x, y) {
    var steps = [0.5, 0.7, 0.9, 1.0, 1.1, 1.3, 1.5];
    el("text", { x: x - 8, y: y + 12, "text-anchor": "end", "font-size": 11.5 }, svg, "Attainment");
    steps.forEach(function (a, i) {
      el("rect", { x: x + i * 56, y: y, width: 54, height: 16, rx: 2, fill: heatColor(a) }, svg);
      el("text", { x: x + i * 56 + 27, y: y + 12, "text-anchor": "middle", "font-size": 11,
        fill: a < 0.62 || a > 1.42 ? "#fff" : "#1f2933" }, svg, (i === 0 ? "≤" : i === steps.length - 1 ? "≥" : "") + pct(a));
    });
  }

  /* ---------- tiles, filters, page ---------- */
  var TILES = ["total_revenue", "gross_margin", "sales_growth", "closing_ratio", "avg_sales_cycle_days", "arpa",
    "lead_to_opportunity", "lead_to_sale", "clv_to_cac", "retention_rate", "churn_rate", "nps"];
  function renderTiles() {
    var box = document.getElementById("tiles");
    box.textContent = "";
    TILES.forEach(function (k) {
      var v = at(k, "v"), t = at(k, "t"), a = at(k, "a"), unit = D.kpis[k].unit;
      var cls = isNum(a) ? (a >= 1 ? "good" : "bad") : "";
      var tile = document.createElement("div");
      tile.className = "tile " + cls;
      tile.setAttribute("data-kpi", k);
      tile.innerHTML = '<div class="k"></div><div class="v"></div><div class="t"></div>';
      tile.children[0].textContent = D.kpis[k].label;
      tile.children[1].textContent = fmt(unit, v);
      var line = tile.children[2];
      if (isNum(t)) {
        line.textContent = "target " + fmt(unit, t) + " ";
        var b = document.createElement("span");
        b.className = "badge " + cls;
        b.textContent = isNum(a) ? (a >= 1 ? "▲ " : "▼ ") + pct(a) : "";
        line.appendChild(b);
      } else line.textContent = "no target";
      tile.title = D.kpis[k].label + ": " + fmt(unit, v) + (isNum(t) ? ", target " + fmt(unit, t) + ", " + pct(a) + " of target" : "");
      box.appendChild(tile);
    });
  }
  function options(select, items, value) {
    select.textContent = "";
    items.forEach(function (it) {
      var o = document.createElement("option");
      o.value = it[0];
      o.textContent = it[1];
      o.selected = it[0] === value;
      select.appendChild(o);
    });
  }
  function fillFilters() {
    var types = ["month", "quarter", "year"].filter(function (t) { return (D.periods[t] || []).length; });
    options(document.getElementById("f-type"), types.map(function (t) { return [t, t[0].toUpperCase() + t.slice(1)]; }), state.type);
    options(document.getElementById("f-period"), (D.periods[state.type] || []).slice().reverse().map(function (p) {
      return [p, longLabel(p)]; }), state.period);
    options(document.getElementById("f-team"), [["", "All teams (company)"]].concat(D.teams.map(function (t) {
      return [t, t]; })), state.team);
  }
  function pick(type, period, team) {
    var keys = D.periods[type] || [];
    state.type = keys.length ? type : D.defaults.periodType;
    keys = D.periods[state.type] || [];
    state.period = keys.indexOf(period) >= 0 ? period : keys[keys.length - 1] || null;
    state.team = D.teams.indexOf(team) >= 0 ? team : "";
  }
  function fromHash() {
    var h = new URLSearchParams(location.hash.replace(/^#/, "")), period = h.get("period");
    var type = h.get("type") || (period && typeOf(period)) || D.defaults.periodType;
    pick(type, period || (type === D.defaults.periodType ? D.defaults.period : null), h.get("team") || "");
  }
  function toHash() {
    var h = new URLSearchParams();
    if (state.team) h.set("team", state.team);
    h.set("period", state.period);
    history.replaceState(null, "", "#" + h.toString());
  }
  function render() {
    fillFilters();
    document.body.setAttribute("data-period-type", state.type);
    document.body.setAttribute("data-period", state.period || "");
    document.body.setAttribute("data-team", state.team);
    document.getElementById("scope-line").textContent = scopeName() + " · " +
      (state.period ? longLabel(state.period) : "no period") + (state.team ? " (team)" : " (all teams)");
    renderTiles();
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), renderChart);
    document.body.setAttribute("data-ready", "1");
  }
  function renderChart(fig) {
    var plot = fig.querySelector(".plot"), sub = fig.querySelector(".sub");
    try {
      if (!state.period) throw new Error("no KPI results in the store");
      var r = CHARTS[fig.getAttribute("data-chart")](plot);
      fig.setAttribute("data-state", r.state);
      sub.textContent = r.sub;
    } catch (err) {
      fig.setAttribute("data-state", state.period ? "error" : "empty");
      plot.textContent = "";
      var p = document.createElement("p");
      p.className = state.period ? "render-error" : "empty-note";
      p.setAttribute("role", "alert");
      p.textContent = state.period ? "This chart could not be drawn: " + err.message : "No data: " + err.message;
      plot.appendChild(p);
      if (window.console) console.error(err);
    }
  }
  function init() {
    var m = D.meta;
    document.getElementById("meta").textContent = "Source: " + m.source + " · config " + m.config +
      " · KPIs computed " + (m.computedAt || "never") + " · amounts in " + m.currency;
    document.getElementById("foot").textContent = "Generated by crm-kpi on " + m.generatedAt +
      ". Ratios are shown as %, money in " + m.currency + ", NPS from −100 to 100. Attainment: 100 % = on target; " +
      "for sales-cycle length, CAC and churn (lower is better) it is target ÷ actual. Hover a bar, point or cell for details.";
    document.getElementById("f-type").addEventListener("change", function (e) {
      var keys = D.periods[e.target.value] || [];
      pick(e.target.value, keys[keys.length - 1], state.team); toHash(); render(); });
    document.getElementById("f-period").addEventListener("change", function (e) {
      pick(state.type, e.target.value, state.team); toHash(); render(); });
    document.getElementById("f-team").addEventListener("change", function (e) {
      pick(state.type, state.period, e.target.value); toHash(); render(); });
    window.addEventListener("hashchange", function () { fromHash(); render(); });
    fromHash();
    render();
  }
  init();
})();
