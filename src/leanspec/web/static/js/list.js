// The spec list: multi-select filters (status, priority, tag — unknown values listed
// as written), full-text search through the server's query syntax, sortable columns,
// the first rows with "show more" (thousands of specs stay fast), and the specs that
// could not be read. Rows show the claim holder (⚑), ⊘ when blocked (open
// dependencies in the title), and the token count and validation result (from
// /api/badges, fetched after the table has drawn); "Ready" / "Blocked" / "Claimed"
// filter with the server's own readiness (GET /api/specs: ready, blocked, leases).
import { get } from "./api.js";
import { t } from "./i18n.js";
import {
  avatar, blockedMark, clear, debounce, errText, fmtDate, h, holderBadge, liveLease, multiSelect, prioBadge, prioLabel, PRIO_RANK, problemsBadge,
  specNumber, statusBadge, statusLabel, tagChips, tokenBadge, validBadge,
} from "./util.js";

const COLS = [
  ["number", "#"], ["title", "Title"], ["status", "Status"], ["priority", "Priority"],
  ["tags", "Tags"], ["assignee", "Assignee"], ["created", "Created"], ["updated_at", "Updated"], ["checklist", "Tasks"], ["tokens", "Tokens"],
];
const SHOW = ["", "ready", "blocked", "claimed"];
const STATUS_ORDER = { draft: 0, planned: 1, "in-progress": 2, complete: 3, archived: 4 };
const PAGE = 100;
const list = (v) => (v ? v.split(",").map((x) => x.trim()).filter(Boolean) : []);

