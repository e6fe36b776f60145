// The board: one column per status (an unknown status, say "blocked", gets its own
// column, as written), or per parent (umbrella), priority or assignee. Drag a card to
// another status column to change its status (PATCH with If-Match, so a card moved
// from a stale board gets a conflict). Built for thousands of specs: compact cards
// from the server, the first PAGE cards per column with "show more", cards reused
// across refreshes (a live change redraws only the cards whose version changed), and
// the text filter debounced over precomputed text. A live change fetches only the
// changed specs' cards (/api/board/cards, with their dependents, whose "blocked" mark
// may flip) and patches them in; token and validation badges come from /api/badges
// after the board has drawn. Cards show the claim holder (⚑) and ⊘ when blocked.
import { ApiError, get, ref, request, session } from "./api.js";
import { t } from "./i18n.js";
import {
  avatar, blockedMark, clear, confirmDialog, debounce, draftDialog, errText, h, holderBadge, knownStatus, liveLease, multiSelect, prioIcon, prioLabel, PRIO_RANK,
  problemsBadge, specNumber, statusLabel, tagChips, toast, tokenBadge, validBadge,
} from "./util.js";

const PAGE = 40;
const STATUS_COLS = ["draft", "planned", "in-progress", "complete"];
const GROUPS = ["status", "parent", "priority", "assignee"];

const list = (v) => (v ? v.split(",").map((x) => x.trim()).filter(Boolean) : []);

