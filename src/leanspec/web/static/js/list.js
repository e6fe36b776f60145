// The spec list: filters (status, priority, tag, archived), full-text search through
// the server's query syntax, sortable columns.
import { get } from "./api.js";
import { avatar, clear, debounce, fmtDate, h, prioBadge, PRIO_RANK, specNumber, statusBadge, tagChips } from "./util.js";

const COLS = [
  ["number", "#"], ["title", "Title"], ["status", "Status"], ["priority", "Priority"],
  ["tags", "Tags"], ["assignee", "Assignee"], ["created", "Created"], ["updated_at", "Updated"], ["checklist", "Tasks"],
];
const STATUS_ORDER = { draft: 0, planned: 1, "in-progress": 2, complete: 3, archived: 4 };

export async function mount(view, { app, params }) {
  const state = {
    q: params.get("q") || "",
    status: params.get("status") || "",
    priority: params.get("priority") || "",
    tag: params.get("tag") || "",
    archived: params.get("archived") === "1",
    sort: params.get("sort") || "number",
    desc: params.get("order") === "desc",
    specs: [],
    error: null,
  };
  const count = h("span", { class: "sub" });
  const search = h("input", { class: "input", type: "search", placeholder: "Search (tag:api, \"phrase\", -word)…", value: state.q, "aria-label": "Search", style: { minWidth: "260px" } });
  const status = h("select", { class: "select", "aria-label": "Status" },
    h("option", { value: "" }, "Any status"), ["draft", "planned", "in-progress", "complete", "archived"].map((s) => h("option", { value: s, selected: s === state.status }, s)));
  const prio = h("select", { class: "select", "aria-label": "Priority" },
    h("option", { value: "" }, "Any priority"), ["critical", "high", "medium", "low"].map((p) => h("option", { value: p, selected: p === state.priority }, p)));
  const tag = h("select", { class: "select", "aria-label": "Tag" });
  const arch = h("input", { type: "checkbox", checked: state.archived });
  const table = h("div", { class: "table-wrap" });
  view.append(h("div", { class: "page-head" }, h("h1", {}, "Specs"), count,
    h("div", { class: "toolbar" }, search, status, prio, tag, h("label", { class: "check" }, arch, "Archived"))), table);

  function syncUrl() {
    const p = new URLSearchParams();
    for (const k of ["q", "status", "priority", "tag"]) if (state[k]) p.set(k, state[k]);
    if (state.archived) p.set("archived", "1");
    if (state.sort !== "number") p.set("sort", state.sort);
    if (state.desc) p.set("order", "desc");
    const qs = p.toString();
    history.replaceState({}, "", location.pathname + (qs ? `?${qs}` : ""));
  }

  function key(s) {
    switch (state.sort) {
      case "number": return s.number ?? 1e9;
      case "status": return STATUS_ORDER[s.status] ?? 9;
      case "priority": return -(PRIO_RANK[s.priority] || 0);
      case "tags": return s.tags.join(",");
      case "checklist": return s.checklist.total ? s.checklist.done / s.checklist.total : -1;
      case "updated_at": return s.updated_at || s.created_at || s.created || "";
      default: return (s[state.sort] || "").toString().toLowerCase();
    }
  }

  function render() {
    const rows = state.specs.filter((s) => !state.tag || s.tags.includes(state.tag));
    rows.sort((a, b) => { const x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (state.desc ? -1 : 1); });
    count.textContent = state.error ? state.error : `${rows.length} spec${rows.length === 1 ? "" : "s"}`;
    clear(table);
    if (!rows.length) { table.append(h("div", { class: "empty" }, state.error || "No specs match")); return; }
    const head = h("tr", {}, COLS.map(([k, label]) => h("th", {
      class: k === state.sort ? "sorted" : "",
      onclick: () => { if (state.sort === k) state.desc = !state.desc; else { state.sort = k; state.desc = false; } syncUrl(); render(); },
    }, label, k === state.sort ? (state.desc ? " ↓" : " ↑") : "")));
    const body = h("tbody", {}, rows.map((s) => h("tr", { onclick: (ev) => { if (!ev.target.closest("a")) app.navigate(`/specs/${encodeURIComponent(s.name)}`); } },
      h("td", { class: "num" }, specNumber(s)),
      h("td", { class: "title" }, h("a", { href: app.href(`/specs/${encodeURIComponent(s.name)}`) }, s.title)),
      h("td", {}, statusBadge(s.status)),
      h("td", {}, prioBadge(s.priority)),
      h("td", {}, h("div", { class: "tags" }, tagChips(s.tags, 4))),
      h("td", {}, s.assignee ? h("span", { style: { display: "inline-flex", gap: "6px", alignItems: "center" } }, avatar(s.assignee), s.assignee) : h("span", { class: "muted" }, "—")),
      h("td", { class: "muted date" }, fmtDate(s.created)),
      h("td", { class: "muted date" }, fmtDate(s.updated_at)),
      h("td", { class: "muted" }, s.checklist.total ? `${s.checklist.done}/${s.checklist.total}` : "—"),
    )));
    table.append(h("table", { class: "specs" }, h("thead", {}, head), body));
  }

  async function load() {
    const p = new URLSearchParams();
    if (state.status) p.set("status", state.status);
    if (state.priority) p.set("priority", state.priority);
    if (state.archived || state.status === "archived") p.set("archived", "true");
    if (state.q) p.set("q", state.q);
    try {
      const res = await get(`/specs?${p}`);
      state.specs = res.specs;
      state.error = null;
      const tags = [...new Set(res.specs.flatMap((s) => s.tags))].sort();
      clear(tag);
      tag.append(h("option", { value: "" }, "Any tag"), tags.map((t) => h("option", { value: t, selected: t === state.tag }, t)));
    } catch (err) {
      state.specs = [];
      state.error = err.message;
    }
    render();
  }

  search.addEventListener("input", debounce(() => { state.q = search.value.trim(); syncUrl(); load(); }, 200));
  status.addEventListener("change", () => { state.status = status.value; syncUrl(); load(); });
  prio.addEventListener("change", () => { state.priority = prio.value; syncUrl(); load(); });
  tag.addEventListener("change", () => { state.tag = tag.value; syncUrl(); render(); });
  arch.addEventListener("change", () => { state.archived = arch.checked; syncUrl(); load(); });
  await load();
  return { title: "Specs", refresh: () => load() };
}