export async function mount(view, { app, params }) {
  const state = {
    q: params.get("q") || "",
    status: list(params.get("status")),
    priority: list(params.get("priority")),
    tag: list(params.get("tag")),
    archived: params.get("archived") === "1",
    show: SHOW.includes(params.get("show")) ? params.get("show") : "",
    ready: [],
    blocked: {},
    leases: {},
    badges: new Map(),
    sort: params.get("sort") || "number",
    desc: params.get("order") === "desc",
    specs: [],
    problems: [],
    error: null,
    limit: PAGE,
    dead: false,
  };
  const count = h("span", { class: "sub", id: "list-count" });
  const search = h("input", { class: "input grow-input", type: "search", placeholder: t("Search (tag:api, \"phrase\", -word)…"), value: state.q, "aria-label": t("Search"), "data-filter": "1" });
  const status = multiSelect(t("Status"), { id: "f-status", format: statusLabel, onChange: (v) => { state.status = v; changed(); } });
  const prio = multiSelect(t("Priority"), { id: "f-priority", format: prioLabel, onChange: (v) => { state.priority = v; changed(); } });
  const tag = multiSelect(t("Tag"), { id: "f-tag", onChange: (v) => { state.tag = v; changed(); } });
  const arch = h("input", { type: "checkbox", checked: state.archived, id: "list-archived" });
  const show = h("select", { class: "select", id: "f-show", "aria-label": t("Readiness") },
    SHOW.map((v) => h("option", { value: v, selected: v === state.show }, t({ "": "All specs", ready: "Ready", blocked: "Blocked", claimed: "Claimed" }[v]))));
  show.addEventListener("change", () => { state.show = show.value; changed(); });
  const probSlot = h("span", {});
  const probPanel = h("div", {});
  const table = h("div", { class: "table-wrap" });
  const more = h("div", { class: "list-more" });
  view.append(h("div", { class: "page-head" }, h("h1", {}, t("Specs")), count, probSlot,
    h("div", { class: "toolbar" }, search, show, status.el, prio.el, tag.el, h("label", { class: "check" }, arch, t("Archived")))), probPanel, table, more);

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    for (const k of ["status", "priority", "tag"]) if (state[k].length) p.set(k, state[k].join(","));
    if (state.show) p.set("show", state.show);
    if (state.archived) p.set("archived", "1");
    if (state.sort !== "number") p.set("sort", state.sort);
    if (state.desc) p.set("order", "desc");
    const qs = p.toString();
    history.replaceState(history.state, "", location.pathname + (qs ? `?${qs}` : ""));
  }
  function changed() { state.limit = PAGE; syncUrl(); render(); }

  function key(s) {
    switch (state.sort) {
      case "number": return s.number ?? 1e9;
      case "status": return STATUS_ORDER[s.status] ?? 9;
      case "priority": return -(PRIO_RANK[s.priority] || 0);
      case "tags": return s.tags.join(",");
      case "checklist": return s.checklist.total ? s.checklist.done / s.checklist.total : -1;
      case "tokens": { const b = state.badges.get(s.name); return b ? b.tokens : -1; }
      case "updated_at": return s.updated_at || s.created_at || s.created || "";
      default: return (s[state.sort] || "").toString().toLowerCase();
    }
  }

  function visible(s) {
    if (state.show === "ready" && !state.readySet.has(s.name)) return false;
    if (state.show === "blocked" && !state.blocked[s.name]) return false;
    if (state.show === "claimed" && !liveLease(state.leases[s.name])) return false;
    const st = s.archived ? "archived" : s.status;
    if (state.status.length ? !state.status.includes(st) : (!state.archived && st === "archived")) return false;
    if (state.priority.length && !state.priority.includes(s.priority || "")) return false;
    if (state.tag.length && !state.tag.some((x) => s.tags.includes(x))) return false;
    return true;
  }

  function row(s) {
    const url = app.href(`/specs/${encodeURIComponent(s.name)}`);
    return h("tr", { dataset: { name: s.name }, onclick: (ev) => { if (!ev.target.closest("a")) app.navigate(`/specs/${encodeURIComponent(s.name)}`); } },
      h("td", { class: "num" }, specNumber(s)),
      h("td", { class: "title" }, h("a", { href: url }, s.title), blockedMark(state.blocked[s.name]), holderBadge(state.leases[s.name])),
      h("td", {}, statusBadge(s.archived ? "archived" : s.status)),
      h("td", {}, prioBadge(s.priority)),
      h("td", {}, h("div", { class: "tags" }, tagChips(s.tags, 4))),
      h("td", {}, s.assignee ? h("span", { class: "who" }, avatar(s.assignee), s.assignee) : h("span", { class: "muted" }, "—")),
      h("td", { class: "muted date" }, fmtDate(s.created)),
      h("td", { class: "muted date" }, fmtDate(s.updated_at)),
      h("td", { class: "muted" }, s.checklist.total ? `${s.checklist.done}/${s.checklist.total}` : "—"),
      h("td", { class: "checks" }, tokenBadge(state.badges.get(s.name)), validBadge(state.badges.get(s.name))));
  }

  function render() {
    if (state.dead) return;
    const rows = state.specs.filter(visible);
    if (state.show === "ready" && state.sort === "number" && !state.desc) {
      // the claim order: what `claim` takes first comes first
      const at = new Map(state.ready.map((n, i) => [n, i]));
      rows.sort((a, b) => at.get(a.name) - at.get(b.name));
    } else rows.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (state.desc ? -1 : 1); });
    count.textContent = state.error ? state.error : rows.length === 1 ? t("1 spec") : t("{n} specs", { n: rows.length });
    clear(table);
    clear(more);
    if (!rows.length) { table.append(h("div", { class: "empty" }, state.error || t("No specs match"))); return; }
    const head = h("tr", {}, COLS.map(([k, label]) => h("th", {
      class: k === state.sort ? "sorted" : "", tabindex: "0", "aria-sort": k === state.sort ? (state.desc ? "descending" : "ascending") : null,
      onclick: () => { if (state.sort === k) state.desc = !state.desc; else { state.sort = k; state.desc = false; } syncUrl(); render(); },
      onkeydown: (ev) => { if (ev.key === "Enter") ev.target.click(); },
    }, t(label), k === state.sort ? (state.desc ? " ↓" : " ↑") : "")));
    table.append(h("table", { class: "specs" }, h("thead", {}, head), h("tbody", {}, rows.slice(0, state.limit).map(row))));
    if (rows.length > state.limit) {
      more.append(h("span", { class: "muted" }, t("Showing {shown} of {total}", { shown: state.limit, total: rows.length })),
        h("button", { class: "btn small", type: "button", id: "list-more", onclick: () => { state.limit += PAGE * 5; render(); } }, t("Show {n} more", { n: Math.min(PAGE * 5, rows.length - state.limit) })));
    }
  }

  async function load() {
    const p = new URLSearchParams();
    p.set("archived", "true");
    if (state.q) p.set("q", state.q);
    try {
      const res = await get(`/specs?${p}`);
      if (state.dead) return;
      state.specs = res.specs;
      state.ready = res.ready || [];
      state.readySet = new Set(state.ready);
      state.blocked = res.blocked || {};
      state.leases = res.leases || {};
      state.error = null;
      const probSig = JSON.stringify(res.problems || []);
      if (probSig !== state.probSig) {
        state.probSig = probSig;
        clear(probSlot); clear(probPanel);
        const pb = problemsBadge(res.problems);
        if (pb) { probSlot.append(pb.btn); probPanel.append(pb.panel); }
      }
      const sts = new Set(["draft", "planned", "in-progress", "complete", "archived"]);
      for (const s of res.specs) sts.add(s.archived ? "archived" : s.status);
      status.set([...sts], state.status);
      prio.set([...new Set(["critical", "high", "medium", "low", ...res.specs.map((s) => s.priority).filter(Boolean)])], state.priority);
      tag.set([...new Set(res.specs.flatMap((s) => s.tags))].sort(), state.tag);
    } catch (err) {
      state.specs = [];
      state.error = errText(err);
    }
    render();
  }

  // All badges after the first draw; after a live change only the changed specs'.
  async function loadBadges(paths = []) {
    let qs = "";
    if (paths.length) {
      const dirs = (s) => s.path.split("/").slice(0, -1).join("/") + "/";
      const names = state.specs.filter((s) => paths.some((p) => p.startsWith(dirs(s)))).map((s) => s.name);
      if (!names.length || names.length > 150) return;
      qs = "?" + names.map((n) => `spec=${encodeURIComponent(n)}`).join("&");
    }
    try {
      const res = await get(`/badges${qs}`);
      if (state.dead) return;
      if (!qs) state.badges = new Map();
      for (const [n, b] of Object.entries(res.specs)) state.badges.set(n, b);
      render();
    } catch { /* optional */ }
  }

  search.addEventListener("input", debounce(() => { state.q = search.value.trim(); state.limit = PAGE; syncUrl(); load(); }, 200));
  arch.addEventListener("change", () => { state.archived = arch.checked; changed(); });
  state.readySet = new Set();
  await load();
  performance.mark("list-ready");
  loadBadges();
  return { title: t("Specs"), refresh: async (paths = []) => { try { await load(); } catch { return; } loadBadges(paths); }, unmount() { state.dead = true; } };
}
