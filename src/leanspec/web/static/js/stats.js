// Stats: KPIs and small hand-drawn SVG charts (status donut, priority bars,
// created-vs-completed burn-up, cycle time per spec, top tags, insights).
import { get } from "./api.js";
import { t } from "./i18n.js";
import { append, clear, h, prioLabel, problemsBadge, STATUS_LABEL } from "./util.js";

function svg(tag, attrs, ...kids) { return h(`svg:${tag}`, attrs, ...kids); }
function cssVar(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
function fmtDays(d) { return d === null || d === undefined ? "—" : d < 1 ? `${Math.round(d * 24)} h` : `${d.toFixed(d < 10 ? 1 : 0)} d`; }

function donut(entries, centerLabel) {
  const total = entries.reduce((a, e) => a + e.value, 0);
  const R = 64, r = 42, C = 80;
  const root = svg("svg", { width: 160, height: 160, viewBox: "0 0 160 160", role: "img", "aria-label": t("Status distribution") });
  let a0 = -Math.PI / 2;
  if (!total) root.append(svg("circle", { cx: C, cy: C, r: (R + r) / 2, stroke: cssVar("--border"), "stroke-width": R - r }));
  for (const e of entries) {
    if (!e.value) continue;
    const a1 = a0 + (2 * Math.PI * e.value) / total;
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const p = (rad, ang) => `${C + rad * Math.cos(ang)},${C + rad * Math.sin(ang)}`;
    const d = e.value === total
      ? `M${C - R},${C} a${R},${R} 0 1,0 ${2 * R},0 a${R},${R} 0 1,0 ${-2 * R},0 M${C - r},${C} a${r},${r} 0 1,1 ${2 * r},0 a${r},${r} 0 1,1 ${-2 * r},0`
      : `M${p(R, a0)} A${R},${R} 0 ${large} 1 ${p(R, a1)} L${p(r, a1)} A${r},${r} 0 ${large} 0 ${p(r, a0)} Z`;
    root.append(svg("path", { d, fill: e.color, stroke: cssVar("--panel"), "stroke-width": 2, "fill-rule": "evenodd" }, svg("title", {}, `${e.label}: ${e.value}`)));
    a0 = a1;
  }
  root.append(svg("text", { x: C, y: C - 2, "text-anchor": "middle", class: "val", style: { fontSize: "22px" } }, String(total)),
    svg("text", { x: C, y: C + 16, "text-anchor": "middle" }, centerLabel || t("specs")));
  return h("div", { class: "donut-wrap" }, root, h("div", { class: "donut-legend" },
    entries.map((e) => h("div", {}, h("span", { class: "dot", style: { background: e.color } }), e.label, h("b", {}, String(e.value))))));
}

function hbars(entries, { width = 420, color } = {}) {
  width = Math.max(300, width);
  const max = niceMax(Math.max(0, ...entries.map((e) => e.value)));
  const rowH = 28, labelW = 120, height = entries.length * rowH + 6;
  const root = svg("svg", { width: "100%", height, viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMinYMin meet" });
  entries.forEach((e, i) => {
    const y = i * rowH + 4;
    const w = ((width - labelW - 40) * e.value) / max;
    root.append(svg("text", { x: 0, y: y + 14 }, e.label),
      svg("rect", { x: labelW, y: y + 2, width: width - labelW - 40, height: 16, rx: 4, fill: cssVar("--bg-3") }),
      svg("rect", { class: "bar", x: labelW, y: y + 2, width: Math.max(e.value ? 3 : 0, w), height: 16, rx: 4, fill: e.color || color }),
      svg("text", { x: labelW + w + 6, y: y + 14, class: "val" }, String(e.value)));
  });
  return root;
}

function burnup(series, unit, width) {
  const height = 230, L = 36, R = 12, T = 12, B = 28;
  let c = 0, d = 0;
  const pts = series.map((p) => ({ date: p.date, created: (c += p.created), completed: (d += p.completed), nc: p.created, nd: p.completed }));
  const max = niceMax(Math.max(1, c));
  const x = (i) => L + ((width - L - R) * i) / Math.max(1, pts.length - 1);
  const y = (v) => T + (height - T - B) * (1 - v / max);
  const root = svg("svg", { width: "100%", height, viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMinYMin meet", role: "img", "aria-label": t("Created vs completed") });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    root.append(svg("line", { x1: L, x2: width - R, y1: y(v), y2: y(v), class: "grid" }), svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, String(Math.round(v))));
  }
  const bw = Math.max(2, Math.min(14, (width - L - R) / Math.max(1, pts.length) / 2.6));
  pts.forEach((p, i) => {
    if (p.nc) root.append(svg("rect", { x: x(i) - bw, y: y(p.nc), width: bw, height: y(0) - y(p.nc), fill: cssVar("--st-planned"), opacity: 0.35 }, svg("title", {}, t("{date}: {n} created", { date: p.date, n: p.nc }))));
    if (p.nd) root.append(svg("rect", { x: x(i), y: y(p.nd), width: bw, height: y(0) - y(p.nd), fill: cssVar("--st-complete"), opacity: 0.35 }, svg("title", {}, t("{date}: {n} completed", { date: p.date, n: p.nd }))));
  });
  const line = (key, color) => {
    const d = pts.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ");
    root.append(svg("path", { d: `${d} L${x(pts.length - 1)},${y(0)} L${x(0)},${y(0)} Z`, fill: color, opacity: 0.08, stroke: "none" }));
    root.append(svg("path", { d, stroke: color, "stroke-width": 2.4, fill: "none" }));
  };
  line("created", cssVar("--st-planned"));
  line("completed", cssVar("--st-complete"));
  const ticks = Math.min(pts.length, 8);
  for (let k = 0; k < ticks; k++) {
    const i = Math.round((k * (pts.length - 1)) / Math.max(1, ticks - 1));
    const label = unit === "month" ? pts[i].date : pts[i].date.slice(5);
    root.append(svg("text", { x: x(i), y: height - 8, "text-anchor": k === 0 ? "start" : k === ticks - 1 ? "end" : "middle" }, label));
  }
  return root;
}

function cycleBars(items, median, width) {
  const height = 220, L = 36, R = 12, T = 12, B = 28;
  const max = niceMax(Math.max(1, ...items.map((i) => i.days)));
  const y = (v) => T + (height - T - B) * (1 - v / max);
  const root = svg("svg", { width: "100%", height, viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMinYMin meet", role: "img", "aria-label": t("Cycle time") });
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    root.append(svg("line", { x1: L, x2: width - R, y1: y(v), y2: y(v), class: "grid" }), svg("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, `${Math.round(v)}d`));
  }
  const slot = (width - L - R) / Math.max(1, items.length);
  const bw = Math.max(2, Math.min(28, slot * 0.7));
  items.forEach((it, i) => {
    const bx = L + i * slot + (slot - bw) / 2;
    root.append(svg("rect", { class: "bar", x: bx, y: y(it.days), width: bw, height: Math.max(1, y(0) - y(it.days)), rx: 3, fill: cssVar("--accent") },
      svg("title", {}, t("#{num} {title}: {days} (completed {date})", { num: it.number ?? "", title: it.title, days: fmtDays(it.days), date: it.completed }))));
    if (items.length <= 24) root.append(svg("text", { x: bx + bw / 2, y: height - 8, "text-anchor": "middle" }, it.number != null ? `#${it.number}` : ""));
  });
  if (median !== null && median !== undefined) {
    root.append(svg("line", { x1: L, x2: width - R, y1: y(median), y2: y(median), stroke: cssVar("--pr-high"), "stroke-dasharray": "5 4", "stroke-width": 1.5 }),
      svg("text", { x: width - R, y: y(median) - 5, "text-anchor": "end", style: { fill: cssVar("--pr-high") } }, t("median {d}", { d: fmtDays(median) })));
  }
  return root;
}

export async function mount(view, { app }) {
  const root = h("div", {});
  view.append(root);
  let data = null;

  function kpi(label, value, hint) { return h("div", { class: "kpi" }, h("div", { class: "label" }, label), h("div", { class: "value" }, value), hint ? h("div", { class: "hint" }, hint) : null); }

  function render() {
    const s = data;
    const o = s.overview, v = s.velocity;
    clear(root);
    const trend = { up: t("↑ trending up"), down: t("↓ trending down"), stable: t("→ stable") }[v.throughput.trend] || "";
    const other = s.other_values || { status: {}, priority: {} };
    const otherStatus = Object.entries(other.status);
    const otherCount = otherStatus.reduce((a, [, n]) => a + n, 0);
    const pb = problemsBadge(s.problems);
    append(root, [
      h("div", { class: "page-head" }, h("h1", {}, t("Stats")), h("span", { class: "sub" }, t("{total} specs · {archived} archived (not counted)", o)), pb ? pb.btn : null),
      pb ? pb.panel : null,
      h("div", { class: "kpis" },
        kpi(t("Total"), String(o.total), t("{n} active", { n: o.active })),
        kpi(t("In progress"), String(o.in_progress), t("WIP avg {n}", { n: v.wip.average ?? 0 })),
        kpi(t("Complete"), String(o.complete), t("{n}% completion", { n: o.completion_rate })),
        kpi(t("Cycle time (median)"), fmtDays(v.cycle_time.median_days), t("p90 {p} · {n} specs", { p: fmtDays(v.cycle_time.p90_days), n: v.cycle_time.samples })),
        kpi(t("Throughput"), t("{n}/wk", { n: v.throughput.per_week }), trend),
        kpi(t("Planned"), String(o.planned - otherCount), o.draft ? t("{n} draft", { n: o.draft }) : t("ready to start")),
        otherCount ? kpi(t("Other status"), String(otherCount), otherStatus.map(([k, n]) => `${k}: ${n}`).join(", ")) : null),
    ]);
    const statuses = ["draft", "planned", "in-progress", "complete"];
    const tl = s.timeline;
    const section = (id, title, wide) => h("section", { class: `chart${wide ? " wide" : ""}`, id }, h("h3", {}, title));
    const cStatus = section("chart-status", t("Status (archived not counted)"));
    const cPrio = section("chart-priority", t("Priority (archived excluded)"));
    const cTime = section("chart-timeline", tl.unit === "month" ? t("Created vs completed (last {n} months, cumulative)", { n: tl.months }) : t("Created vs completed (last {n} days, cumulative)", { n: tl.days }), true);
    const cCycle = section("chart-cycle", t("Cycle time (created → completed), by completion date"), true);
    const cTags = section("chart-tags", t("Top tags"));
    const cIns = section("chart-insights", t("Needs attention"));
    root.append(h("div", { class: "charts" }, cStatus, cPrio, cTime, cCycle, cTags, cIns));
    // Charts are drawn at their real pixel width (measured once in the page), so text is never stretched.
    const w = (el) => Math.max(280, el.clientWidth - 34);
    // The donut counts what "Total" counts: archived specs are listed apart, and a
    // status LeanSpec does not know (counted as planned by the core) gets its own slice.
    const slices = statuses.filter((st) => st !== "draft" || s.by_status.draft)
      .map((st) => ({ label: STATUS_LABEL[st], value: (s.by_status[st] || 0) - (st === "planned" ? otherCount : 0), color: cssVar(`--st-${st}`) }));
    for (const [k, n] of otherStatus) slices.push({ label: `${k} (${t("unknown")})`, value: n, color: cssVar("--st-other") });
    cStatus.append(donut(slices), h("div", { class: "muted", style: { fontSize: "12px", marginTop: "6px" } }, t("Archived: {n} (not in the total)", { n: o.archived })));
    const otherPrio = Object.entries(other.priority);
    const otherPrioCount = otherPrio.reduce((a, [, n]) => a + n, 0);
    const prios = ["critical", "high", "medium", "low"].map((p) => ({ label: prioLabel(p), value: s.by_priority[p] || 0, color: cssVar(`--pr-${p}`) }));
    for (const [k, n] of otherPrio) prios.push({ label: `${k} (${t("unknown")})`, value: n, color: cssVar("--st-other") });
    const none = (s.by_priority.none || 0) - otherPrioCount;
    if (none) prios.push({ label: t("none"), value: none, color: cssVar("--muted") });
    cPrio.append(hbars(prios, { width: w(cPrio) }));
    cTime.append(burnup(tl.series, tl.unit, w(cTime)),
      h("div", { class: "legend" }, h("span", {}, h("span", { class: "dot", style: { background: cssVar("--st-planned") } }), t("created {n}", { n: tl.totals.created })),
        h("span", {}, h("span", { class: "dot", style: { background: cssVar("--st-complete") } }), t("completed {n}", { n: tl.totals.completed }))));
    cCycle.append(s.cycle_times.length ? cycleBars(s.cycle_times.slice(-60), v.cycle_time.median_days, w(cCycle)) : h("div", { class: "muted" }, t("No completed specs with timestamps yet.")));
    cTags.append(s.by_tag.length ? hbars(s.by_tag.slice(0, 8).map((t) => ({ label: t.tag, value: t.count })), { color: cssVar("--accent"), width: w(cTags) }) : h("div", { class: "muted" }, t("No tags.")));
    cIns.append(s.insights.length ? h("div", { class: "insights" }, s.insights.map((i) => h("div", { class: `insight ${i.severity}` },
      h("div", {}, h("strong", {}, i.message), h("div", {}, i.specs.slice(0, 6).map((sp, k) => [k ? ", " : "", h("a", { href: app.href(`/specs/${encodeURIComponent(sp.name)}`) }, `#${sp.number ?? sp.name}`)])))))) : h("div", { class: "muted" }, t("Nothing overdue, stale or waiting.")));
  }

  async function load() {
    data = await get("/stats");
    render();
  }
  await load();
  return { title: t("Stats"), refresh: () => load().catch(() => {}), themeChanged: render };
}