export async function mount(view, { app, params }) {
  const state = {
    q: params.get("q") || "",
    priority: list(params.get("priority")),
    tag: list(params.get("tag")),
    assignee: list(params.get("assignee")),
    archived: params.get("archived") === "1",
    group: GROUPS.includes(params.get("group")) ? params.get("group") : "status",
    specs: [],
    byName: new Map(),
    problems: [],
    dragging: null,
    busy: false,
    dead: false,
    limit: new Map(), // column -> cards shown
    badges: new Map(), // name -> {tokens, errors, warnings, issues}
  };
  const cards = new Map(); // name -> {hash, el}
  const columns = new Map(); // column key -> {col, body, count, more}
  const count = h("span", { class: "sub", id: "board-count" });
  const search = h("input", { class: "input", type: "search", placeholder: t("Filter cards…"), value: state.q, "aria-label": t("Filter"), "data-filter": "1" });
  const prio = multiSelect(t("Priority"), { id: "f-priority", format: prioLabel, onChange: (v) => { state.priority = v; changed(); } });
  const tag = multiSelect(t("Tag"), { id: "f-tag", onChange: (v) => { state.tag = v; changed(); } });
  const who = multiSelect(t("Assignee"), { id: "f-assignee", onChange: (v) => { state.assignee = v; changed(); } });
  const group = h("select", { class: "select", id: "group-by", "aria-label": t("Group by") },
    GROUPS.map((g) => h("option", { value: g, selected: g === state.group }, t({ status: "By status", parent: "By parent", priority: "By priority", assignee: "By assignee" }[g]))));
  const arch = h("input", { type: "checkbox", id: "show-archived", checked: state.archived });
  const probSlot = h("span", {});
  const probPanel = h("div", {});
  const board = h("div", { class: "board", id: "board" });
  view.append(
    h("div", { class: "page-head" }, h("h1", {}, t("Board")), count, probSlot,
      h("div", { class: "toolbar" }, search, prio.el, tag.el, who.el, group, h("label", { class: "check" }, arch, t("Archived")))),
    probPanel,
    board,
  );

  function syncUrl() {
    const p = new URLSearchParams();
    if (state.q) p.set("q", state.q);
    for (const k of ["priority", "tag", "assignee"]) if (state[k].length) p.set(k, state[k].join(","));
    if (state.group !== "status") p.set("group", state.group);
    if (state.archived) p.set("archived", "1");
    const qs = p.toString();
    history.replaceState(history.state, "", location.pathname + (qs ? `?${qs}` : ""));
  }

  function changed() { syncUrl(); state.limit.clear(); render(); }

  function visible(s) {
    if (state.priority.length && !state.priority.includes(s.priority || "")) return false;
    if (state.tag.length && !state.tag.some((x) => s.tags.includes(x))) return false;
    if (state.assignee.length && !state.assignee.includes(s.assignee || "")) return false;
    if (state.q) {
      const words = state.q.toLowerCase().split(/\s+/);
      if (!words.every((w) => s._hay.includes(w))) return false;
    }
    return true;
  }

  function colKey(s) {
    if (s.archived || s.status === "archived") return "archived";
    switch (state.group) {
      case "parent": return s.parent || "";
      case "priority": return s.priority || "";
      case "assignee": return s.assignee || "";
      default: return s.status;
    }
  }

  function colLabel(key) {
    if (key === "archived") return statusLabel("archived");
    switch (state.group) {
      case "parent": {
        if (!key) return t("No parent");
        const p = state.byName.get(key);
        return p ? `${specNumber(p) ? "#" + specNumber(p) + " " : ""}${p.title}` : key;
      }
      case "priority": return key ? prioLabel(key) : t("No priority");
      case "assignee": return key || t("Unassigned");
      default: return statusLabel(key);
    }
  }

  function columnKeys(specs) {
    const used = new Set(specs.map(colKey));
    let keys;
    if (state.group === "status") {
      keys = STATUS_COLS.filter((k) => k !== "draft" || used.has("draft"));
      keys.push(...[...used].filter((k) => k !== "archived" && !knownStatus(k)).sort());
    } else if (state.group === "priority") {
      keys = ["critical", "high", "medium", "low"].filter((k) => used.has(k));
      keys.push(...[...used].filter((k) => k && k !== "archived" && !(k in PRIO_RANK)).sort());
      if (used.has("")) keys.push("");
    } else if (state.group === "parent") {
      keys = [...used].filter((k) => k && k !== "archived").sort((a, b) => ((state.byName.get(a) || {}).number ?? 1e9) - ((state.byName.get(b) || {}).number ?? 1e9));
      if (used.has("")) keys.push("");
    } else {
      keys = [...used].filter((k) => k && k !== "archived").sort((a, b) => a.localeCompare(b));
      if (used.has("")) keys.push("");
    }
    if (state.archived) keys.push("archived");
    return keys;
  }

  function cardSig(s) {
    const b = state.badges.get(s.name);
    const lease = liveLease(s.lease) ? `${s.lease.holder}@${s.lease.expires_at}` : "";
    const blocked = s.blocked ? (s.open_dependencies || []).map((d) => `${d.name}:${d.status}`).join(",") : "";
    return `${s.content_hash}|${s._kids}|${lease}|${blocked}|${b ? `${b.tokens}/${b.errors}/${b.warnings}` : ""}`;
  }

  function card(s) {
    const kept = cards.get(s.name);
    const sig = cardSig(s);
    if (kept && kept.sig === sig) return kept.el;
    const { done, total } = s.checklist;
    const b = state.badges.get(s.name);
    const el = h("a", {
      class: `card st-${knownStatus(s.status) ? s.status : "other"}`,
      href: app.href(`/specs/${encodeURIComponent(s.name)}`),
      draggable: app.readonly ? "false" : "true",
      dataset: { name: s.name, hash: s.content_hash, status: s.status },
    },
      h("div", { class: "card-top" }, h("span", { class: "num" }, specNumber(s) ? `#${specNumber(s)}` : s.name),
        s._kids ? h("span", { class: "badge umbrella", title: t("Umbrella: {n} child specs", { n: s._kids }) }, `☂ ${s._kids}`) : null,
        !knownStatus(s.status) && !s.archived ? h("span", { class: "badge status st-other" }, s.status) : null,
        s.blocked ? blockedMark(s.open_dependencies) : null,
        holderBadge(s.lease),
        prioIcon(s.priority)),
      h("div", { class: "card-title" }, s.title),
      h("div", { class: "card-meta" }, tagChips(s.tags, 3), avatar(s.assignee)),
      total ? [h("div", { class: "progress" }, h("i", { style: { width: `${Math.round((100 * done) / total)}%` } })),
        h("div", { class: "progress-label" }, t("{done}/{total} tasks", { done, total }))] : null,
      b ? h("div", { class: "card-badges" }, tokenBadge(b), validBadge(b)) : null,
    );
    if (kept && kept.el.parentNode) kept.el.replaceWith(el); // a patched card keeps its place until the column re-sorts
    cards.set(s.name, { sig, el });
    return el;
  }

  // Drag and drop, delegated: one set of listeners for every card and column.
  board.addEventListener("dragstart", (ev) => {
    const el = ev.target.closest(".card");
    if (!el || app.readonly || state.group !== "status") { if (state.group !== "status") ev.preventDefault(); return; }
    state.dragging = state.byName.get(el.dataset.name);
    ev.dataTransfer.effectAllowed = "move";
    ev.dataTransfer.setData("text/plain", el.dataset.name);
    requestAnimationFrame(() => el.classList.add("dragging"));
  });
  board.addEventListener("dragend", (ev) => {
    const el = ev.target.closest(".card");
    if (el) el.classList.remove("dragging");
    state.dragging = null;
    for (const c of board.querySelectorAll(".drop-target")) c.classList.remove("drop-target");
    if (state.stale) { state.stale = false; refresh(); }
  });
  board.addEventListener("dragover", (ev) => {
    const col = ev.target.closest(".column");
    if (!state.dragging || !col || !knownStatus(col.dataset.status) || col.dataset.status === "archived") return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = "move";
    col.classList.add("drop-target");
  });
  board.addEventListener("dragleave", (ev) => {
    const col = ev.target.closest(".column");
    if (col && !col.contains(ev.relatedTarget)) col.classList.remove("drop-target");
  });
  board.addEventListener("drop", (ev) => {
    const col = ev.target.closest(".column");
    if (!col || !state.dragging) return;
    ev.preventDefault();
    col.classList.remove("drop-target");
    const s = state.dragging;
    if (s.status !== col.dataset.status) move(s, col.dataset.status);
  });

  async function move(s, status, force = false) {
    const el = cards.get(s.name) && cards.get(s.name).el;
    const target = columns.get(status);
    if (el && target) { target.body.prepend(el); el.className = `card st-${status}`; }
    state.busy = true;
    try {
      await request("PATCH", `/specs/${ref(s.name)}`, { body: force ? { status, force: true } : { status }, ifMatch: s.content_hash });
      toast(`#${specNumber(s) || s.name} → ${statusLabel(status)}`, "ok", 2200);
    } catch (err) {
      if (err instanceof ApiError && err.code === "conflict") toast(t("{title} changed on disk since the board loaded; nothing was written. The board now shows the latest version.", { title: s.title }), "error", 6000);
      else if (err instanceof ApiError && err.code === "draft_transition" && !force) {
        state.busy = false;
        const how = await draftDialog(err);
        if (how === "skip") return move(s, status, true);
        if (how === "planned-first") {
          try {
            const res = await request("PATCH", `/specs/${ref(s.name)}`, { body: { status: "planned" }, ifMatch: s.content_hash });
            return move({ ...s, status: "planned", content_hash: res.spec.content_hash.slice(0, 16) }, status);
          } catch (e) { toast(errText(e), "error", 6000); }
        }
      } else if (err instanceof ApiError && err.code === "completion_blocked" && !force) {
        state.busy = false;
        if (await confirmDialog(err.message, { title: t("Complete anyway?"), ok: t("Complete anyway") })) return move(s, status, true);
      } else toast(errText(err), "error", 6000);
    } finally {
      state.busy = false;
      // The server may be gone (stopped, network down): the board keeps what it shows.
      await patch([], [s.name]).catch(() => load()).catch(() => {});
    }
  }

  function showMore(key) {
    state.limit.set(key, (state.limit.get(key) || PAGE) + PAGE * 5);
    render();
  }

  function render() {
    if (state.dead) return;
    const shown = state.specs.filter(visible);
    const keys = columnKeys(state.specs.filter((s) => state.archived || !(s.archived || s.status === "archived")));
    const byCol = new Map(keys.map((k) => [k, []]));
    for (const s of shown) { const c = byCol.get(colKey(s)); if (c) c.push(s); }
    // (Re)build the columns only when the set of columns changed.
    const sig = `${state.group}\n${keys.join("\n")}`;
    if (board.dataset.sig !== sig) {
      clear(board);
      columns.clear();
      for (const k of keys) {
        const body = h("div", { class: "column-body" });
        const cnt = h("span", { class: "count" });
        const more = h("button", { type: "button", class: "btn small more", onclick: () => showMore(k) });
        const known = state.group !== "status" || knownStatus(k);
        const col = h("section", { class: `column st-${state.group === "status" ? (known ? k : "other") : "group"}`, dataset: { status: state.group === "status" ? k : "", key: k }, "aria-label": colLabel(k) },
          h("div", { class: "column-head" }, h("span", { class: "dot status" }), h("span", { class: "col-title", title: colLabel(k) }, colLabel(k)),
            state.group === "status" && !known ? h("span", { class: "muted unknown-note", title: t("Not a status LeanSpec knows; shown as written") }, t("(unknown)")) : null, cnt),
          body, more);
        columns.set(k, { col, body, cnt, more });
        board.append(col);
      }
      board.dataset.sig = sig;
    }
    let total = 0;
    for (const [k, specs] of byCol) {
      specs.sort((a, b) => (PRIO_RANK[b.priority] || 0) - (PRIO_RANK[a.priority] || 0) || (a.number ?? 1e9) - (b.number ?? 1e9));
      const c = columns.get(k);
      const lim = state.limit.get(k) || PAGE;
      const els = specs.slice(0, lim).map(card);
      if (!els.length) els.push(h("div", { class: "muted empty-col" }, t("No specs")));
      // Only touch a column whose cards changed (same elements in the same order: skip).
      const kids = c.body.children;
      let same = kids.length === els.length;
      for (let i = 0; same && i < els.length; i++) same = kids[i] === els[i];
      if (!same) c.body.replaceChildren(...els);
      c.cnt.textContent = String(specs.length);
      c.more.hidden = specs.length <= lim;
      c.more.textContent = t("Show {n} more", { n: Math.min(PAGE * 5, specs.length - lim) });
      total += specs.length;
    }
    count.textContent = `${total === 1 ? t("1 spec") : t("{n} specs", { n: total })}${state.archived ? "" : " · " + t("archived hidden")}`;
  }

  function options() {
    prio.set([...new Set(["critical", "high", "medium", "low", ...state.specs.map((s) => s.priority).filter(Boolean)])], state.priority);
    tag.set([...new Set(state.specs.flatMap((s) => s.tags))].sort(), state.tag);
    who.set([...new Set(state.specs.map((s) => s.assignee).filter(Boolean))].sort(), state.assignee);
  }

  async function load() {
    const pre = app.prefetched;
    app.prefetched = null;
    const fresh = () => get(`/board?compact=true&archived=${state.archived ? "true" : "false"}`);
    const usable = pre && pre.archived === state.archived && (pre.pid === null ? !session.multi || session.project === app.info.default_project : pre.pid === session.project);
    const data = usable ? await pre.data.catch(fresh) : await fresh();
    if (state.dead) return;
    const specs = data.groups.flatMap((g) => g.specs);
    const seen = new Set();
    state.specs = specs.filter((s) => !seen.has(s.name) && seen.add(s.name));
    for (const s of state.specs) prep(s);
    indexed();
    showProblems(data.problems);
    options();
    if (!state.dragging) render();
    if (!state.badgesAsked) { state.badgesAsked = true; loadBadges([]); }
  }

  function prep(s) {
    // compact cards leave empty fields out
    s.tags = s.tags || [];
    s.checklist = Array.isArray(s.checklist) ? { done: s.checklist[0], total: s.checklist[1] } : s.checklist || { done: 0, total: 0 };
    s.priority = s.priority || null;
    s.assignee = s.assignee || null;
    s.parent = s.parent || null;
    s.archived = !!s.archived;
    s._hay = `${s.title} ${s.name} ${s.tags.join(" ")} ${s.assignee || ""} ${s.status} ${s.priority || ""}`.toLowerCase();
    return s;
  }

  function indexed() {
    state.byName = new Map(state.specs.map((s) => [s.name, s]));
    const kids = new Map();
    for (const s of state.specs) if (s.parent) kids.set(s.parent, (kids.get(s.parent) || 0) + 1);
    for (const s of state.specs) s._kids = kids.get(s.name) || 0;
    for (const name of [...cards.keys()]) if (!state.byName.has(name)) cards.delete(name);
  }

  // Token and validation badges: all of them once (after the first draw), then only
  // for the cards a live change touched.
  async function loadBadges(names) {
    try {
      const qs = names.map((n) => `spec=${encodeURIComponent(n)}`).join("&");
      const res = await get(`/badges${qs ? `?${qs}` : ""}`);
      if (state.dead) return;
      for (const [n, b] of Object.entries(res.specs)) state.badges.set(n, b);
      if (!state.dragging) render();
    } catch { /* badges are optional */ }
  }

  // A live change: fetch the changed specs' cards (and their dependents'), patch them in.
  async function patch(paths, names = []) {
    const qs = [...paths.map((p) => `path=${encodeURIComponent(p)}`), ...names.map((n) => `spec=${encodeURIComponent(n)}`)].join("&");
    const res = await get(`/board/cards?${qs}`);
    if (state.dead) return;
    const gone = new Set(res.removed);
    const fresh = new Map();
    for (const c of res.cards) {
      if (c.archived && !state.archived) gone.add(c.name);
      else fresh.set(c.name, prep(c));
    }
    const next = [];
    for (const s of state.specs) {
      if (gone.has(s.name)) continue;
      const f = fresh.get(s.name);
      if (f) { next.push(f); fresh.delete(s.name); } else next.push(s);
    }
    next.push(...fresh.values()); // new specs
    for (const s of next) s.lease = res.leases[s.name] || undefined; // claims change without a file change too
    state.specs = next;
    indexed();
    if (res.problems) showProblems(res.problems);
    options();
    if (!state.dragging) render();
    const touched = res.cards.map((c) => c.name);
    if (touched.length) loadBadges(touched);
  }

  function showProblems(problems) {
    const probSig = JSON.stringify(problems || []);
    if (probSig !== state.probSig) {
      state.probSig = probSig;
      clear(probSlot); clear(probPanel);
      const pb = problemsBadge(problems);
      if (pb) { probSlot.append(pb.btn); probPanel.append(pb.panel); }
    }
  }

  const refilter = debounce(() => { state.q = search.value.trim(); changed(); }, 120);
  search.addEventListener("input", refilter);
  group.addEventListener("change", () => { state.group = group.value; changed(); });
  arch.addEventListener("change", () => { state.archived = arch.checked; syncUrl(); load().catch((err) => toast(errText(err), "error", 6000)); });

  // paths: the changed files of a live event; [] means "anything may have changed".
  function refresh(paths = []) {
    if (state.dead) return;
    if (state.busy || state.dragging) { state.stale = true; return; }
    const specPaths = paths.filter((p) => p.split("/").length >= 3);
    if (!paths.length || specPaths.length !== paths.length || paths.length > 150) { load().catch(() => {}); return; }
    patch(paths).catch(() => load().catch(() => {}));
  }

  // Claims expire without any file changing: re-check the shown holders now and then.
  const tick = setInterval(() => { if (!state.dragging && state.specs.some((s) => s.lease && !liveLease(s.lease))) render(); }, 30000);

  await load();
  performance.mark("board-ready"); // bench/web_bench.py reads it
  return {
    title: t("Board"),
    refresh,
    unmount() { state.dead = true; clearInterval(tick); },
  };
}
