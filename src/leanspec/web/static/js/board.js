// The board: one column per status; drag a card to another column to change its
// status (PATCH with If-Match, so a card moved from a stale board gets a conflict).
import { ApiError, get, ref, request } from "./api.js";
import { avatar, clear, debounce, h, prioIcon, PRIO_RANK, specNumber, STATUS_LABEL, tagChips, toast } from "./util.js";

export async function mount(view, { app, params }) {
  const state = {
    q: params.get("q") || "",
    priority: params.get("priority") || "",
    tag: params.get("tag") || "",
    assignee: params.get("assignee") || "",
    archived: params.get("archived") === "1",
    data: null,
    dragging: null,
    busy: false,
  };
  const count = h("span", { class: "sub" });
  const search = h("input", { class: "input", type: "search", placeholder: "Filter cards…", value: state.q, "aria-label": "Filter" });
  const prio = h("select", { class: "select", "aria-label": "Priority" });
  const tag = h("select", { class: "select", "aria-label": "Tag" });
  const who = h("select", { class: "select", "aria-label": "Assignee" });
  const arch = h("input", { type: "checkbox", id: "show-archived", checked: state.archived });
  const board = h("div", { class: "board", id: "board" });
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, "Board"), count,
      h("div", { class: "toolbar" }, search, prio, tag, who, h("label", { class: "check" }, arch, "Archived"))),
    board,
  );

  function options(sel, label, values, current) {
    clear(sel);
    sel.append(h("option", { value: "" }, label));
    for (const v of values) sel.append(h("option", { value: v, selected: v === current }, v));
  }

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    if (state.priority) p.set("priority", state.priority);
    if (state.tag) p.set("tag", state.tag);
    if (state.assignee) p.set("assignee", state.assignee);
    if (state.archived) p.set("archived", "1");
    const qs = p.toString();
    history.replaceState({}, "", location.pathname + (qs ? `?${qs}` : ""));
  }

  function visible(s) {
    if (state.priority && s.priority !== state.priority) return false;
    if (state.tag && !s.tags.includes(state.tag)) return false;
    if (state.assignee && (s.assignee || "") !== state.assignee) return false;
    if (state.q) {
      const q = state.q.toLowerCase();
      const hay = `${s.title} ${s.name} ${s.tags.join(" ")} ${s.assignee || ""}`.toLowerCase();
      if (!q.split(/\s+/).every((w) => hay.includes(w))) return false;
    }
    return true;
  }

  function card(s) {
    const { done, total } = s.checklist;
    const el = h("a", {
      class: `card st-${s.status}`,
      href: app.href(`/specs/${encodeURIComponent(s.name)}`),
      draggable: app.readonly ? "false" : "true",
      dataset: { name: s.name, hash: s.content_hash, status: s.status },
    },
      h("div", { class: "card-top" }, h("span", { class: "num" }, specNumber(s) ? `#${specNumber(s)}` : s.name), prioIcon(s.priority)),
      h("div", { class: "card-title" }, s.title),
      h("div", { class: "card-meta" }, tagChips(s.tags, 3), avatar(s.assignee)),
      total ? [h("div", { class: "progress" }, h("i", { style: { width: `${Math.round((100 * done) / total)}%` } })),
        h("div", { class: "progress-label" }, `${done}/${total} tasks`)] : null,
    );
    el.addEventListener("dragstart", (ev) => {
      state.dragging = s;
      ev.dataTransfer.effectAllowed = "move";
      ev.dataTransfer.setData("text/plain", s.name);
      requestAnimationFrame(() => el.classList.add("dragging"));
    });
    el.addEventListener("dragend", () => {
      el.classList.remove("dragging");
      state.dragging = null;
      for (const c of board.querySelectorAll(".drop-target")) c.classList.remove("drop-target");
    });
    return el;
  }

  function column(group) {
    const specs = group.specs.filter(visible).sort((a, b) => (PRIO_RANK[b.priority] || 0) - (PRIO_RANK[a.priority] || 0) || (a.number ?? 1e9) - (b.number ?? 1e9));
    const body = h("div", { class: "column-body" }, specs.length ? specs.map(card) : h("div", { class: "muted", style: { padding: "10px 4px", fontSize: "13px" } }, "No specs"));
    const col = h("section", { class: `column st-${group.name}`, dataset: { status: group.name }, "aria-label": STATUS_LABEL[group.name] || group.name },
      h("div", { class: "column-head" }, h("span", { class: "dot status" }), STATUS_LABEL[group.name] || group.name, h("span", { class: "count" }, String(specs.length))),
      body);
    if (!app.readonly) {
      col.addEventListener("dragover", (ev) => {
        if (!state.dragging) return;
        ev.preventDefault();
        ev.dataTransfer.dropEffect = "move";
        col.classList.add("drop-target");
      });
      col.addEventListener("dragleave", (ev) => { if (!col.contains(ev.relatedTarget)) col.classList.remove("drop-target"); });
      col.addEventListener("drop", (ev) => {
        ev.preventDefault();
        col.classList.remove("drop-target");
        const s = state.dragging;
        if (s && s.status !== group.name) move(s, group.name, body);
      });
    }
    return col;
  }

  async function move(s, status, body) {
    const el = board.querySelector(`.card[data-name="${CSS.escape(s.name)}"]`);
    if (el) { body.prepend(el); el.className = `card st-${status}`; }
    state.busy = true;
    try {
      await request("PATCH", `/specs/${ref(s.name)}`, { body: { status }, ifMatch: s.content_hash });
      toast(`#${specNumber(s) || s.name} → ${STATUS_LABEL[status] || status}`, "ok", 2200);
    } catch (err) {
      if (err instanceof ApiError && err.code === "conflict") toast(`${s.title} changed on disk since the board loaded; nothing was written. The board now shows the latest version.`, "error", 6000);
      else toast(err.message + (err.hint ? ` (${err.hint})` : ""), "error", 6000);
    } finally {
      state.busy = false;
      await load();
    }
  }

  function render() {
    const d = state.data;
    const all = d.groups.flatMap((g) => g.specs);
    options(prio, "Any priority", ["critical", "high", "medium", "low"], state.priority);
    options(tag, "Any tag", [...new Set(all.flatMap((s) => s.tags))].sort(), state.tag);
    options(who, "Anyone", [...new Set(all.map((s) => s.assignee).filter(Boolean))].sort(), state.assignee);
    const scroll = [...board.querySelectorAll(".column-body")].map((b) => b.scrollTop);
    clear(board);
    for (const g of d.groups) board.append(column(g));
    [...board.querySelectorAll(".column-body")].forEach((b, i) => { b.scrollTop = scroll[i] || 0; });
    const shown = board.querySelectorAll(".card").length;
    count.textContent = `${shown} spec${shown === 1 ? "" : "s"}${state.archived ? "" : " · archived hidden"}`;
  }

  async function load() {
    state.data = await get(`/board${state.archived ? "?archived=true" : ""}`);
    if (!state.dragging) render();
  }

  search.addEventListener("input", debounce(() => { state.q = search.value.trim(); syncUrl(); render(); }, 80));
  prio.addEventListener("change", () => { state.priority = prio.value; syncUrl(); render(); });
  tag.addEventListener("change", () => { state.tag = tag.value; syncUrl(); render(); });
  who.addEventListener("change", () => { state.assignee = who.value; syncUrl(); render(); });
  arch.addEventListener("change", () => { state.archived = arch.checked; syncUrl(); load(); });

  await load();
  return {
    title: "Board",
    refresh: () => { if (!state.busy && !state.dragging) load().catch(() => {}); },
  };
}
