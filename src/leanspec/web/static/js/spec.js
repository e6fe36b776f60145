// The spec page: rendered markdown with sub-spec tabs, metadata editors, content
// editor, clickable checklist. Every write sends the hash this page last saw; a 409
// shows a conflict banner instead of overwriting someone else's change.
import { ApiError, get, ref, request } from "./api.js";
import { append, clear, fmtDate, h, relTime, specNumber, STATUS_LABEL, statusBadge, tagChips, toast } from "./util.js";

export async function mount(view, { app, ref: specRef, params }) {
  const state = {
    spec: null,
    tab: params.get("file") || null, // null = README
    file: null, // sub-spec file data
    editing: false,
    draft: "",
    base: null, // hash the editor started from
    conflict: null, // {message, current}
    staleWhileEditing: false,
    names: [],
    saving: false,
  };
  const root = h("div", { class: "spec-page" });
  view.append(root);

  async function loadNames() {
    try {
      const res = await get("/specs?archived=true");
      state.names = res.specs.map((s) => ({ name: s.name, title: s.title, status: s.status }));
    } catch { state.names = []; }
  }

  async function load() {
    const res = await get(`/specs/${ref(specRef)}`);
    state.spec = res.spec;
    if (state.tab) {
      try { state.file = await get(`/specs/${ref(state.spec.name)}/files/${encodeURIComponent(state.tab)}`); }
      catch (err) { state.tab = null; state.file = null; toast(err.message, "error"); }
    }
  }

  function currentHash() { return state.tab ? state.file.content_hash : state.spec.content_hash; }

  function handleWriteError(err, what) {
    if (err instanceof ApiError && err.code === "conflict") {
      state.conflict = { message: `Your ${what} was not saved: this spec changed on disk after you opened it.`, current: err.body.current || null };
      render();
      return;
    }
    toast(err.message + (err.hint ? ` — ${err.hint}` : ""), "error", 6500);
  }

  // Writes from this page run one after another, each with the hash the previous one
  // produced, so quick successive edits never conflict with themselves.
  let queue = Promise.resolve();
  function patch(body, what) {
    queue = queue.then(() => doPatch(body, what));
    return queue;
  }

  async function doPatch(body, what) {
    if (app.readonly || state.conflict) return;
    state.saving = true;
    try {
      const res = await request("PATCH", `/specs/${ref(state.spec.name)}`, { body, ifMatch: state.spec.content_hash });
      state.spec.content_hash = res.content_hash;
      await load();
      render();
      toast(`Saved ${what}`, "ok", 1800);
    } catch (err) {
      handleWriteError(err, what);
      if (!(err instanceof ApiError && err.code === "conflict")) render();
    } finally {
      state.saving = false;
    }
  }

  // ------------------------------------------------------------ editors
  function chipsEditor(values, { placeholder, onAdd, onRemove, link, list, missing }) {
    const input = h("input", { placeholder, list: list || null, "aria-label": placeholder, disabled: app.readonly });
    const add = () => {
      const v = input.value.trim().replace(/,$/, "");
      if (v) onAdd(v);
      input.value = "";
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === ",") { ev.preventDefault(); add(); }
      else if (ev.key === "Backspace" && !input.value && values.length) onRemove(values[values.length - 1]);
    });
    input.addEventListener("change", () => { if (list && input.value.trim()) add(); });
    return h("div", { class: "chips" },
      values.map((v) => h("span", { class: `chip${missing && missing(v) ? " missing" : ""}`, dataset: { value: v }, title: missing && missing(v) ? "no such spec in this project" : null },
        link ? h("a", { href: link(v) }, v) : v,
        app.readonly ? null : h("button", { type: "button", title: `Remove ${v}`, "aria-label": `Remove ${v}`, onclick: () => onRemove(v) }, "×"))),
      app.readonly ? null : input);
  }

  function shortName(n) { return n.replace(/^(\d+)-.*/, "$1"); }

  function properties(s) {
    const status = h("select", { class: "select", id: "edit-status", disabled: app.readonly, onchange: (ev) => patch({ status: ev.target.value }, "status") },
      app.info.statuses.map((st) => h("option", { value: st, selected: st === s.status }, STATUS_LABEL[st] || st)));
    const prio = h("select", { class: "select", id: "edit-priority", disabled: app.readonly, onchange: (ev) => patch({ priority: ev.target.value }, "priority") },
      s.priority ? null : h("option", { value: "", selected: true }, "—"),
      app.info.priorities.map((p) => h("option", { value: p, selected: p === s.priority }, p)));
    const assignee = h("input", { class: "input", id: "edit-assignee", value: s.assignee || "", placeholder: "Unassigned", disabled: app.readonly });
    const saveAssignee = () => { if (assignee.value.trim() !== (s.assignee || "")) patch({ assignee: assignee.value.trim() }, "assignee"); };
    assignee.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); saveAssignee(); } });
    assignee.addEventListener("blur", saveAssignee);
    const parent = h("input", { class: "input", id: "edit-parent", value: s.parent || "", placeholder: "No parent", list: "spec-names", disabled: app.readonly });
    const saveParent = () => { if (parent.value.trim() !== (s.parent || "")) patch({ parent: parent.value.trim() || null }, "parent"); };
    parent.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); saveParent(); } });
    parent.addEventListener("change", saveParent);
    const datalist = h("datalist", { id: "spec-names" }, state.names.filter((n) => n.name !== s.name).map((n) => h("option", { value: n.name }, n.title)));
    return h("div", { class: "panel", id: "properties" }, h("h3", {}, "Properties"), datalist,
      h("div", { class: "field" }, h("label", { for: "edit-status" }, "Status"), status),
      h("div", { class: "field" }, h("label", { for: "edit-priority" }, "Priority"), prio),
      h("div", { class: "field", id: "edit-tags" }, h("label", {}, "Tags"), chipsEditor(s.tags, {
        placeholder: "Add tag…",
        onAdd: (t) => { if (!s.tags.includes(t)) patch({ tags: [...s.tags, t] }, "tags"); },
        onRemove: (t) => patch({ tags: s.tags.filter((x) => x !== t) }, "tags"),
      })),
      h("div", { class: "field" }, h("label", { for: "edit-assignee" }, "Assignee"), assignee),
      h("div", { class: "field", id: "edit-deps" }, h("label", {}, "Depends on"), chipsEditor(s.depends_on, {
        placeholder: "Add dependency…",
        list: "spec-names",
        link: (d) => app.href(`/specs/${encodeURIComponent(d)}`),
        missing: (d) => state.names.length > 0 && !state.names.some((n) => n.name === d),
        onAdd: (d) => patch({ depends_on: [...s.depends_on, d] }, "dependencies"),
        onRemove: (d) => patch({ depends_on: s.depends_on.filter((x) => x !== d) }, "dependencies"),
      })),
      h("div", { class: "field" }, h("label", { for: "edit-parent" }, "Parent"), parent),
    );
  }

  function relItem(c) {
    return h("li", {}, h("span", { class: `dot status st-${c.status}` }), h("span", { class: "num" }, c.number != null ? `#${c.number}` : ""),
      h("a", { href: app.href(`/specs/${encodeURIComponent(c.name)}`) }, c.title));
  }

  function relationships(s) {
    const r = s.relationships;
    const groups = [["Depends on", r.depends_on], ["Required by", r.required_by], ["Parent", r.parent ? [r.parent] : []], ["Children", r.children]]
      .filter(([, list]) => list.length)
      .map(([label, list]) => h("div", { class: "rel-group" }, h("div", {}, label), h("ul", { class: "rel-list" }, list.map(relItem))));
    return h("div", { class: "panel" }, h("h3", {}, "Relationships"),
      groups.length ? groups : h("div", { class: "muted" }, "No dependencies or hierarchy."),
      h("div", { style: { marginTop: "10px" } }, h("a", { href: app.href(`/graph/${encodeURIComponent(s.name)}`) }, "Open in dependency graph →")));
  }

  function details(s) {
    const rows = [
      ["Created", s.created_at ? `${fmtDate(s.created_at)}` : fmtDate(s.created)],
      ["Updated", s.updated_at ? relTime(s.updated_at) : null],
      ["Completed", s.completed_at ? fmtDate(s.completed_at) : null],
      ["Due", s.due],
      ["Tasks", s.checklist.total ? `${s.checklist.done} of ${s.checklist.total} done` : null],
      ["File", s.path],
      ...Object.entries(s.fields || {}).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]),
    ].filter(([, v]) => v);
    return h("div", { class: "panel" }, h("h3", {}, "Details"), h("dl", { class: "kv" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      app.readonly || s.archived ? null : h("div", { style: { marginTop: "12px" } },
        h("button", { class: "btn small danger", type: "button", onclick: archive }, "Archive spec")));
  }

  async function archive() {
    if (!confirm(`Archive ${state.spec.name}?`)) return;
    try {
      await request("POST", `/specs/${ref(state.spec.name)}/archive`, { ifMatch: state.spec.content_hash });
      toast(`Archived ${state.spec.name}`, "ok");
      await load();
      render();
    } catch (err) { handleWriteError(err, "archive"); }
  }

  // ------------------------------------------------------------- document
  function tabs(s) {
    const docs = s.files.filter((f) => f.type === "document");
    const btn = (name, label) => h("button", { type: "button", class: (state.tab || null) === name ? "active" : "", onclick: () => switchTab(name) }, label);
    return h("div", { class: "tabs", role: "tablist" }, btn(null, "README"), docs.filter((f) => f.name !== "README.md").map((f) => btn(f.name, f.name.replace(/\.md$/i, ""))),
      h("span", { class: "spacer" }),
      app.readonly || state.editing ? null : h("button", { type: "button", id: "edit-content", onclick: startEdit }, "✎ Edit"));
  }

  async function switchTab(name) {
    if (state.editing && !confirm("Discard your unsaved edits?")) return;
    state.editing = false;
    state.conflict = null;
    state.tab = name;
    const p = new URLSearchParams(location.search);
    if (name) p.set("file", name); else p.delete("file");
    history.replaceState({}, "", location.pathname + (p.toString() ? `?${p}` : ""));
    await load();
    render();
  }

  function startEdit() {
    state.editing = true;
    state.draft = state.tab ? state.file.content : state.spec.content;
    state.base = currentHash();
    state.staleWhileEditing = false;
    render();
    const ta = root.querySelector("textarea.editor");
    if (ta) ta.focus();
  }

  async function saveEdit() {
    const ta = root.querySelector("textarea.editor");
    state.draft = ta.value;
    state.saving = true;
    try {
      if (state.tab) await request("PUT", `/specs/${ref(state.spec.name)}/files/${encodeURIComponent(state.tab)}`, { body: { content: state.draft }, ifMatch: state.base });
      else await request("PUT", `/specs/${ref(state.spec.name)}/content`, { body: { content: state.draft }, ifMatch: state.base });
      state.editing = false;
      state.conflict = null;
      await load();
      render();
      toast("Saved", "ok", 1800);
    } catch (err) {
      handleWriteError(err, "edit");
    } finally { state.saving = false; }
  }

  async function toggleCheck(ev) {
    const box = ev.target;
    if (!box.matches("input.task-list-item-checkbox")) return;
    ev.preventDefault();
    if (app.readonly || state.tab) return;
    const li = box.closest("li[data-line]");
    if (!li) return;
    const checked = !box.hasAttribute("checked");
    try {
      await request("POST", `/specs/${ref(state.spec.name)}/checklist`, { body: { line: Number(li.dataset.line), checked }, ifMatch: state.spec.content_hash });
      await load();
      render();
    } catch (err) { handleWriteError(err, "checklist change"); }
  }

  function doc(s) {
    const html = state.tab ? state.file.html : s.html;
    const box = h("div", { class: "doc" });
    if (state.editing) {
      const ta = h("textarea", { class: "editor", spellcheck: "false", "aria-label": "Content" });
      ta.value = state.draft;
      ta.addEventListener("input", () => { state.draft = ta.value; });
      ta.addEventListener("keydown", (ev) => { if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") { ev.preventDefault(); saveEdit(); } });
      box.append(ta, h("div", { class: "doc-actions" },
        h("span", { class: "muted", style: { marginRight: "auto", fontSize: "12px" } }, state.tab ? `Editing ${state.tab}` : "Editing the body (frontmatter is edited on the right). Ctrl/⌘-S saves."),
        h("button", { class: "btn", type: "button", onclick: () => { state.editing = false; state.conflict = null; render(); } }, "Cancel"),
        h("button", { class: "btn primary", type: "button", id: "save-content", onclick: saveEdit }, "Save")));
    } else if (html !== null && html !== undefined) {
      const md = h("article", { class: "markdown" });
      md.innerHTML = html; // server-rendered, raw HTML disabled
      const first = md.firstElementChild;
      if (!state.tab && first && first.tagName === "H1" && first.textContent.trim() === s.title.trim()) first.remove(); // already the page title
      md.addEventListener("click", toggleCheck);
      box.append(md);
    } else {
      box.append(h("pre", { class: "markdown" }, state.file.content));
    }
    return box;
  }

  function banner() {
    const out = [];
    if (state.conflict) {
      out.push(h("div", { class: "banner conflict", role: "alert", id: "conflict" },
        h("div", { class: "grow" }, h("strong", {}, "Conflict — nothing was overwritten"), state.conflict.message,
          state.editing ? " Your text is still in the editor; copy it before loading the latest version." : ""),
        h("button", { class: "btn small", type: "button", onclick: async () => { state.conflict = null; state.editing = false; await load(); render(); } }, "Load latest version"),
        h("button", { class: "btn small", type: "button", onclick: () => { state.conflict = null; render(); } }, "Dismiss")));
    } else if (state.staleWhileEditing) {
      out.push(h("div", { class: "banner info", id: "stale" }, h("div", { class: "grow" }, "This spec changed on disk while you were editing. Saving will report a conflict.")));
    }
    return out;
  }

  function render() {
    const s = state.spec;
    const winScroll = window.scrollY;
    clear(root);
    append(root, [
      banner(),
      h("div", { class: "spec-layout" },
        h("div", {},
          h("div", { class: "spec-head" },
            h("div", { class: "crumbs" }, h("a", { href: app.href("/specs") }, "Specs"), "/", h("span", { class: "num" }, s.name)),
            h("h1", { id: "spec-title" }, s.title),
            h("div", { class: "line" }, statusBadge(s.status),
              s.priority ? h("span", { class: `badge prio pr-${s.priority}` }, s.priority) : null,
              tagChips(s.tags, 8), s.assignee ? h("span", {}, `· ${s.assignee}`) : null,
              s.checklist.total ? h("span", {}, `· ${s.checklist.done}/${s.checklist.total} tasks`) : null)),
          tabs(s),
          doc(s)),
        h("aside", { class: "side" }, properties(s), relationships(s), details(s)))]);
    window.scrollTo(0, winScroll);
    root.dataset.hash = s.content_hash;
  }

  await Promise.all([load(), loadNames()]);
  render();
  return {
    get title() { return state.spec ? `${specNumber(state.spec) ? "#" + specNumber(state.spec) + " " : ""}${state.spec.title}` : "Spec"; },
    refresh: async () => {
      if (state.saving) return;
      try {
        if (state.editing) {
          const res = await get(`/specs/${ref(state.spec.name)}`);
          const latest = state.tab ? (await get(`/specs/${ref(state.spec.name)}/files/${encodeURIComponent(state.tab)}`)).content_hash : res.spec.content_hash;
          if (latest !== state.base && !state.staleWhileEditing) { state.staleWhileEditing = true; render(); }
          return;
        }
        const before = currentHash() + JSON.stringify(state.spec.relationships);
        await load();
        await loadNames();
        if (currentHash() + JSON.stringify(state.spec.relationships) !== before) render();
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) { state.conflict = null; toast(`${specRef} no longer exists (renamed, archived or deleted).`, "error"); }
      }
    },
  };
}
