/* crm-kpi dashboard: the page (filters, tiles, the ten charts) over the inlined payload. */
/* global kpiCharts */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("kpi-data").textContent);
  var CUR = D.meta.currency;
  var TREND = { month: 12, quarter: 8, year: 5 };
  var state = { type: null, period: null, team: "" };

  var C = kpiCharts(CUR, function () { return "No data for " + scopeName() + " in this period"; });
  var COLORS = C.COLORS, COMPACT = C.COMPACT, isNum = C.isNum, fmt = C.fmt, fmtTick = C.fmtTick;
  var pct = C.pct, niceStep = C.niceStep, typeOf = C.typeOf, label = C.label, longLabel = C.longLabel;
  var el = C.el, tip = C.tip, svgRoot = C.svgRoot, empty = C.empty, xyChart = C.xyChart;
  var heatColor = C.heatColor;

  /* ---------- periods and data ---------- */
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
  // The period in progress: "day 6 of 31", and what its figures so far are said with.
  function progressOf() {
    return ((D.progress || {})[state.type] || [])[(D.periods[state.type] || []).indexOf(state.period)] || null;
  }
  function noteOf(kpi) {
    var i = (D.periods[state.type] || []).indexOf(state.period);
    var note = ((((D.notes || {})[scope()] || {})[state.type] || {})[i] || {})[kpi];
    return note ? note[0].toUpperCase() + note.slice(1) + "." : "";
  }

  // Pace: the period in progress against its target pro-rated to the elapsed share.
  function paceText(p) { return isNum(p) ? "pace " + pct(p) : ""; }
  function vsTarget(unit, targets, att, paces) {
    return function (i) {
      var pace = paces && isNum(paces[i]) ? " · " + paceText(paces[i]) : "";
      return isNum(targets[i]) ? " · target " + fmt(unit, targets[i]) + " · " + pct(att[i]) + " of target" + pace : "";
    };
  }
  // What the basis in use means, in a rep's words, for a KPI whose definition the company
  // chooses (churn, closing ratio, growth): "Counted over the opportunities created …".
  function basisOf(kpi) { return D.kpis[kpi].basis || ""; }
  function withBasis(sub, kpis) {
    var notes = kpis.map(function (k) { return basisOf(k) ? D.kpis[k].label + ": " + basisOf(k).replace(/\.$/, "") : ""; })
      .filter(function (n) { return n; });
    return notes.length ? sub + " · " + notes.join("; ") : sub;
  }
  function trendChart(plot, kpis, extra) {
    var win = windowOf(state.type, state.period, TREND[state.type]);
    var unit = D.kpis[kpis[0].kpi].unit, series = [];
    kpis.forEach(function (k) {
      var v = col(win, k.kpi, "v"), t = col(win, k.kpi, "t"), a = col(win, k.kpi, "a"), p = col(win, k.kpi, "p");
      series.push({ kind: k.kind || "line", name: D.kpis[k.kpi].label, values: v, color: k.color,
        tip: vsTarget(unit, t, a, p) });
      if (t.some(isNum)) series.push({ kind: "line", name: D.kpis[k.kpi].label + " target",
        values: t, color: k.targetColor || COLORS.target, dash: "6 4" });
    });
    var o = { keys: win.keys, unit: unit, series: series, highlight: function (i) { return i === win.sel; },
      title: kpis.map(function (k) { return D.kpis[k.kpi].label; }).join(" and ") + " by " + state.type,
      desc: (win.keys.length > 1 ? "Last " + win.keys.length + " " + state.type + "s" : "The " + state.type) + " to " + longLabel(state.period) + ", " + scopeName() };
    for (var key in extra || {}) o[key] = extra[key];
    return { state: xyChart(plot, o), sub: withBasis(o.desc, kpis.map(function (k) { return k.kpi; })) };
  }

  /* ---------- the charts ---------- */
  var CHARTS = {
    revenue: function (plot) {
      var span = state.type === "month" ? [state.period, state.period] : D.spans[state.type][state.period];
      // The current year or quarter ends after the last month with results: stop there.
      var months = D.periods.month.filter(function (m) { return m <= span[1]; });
      var win = windowOf("month", months[months.length - 1], 12);
      var v = col(win, "total_revenue", "v"), t = col(win, "total_revenue", "t"), a = col(win, "total_revenue", "a");
      var p = col(win, "total_revenue", "p");
      var inSpan = function (i) { return win.keys[i] >= span[0] && win.keys[i] <= span[1]; };
      var last = win.keys[win.keys.length - 1];
      // The month in progress is a bar of its days so far: said, so it is not read as a fall.
      var going = last && ((D.progress || {}).month || [])[D.periods.month.indexOf(last)];
      var desc = win.keys.length + " months to " + longLabel(last || span[1]) + ", " + scopeName() + " (" + CUR + ")" +
        (going ? " · " + longLabel(last) + " so far (" + going + ")" : "");
      var st = xyChart(plot, { keys: win.keys, unit: "money", highlight: inSpan, width: 1300, height: 250,
        yLabel: "Revenue (" + CUR + ")", title: "Revenue vs target by month", desc: desc,
        series: [
          { kind: "bar", name: "Revenue", values: v, tip: vsTarget("money", t, a, p),
            color: function (val, i) { return isNum(t[i]) && val < t[i] ? COLORS.brand : COLORS.good; } },
          { kind: "line", name: "Monthly target", values: t, color: COLORS.target, dash: "6 4" }] });
      return { state: st, sub: desc + " · green: at or above target" };
    },
    growth: function (plot) {
      return trendChart(plot, [{ kpi: "sales_growth", kind: "bar",
        color: function (v) { return v < 0 ? COLORS.bad : COLORS.good; } }],
      { yLabel: "Sales growth" });
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

  function heatChart(plot) {
    var i = (D.periods[state.type] || []).indexOf(state.period);
    // The active reps with a figure or a target in this period (never one who left, never
    // an integration user without sales).
    var present = ((D.reps || {})[state.type] || [])[i] || [];
    var owners = present.map(function (n) { return D.owners[n]; })
      .filter(function (o) { return !state.team || o.team === state.team; });
    var cells = (D.heat[state.type] || [])[i] || {};
    var cols = D.heatKpis, cw = 80, ch = 26, M = { l: 170, t: 46, b: 46 };
    var W = M.l + cols.length * cw + 10, H = M.t + Math.max(1, owners.length) * ch + M.b;
    var desc = "Attainment per rep, " + longLabel(state.period) + (state.team ? ", " + state.team : ", all teams") +
      ": 100 % = on target; for cycle length, CAC and churn lower is better and already inverted";
    var svg = svgRoot(plot, W, H, "Attainment by rep and KPI", desc);
    if (!owners.length || !owners.some(function (o) { return cells[o.id]; }))
      return { state: empty(svg, W, H, owners.length ? "No rep has a target for this " + state.type :
        "No rep has figures for this " + state.type), sub: desc };
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
      var v = at(k, "v"), t = at(k, "t"), a = at(k, "a"), p = at(k, "p"), unit = D.kpis[k].unit;
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
      if (isNum(p)) {
        var pace = document.createElement("div");
        pace.className = "pace " + (p >= 1 ? "good" : "bad");
        pace.textContent = paceText(p) + (p >= 1 ? " · on track" : " · behind");
        tile.appendChild(pace);
      }
      if (noteOf(k)) {
        var said = document.createElement("div");
        said.className = "note";
        said.textContent = noteOf(k);
        tile.appendChild(said);
      }
      if (basisOf(k)) {
        var note = document.createElement("div");
        note.className = "basis";
        note.textContent = basisOf(k);
        tile.appendChild(note);
      }
      tile.title = D.kpis[k].label + ": " + fmt(unit, v) + (progressOf() ? " so far" : "") +
        (isNum(t) ? ", target " + fmt(unit, t) + ", " + pct(a) + " of target" : "") +
        (isNum(p) ? ", " + paceText(p) + " (against the target pro-rated to the part of the period gone by)" : "") +
        (noteOf(k) ? ". " + noteOf(k) : "") + (basisOf(k) ? " " + basisOf(k) : "");
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
  function lastMonth(period) {
    var t = typeOf(period);
    return t === "month" ? period : ((D.spans[t] || {})[period] || [])[1];
  }
  // Switching period type keeps the moment in view: Q3 2026 becomes Sep 2026 or 2026.
  function covering(type, period) {
    var month = period && lastMonth(period);
    if (!month || type === "month") return month;
    var spans = D.spans[type] || {};
    return Object.keys(spans).filter(function (k) { return spans[k][0] <= month && month <= spans[k][1]; })[0];
  }
  function fromHash() {
    var h = new URLSearchParams(location.hash.replace(/^#/, "")), period = h.get("period");
    var type = h.get("type") || (period && typeOf(period)) || D.defaults.periodType;
    pick(type, period || covering(type, D.defaults.period), h.get("team") || "");
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
      (state.period ? longLabel(state.period) : "no period") + (state.team ? " (team)" : " (all teams)") +
      (progressOf() ? " · in progress, " + progressOf() + ": figures so far" : "");
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
    var m = D.meta, meta = document.getElementById("meta");
    meta.textContent = "Source: " + m.source + " · KPIs as of " + (m.asOf || "never computed") +
      " · amounts in " + m.currency;
    meta.setAttribute("data-as-of", m.asOf || "");
    if (m.stale) {
      var stale = document.createElement("span");
      stale.className = "stale";
      stale.setAttribute("role", "alert");
      stale.textContent = m.stale;
      meta.appendChild(stale);
    }
    document.getElementById("foot").textContent = "Generated by crm-kpi on " + m.generatedAt + " from " + m.config +
      ". Ratios are shown as %, money in " + m.currency + ", NPS from −100 to 100. Attainment: 100 % = on target; " +
      "for sales-cycle length, CAC and churn (lower is better) it is target ÷ actual. Pace: " +
      (m.paceHelp || "actual against the target pro-rated to the part of the period gone by.") +
      " Hover a bar, point or cell for details.";
    document.getElementById("f-type").addEventListener("change", function (e) {
      pick(e.target.value, covering(e.target.value, state.period), state.team); toHash(); render(); });
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
