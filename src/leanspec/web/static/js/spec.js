// The spec page: rendered markdown with sub-spec tabs, a table of contents, mermaid
// diagrams, metadata editors, the content editor and clickable checklists.
//
// Edits compose, never revert. Every metadata edit is one semantic operation (add a
// tag, remove a tag, set a field, tick an item) put on this page's queue and sent one
// after another; the server applies it to the file as it is *now* (the store's
// UpdateOps, under the project lock), so a quick second edit can never be built from
// stale state. Setting a field sends the version the page showed: when someone else
// changed that same field meanwhile the page shows a conflict and asks; when they
// changed something else the edit is re-applied on the new version by itself. Only
// the body editor replaces a whole value, always with If-Match.
//
// The DOM is built once; refreshes (live changes, write results) update it in place,
// never touching a focused or half-typed field, and never save anything on their own.
import { ApiError, get, ref, request } from "./api.js";
import { t, tn } from "./i18n.js";
import {
  append, blockedMark, clear, confirmDialog, depsText, draftDialog, errText, fmtDate, fmtTime, h, holderBadge, knownPriority, knownStatus, liveLease,
  prioLabel, promptDialog, relTime, specNumber, statusBadge, statusLabel, tagChips, toast,
} from "./util.js";

const TASK_RE = /^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s(.*)$/;
const FIELD_LABEL = { status: "Status", priority: "Priority", assignee: "Assignee", parent: "Parent" };

export function itemAt(text, line) {
  const m = TASK_RE.exec((text || "").split("\n")[line] || "");
  return m ? m[2].trim() : null;
}

function slug(text) {
  return text.toLowerCase().trim().replace(/[^\p{L}\p{N}\s-]/gu, "").replace(/\s+/g, "-").slice(0, 80) || "section";
}

// Edits not yet written, across pages: leaving the app with some asks first.
let inflight = 0;
window.addEventListener("beforeunload", (ev) => { if (inflight > 0) { ev.preventDefault(); ev.returnValue = ""; } });

let mermaidLoading = null;
function loadMermaid() {
  if (!mermaidLoading) {
    mermaidLoading = new Promise((resolve, reject) => {
      if (window.mermaid) return resolve(window.mermaid);
      const s = document.createElement("script");
      s.src = "/static/vendor/mermaid.min.js";
      s.onload = () => (window.mermaid ? resolve(window.mermaid) : reject(new Error("mermaid did not load")));
      s.onerror = () => { mermaidLoading = null; reject(new Error("mermaid could not be loaded")); };
      document.head.append(s);
    });
  }
  return mermaidLoading;
}

// Mermaid's SVG (already sanitised by mermaid's own DOMPurify under securityLevel
// "strict") is parsed as XML and cleaned again: no script, no foreign HTML, no event
// handlers, no javascript: links. It is imported as nodes, never assigned as HTML.
const SVG_DROP = new Set(["script", "foreignobject", "iframe", "object", "embed", "a"]);
function cleanSvg(markup) {
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml");
  const svgEl = doc.documentElement;
  if (!svgEl || svgEl.nodeName.toLowerCase() !== "svg") return null;
  for (const el of [...svgEl.querySelectorAll("*")]) {
    if (SVG_DROP.has(el.nodeName.toLowerCase())) { el.replaceWith(...(el.nodeName.toLowerCase() === "a" ? el.childNodes : [])); continue; }
    for (const a of [...el.attributes]) {
      const n = a.name.toLowerCase();
      if (n.startsWith("on") || ((n === "href" || n === "xlink:href") && !a.value.startsWith("#"))) el.removeAttribute(a.name);
    }
  }
  return document.importNode(svgEl, true);
}

export async function mount(view, { app, ref: specRef, params }) {
  const state = {
    spec: null,
    tab: params.get("file") || null, // null = README
    file: null, // sub-spec file data
    editing: false,
    draft: "",
    base: null, // hash the body editor started from
    conflict: null, // {kind: "content"|"field", ...}
    staleWhileEditing: false,
    names: [],
    dead: false,
    html: null, // the markup the document shows
    tokens: null,
    validation: null,
  };
  const pending = []; // queued operations not answered yet (shown as if done, marked "saving")
  let queue = Promise.resolve();
  let refreshWanted = false;

  // --------------------------------------------------------------- loading
  async function loadNames() {
    // The compact board (kept by the server per listing version) is the cheapest list
    // of every spec's name, number and title, also at thousands of specs.
    try {
      const res = await get("/board?compact=true&archived=true");
      const seen = new Set();
      state.names = res.groups.flatMap((g) => g.specs).filter((s) => !seen.has(s.name) && seen.add(s.name))
        .map((s) => ({ name: s.name, number: s.number, title: s.title, status: s.status }));
    } catch { state.names = []; }
  }

  async function loadFile() {
    if (!state.tab) { state.file = null; return; }
    try { state.file = await get(`/specs/${ref(state.spec.name)}/files/${encodeURIComponent(state.tab)}`); }
    catch (err) { state.tab = null; state.file = null; toast(errText(err), "error"); }
  }

  async function load() {
    const res = await get(`/specs/${ref(specRef)}`);
    state.spec = res.spec;
    specRef = res.spec.name;
    await loadFile();
  }

  function loadBadges() {
    const name = state.spec.name;
    get(`/specs/${ref(name)}/tokens`).then((r) => { state.tokens = r; renderHead(); }).catch(() => {});
    get(`/validate?spec=${encodeURIComponent(name)}`).then((r) => { state.validation = r; renderHead(); }).catch(() => {});
  }

  // ------------------------------------------------------------ the queue
  // What the page shows: the last version from the server with the queued edits on top.
  function shown() {
    const s = state.spec;
    const out = { status: s.status, priority: s.priority || "", assignee: s.assignee || "", parent: s.parent || "",
      tags: [...s.tags], deps: [...s.depends_on], savingTags: new Set(), savingDeps: new Set() };
    for (const op of pending) {
      const b = op.body || {};
      for (const x of b.add_tags || []) { if (!out.tags.includes(x)) out.tags.push(x); out.savingTags.add(x); }
      if (b.remove_tags) out.tags = out.tags.filter((x) => !b.remove_tags.includes(x));
      for (const x of b.add_depends || []) { if (!out.deps.includes(x)) out.deps.push(x); out.savingDeps.add(x); }
      if (b.remove_depends) out.deps = out.deps.filter((x) => !b.remove_depends.includes(x));
      for (const f of ["status", "priority", "assignee", "parent"]) if (f in b) out[f] = b[f] || "";
    }
    return out;
  }

  function enqueue(op) {
    if (app.readonly || state.dead) return;
    pending.push(op);
    inflight++;
    syncProps();
    renderSaving();
    queue = queue.then(() => run(op)).catch((err) => toast(errText(err), "error", 6500)).then(() => {
      pending.splice(pending.indexOf(op), 1);
      inflight--;
      if (state.dead) return;
      syncProps();
      renderSaving();
      if (!pending.length) settle();
    });
    return queue;
  }

  function adopt(spec) {
    // A write result or a conflict's "current": the metadata and body of the file now.
    for (const k of Object.keys(spec)) if (!["html", "files", "relationships"].includes(k)) state.spec[k] = spec[k];
  }

  async function send(op) {
    const name = ref(state.spec.name);
    if (op.kind === "patch") {
      // Setting a field is checked against the version the page showed (field
      // conflicts are detected); adding or removing a tag/dependency never conflicts.
      const res = await request("PATCH", `/specs/${name}`, { body: op.body, ifMatch: op.field && !op.mine ? state.spec.content_hash : "*" });
      adopt(res.spec);
      return;
    }
    if (op.kind === "check") {
      const res = await request("POST", `/specs/${name}/checklist`, { body: { item: op.item, checked: op.checked }, ifMatch: "*" });
      adopt(res.spec);
      return;
    }
    if (op.kind === "filecheck") {
      // A sub-spec file has no item-level write: flip the line in the latest text and
      // write it back with that text's hash; if it moved on, re-read and flip again.
      for (let attempt = 0; attempt < 4; attempt++) {
        const f = attempt === 0 && state.file && state.file.file === op.file ? state.file : await get(`/specs/${name}/files/${encodeURIComponent(op.file)}`);
        const lines = f.content.split("\n");
        let i = op.line;
        if (itemAt(f.content, i) !== op.item) {
          const hits = lines.map((_l, k) => k).filter((k) => itemAt(f.content, k) === op.item);
          if (hits.length !== 1) throw new Error(t("The item “{item}” is no longer in {file}.", { item: op.item, file: op.file }));
          i = hits[0];
        }
        lines[i] = lines[i].replace(/\[([ xX])\]/, op.checked ? "[x]" : "[ ]");
        try {
          const res = await request("PUT", `/specs/${name}/files/${encodeURIComponent(op.file)}`, { body: { content: lines.join("\n") }, ifMatch: f.content_hash });
          if (state.file && state.file.file === op.file) Object.assign(state.file, { content: res.content, content_hash: res.content_hash });
          return;
        } catch (err) {
          if (!(err instanceof ApiError && err.code === "conflict")) throw err;
          if (state.file && state.file.file === op.file) state.file = null;
        }
      }
      throw new Error(t("{file} keeps changing; try again.", { file: op.file }));
    }
  }

  async function run(op) {
    // Ops keep going after the page is left (a queued edit is never dropped); only
    // the page's own rendering stops.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await send(op);
        return;
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.code === "conflict" && op.field) {
          const cur = err.body.current;
          if (!cur) throw err;
          adopt(cur);
          const theirs = cur[op.field] || "";
          if (theirs === (op.base || "")) continue; // they changed something else: apply ours on their version
          if (theirs === (op.body[op.field] || "")) return; // they made the same change
          if (state.dead) { toast(t("Not saved: {field} was changed to “{theirs}” on disk meanwhile.", { field: t(FIELD_LABEL[op.field]), theirs }), "error", 8000); return; }
          state.conflict = { kind: "field", op, theirs };
          renderBanner();
          return;
        }
        if (err.code === "draft_transition" && op.body && op.body.status && !op.body.force) {
          const how = await draftDialog(err);
          if (!how || state.dead) return;
          if (how === "skip") op.body = { ...op.body, force: true };
          else {
            // approve the draft (planned), then the move asked for
            const res = await request("PATCH", `/specs/${ref(state.spec.name)}`, { body: { status: "planned" }, ifMatch: "*" });
            adopt(res.spec);
            op.base = "planned";
          }
          continue;
        }
        if (err.code === "completion_blocked" && op.body && op.body.status && !op.body.force) {
          const ok = await confirmDialog(err.message, { title: t("Complete anyway?"), ok: t("Complete anyway"), cancel: t("Cancel") });
          if (!ok || state.dead) return;
          op.body = { ...op.body, force: true };
          continue;
        }
        throw err;
      }
    }
  }

  // After the last queued edit: one fresh read (rendered body, relationships) for the page.
  async function settle() {
    refreshWanted = false;
    try {
      const res = await get(`/specs/${ref(state.spec.name)}`);
      if (pending.length || state.dead) return;
      state.spec = res.spec;
      if (state.tab && !state.editing) await loadFile();
      renderAll();
    } catch (err) { if (err instanceof ApiError && err.status === 404) gone(); }
  }

  // ------------------------------------------------------------- editors
  const ctl = {};
  function buildProps() {
    const ro = app.readonly;
    ctl.status = h("select", { class: "select", id: "edit-status", disabled: ro });
    ctl.status.addEventListener("change", () => setField("status", ctl.status.value));
    ctl.priority = h("select", { class: "select", id: "edit-priority", disabled: ro });
    ctl.priority.addEventListener("change", () => setField("priority", ctl.priority.value));
    ctl.assignee = textField("edit-assignee", t("Unassigned"), "assignee", null);
    ctl.parent = textField("edit-parent", t("No parent"), "parent", "spec-names");
    ctl.datalist = h("datalist", { id: "spec-names" });
    ctl.tags = chips({
      id: "tag-input", placeholder: t("Add tag…"),
      add: (v) => { if (!shown().tags.includes(v)) enqueue({ kind: "patch", body: { add_tags: [v] } }); },
      remove: (v) => enqueue({ kind: "patch", body: { remove_tags: [v] } }),
    });
    ctl.deps = chips({
      id: "dep-input", placeholder: t("Add dependency…"), list: "spec-names",
      add: (v) => { if (!shown().deps.includes(v)) enqueue({ kind: "patch", body: { add_depends: [v] } }); },
      remove: (v) => enqueue({ kind: "patch", body: { remove_depends: [v] } }),
    });
    return h("div", { class: "panel", id: "properties" }, h("h3", {}, t("Properties")), ctl.datalist,
      h("div", { class: "field" }, h("label", { for: "edit-status" }, t("Status")), ctl.status),
      h("div", { class: "field" }, h("label", { for: "edit-priority" }, t("Priority")), ctl.priority),
      h("div", { class: "field", id: "edit-tags" }, h("label", { for: "tag-input" }, t("Tags")), ctl.tags.box),
      h("div", { class: "field" }, h("label", { for: "edit-assignee" }, t("Assignee")), ctl.assignee),
      h("div", { class: "field", id: "edit-deps" }, h("label", { for: "dep-input" }, t("Depends on")), ctl.deps.box),
      h("div", { class: "field" }, h("label", { for: "edit-parent" }, t("Parent")), ctl.parent),
      ctl.saving = h("div", { class: "saving muted", id: "saving", "aria-live": "polite" }));
  }

  // A text field is saved on Enter or when the user leaves it (change), never by a
  // refresh; while it is focused or holds unsaved text, refreshes leave it alone.
  function textField(id, placeholder, field, list) {
    const el = h("input", { class: "input", id, placeholder, list, disabled: app.readonly, autocomplete: "off" });
    const commit = () => {
      if (state.dead) return;
      delete el.dataset.dirty;
      const v = el.value.trim();
      if (v !== shown()[field]) setField(field, v);
    };
    el.addEventListener("input", () => { el.dataset.dirty = "1"; });
    el.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") { ev.preventDefault(); commit(); }
      else if (ev.key === "Escape") { delete el.dataset.dirty; el.value = shown()[field]; }
    });
    el.addEventListener("change", commit);
    return el;
  }

  function setField(field, value) {
    const base = shown()[field];
    if (value === base) return;
    enqueue({ kind: "patch", field, base, body: { [field]: value || (field === "parent" ? null : "") } });
  }

  function chips({ id, placeholder, list, add, remove }) {
    const input = h("input", { id, placeholder, list: list || null, "aria-label": placeholder, disabled: app.readonly, autocomplete: "off" });
    const box = h("div", { class: "chips" }, input);
    const commit = () => {
      const v = input.value.trim().replace(/,$/, "").trim();
      input.value = "";
      if (v) add(v);
    };
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" || ev.key === ",") { ev.preventDefault(); commit(); }
      else if (ev.key === "Backspace" && !input.value) {
        const last = box.querySelector(".chip:last-of-type");
        if (last) remove(last.dataset.value);
      }
    });
    // Picking a name from the datalist fires "input" with the whole value.
    input.addEventListener("input", (ev) => { if (list && ev.inputType === "insertReplacementText") commit(); });
    return { box, input, remove };
  }

  function drawChips(c, values, { saving, link, missing }) {
    for (const el of [...c.box.querySelectorAll(".chip")]) el.remove();
    for (const v of values) {
      const bad = missing && missing(v);
      c.box.insertBefore(h("span", {
        class: `chip${bad ? " missing" : ""}${saving.has(v) ? " saving" : ""}`, dataset: { value: v },
        title: bad ? t("No such spec in this project: {v}. Remove it with ×.", { v }) : null,
      },
      link && !bad ? h("a", { href: link(v) }, v) : v,
      app.readonly ? null : h("button", { type: "button", title: t("Remove {v}", { v }), "aria-label": t("Remove {v}", { v }), onclick: () => c.remove(v) }, "×")), c.input);
    }
  }

  function fillSelect(sel, known, current, none) {
    const values = [...(none ? [""] : []), ...known];
    if (current && !values.includes(current)) values.push(current);
    const sig = values.join("\n");
    if (sel.dataset.sig !== sig) {
      clear(sel);
      for (const v of values) {
        const unknown = v && !known.includes(v);
        sel.append(h("option", { value: v }, v === "" ? "—" : unknown ? t("{v} (not a known value)", { v }) : sel === ctl.status ? statusLabel(v) : prioLabel(v)));
      }
      sel.dataset.sig = sig;
    }
    sel.value = current;
  }

  function syncProps() {
    if (!ctl.status) return;
    const v = shown();
    fillSelect(ctl.status, app.info.statuses, v.status, false);
    fillSelect(ctl.priority, app.info.priorities, v.priority, !v.priority);
    ctl.status.classList.toggle("unknown", !knownStatus(v.status));
    ctl.priority.classList.toggle("unknown", !!v.priority && !knownPriority(v.priority));
    for (const f of ["assignee", "parent"]) {
      const el = ctl[f];
      if (document.activeElement !== el && !el.dataset.dirty) el.value = v[f];
    }
    drawChips(ctl.tags, v.tags, { saving: v.savingTags });
    const known = new Set(state.names.map((n) => n.name));
    drawChips(ctl.deps, v.deps, {
      saving: v.savingDeps,
      link: (d) => app.href(`/specs/${encodeURIComponent(d)}`),
      missing: (d) => state.names.length > 0 && !known.has(d) && !v.savingDeps.has(d),
    });
    const opts = state.names.filter((n) => n.name !== state.spec.name);
    if (ctl.datalist.childElementCount !== opts.length) {
      clear(ctl.datalist);
      for (const n of opts) ctl.datalist.append(h("option", { value: n.name }, n.title));
    }
  }

  function renderSaving() {
    if (ctl.saving) ctl.saving.textContent = pending.length ? t("Saving…") : "";
  }

  // --------------------------------------------------------------- panels
  function relItem(c) {
    return h("li", {}, h("span", { class: `dot status st-${knownStatus(c.status) ? c.status : "other"}` }), h("span", { class: "num" }, c.number != null ? `#${c.number}` : ""),
      h("a", { href: app.href(`/specs/${encodeURIComponent(c.name)}`) }, c.title));
  }

  function renderRel() {
    const s = state.spec, r = s.relationships;
    const missing = s.depends_on.filter((d) => !r.depends_on.some((c) => c.name === d || c.name.endsWith(`/${d}`)));
    const groups = [[t("Depends on"), r.depends_on], [t("Required by"), r.required_by], [t("Parent"), r.parent ? [r.parent] : []], [t("Children"), r.children]]
      .filter(([, list]) => list.length)
      .map(([label, list]) => h("div", { class: "rel-group" }, h("div", {}, label), h("ul", { class: "rel-list" }, list.map(relItem))));
    if (missing.length) {
      groups.push(h("div", { class: "rel-group broken" }, h("div", {}, t("Broken dependencies")),
        h("ul", { class: "rel-list" }, missing.map((d) => h("li", {}, h("span", { class: "warn-icon" }, "⚠"), h("span", {}, d),
          app.readonly ? null : h("button", { class: "btn small", type: "button", onclick: () => enqueue({ kind: "patch", body: { remove_depends: [d] } }) }, t("Remove")))))));
    }
    clear(panels.rel);
    append(panels.rel, [h("h3", {}, t("Relationships")),
      groups.length ? groups : h("div", { class: "muted" }, t("No dependencies or hierarchy.")),
      h("div", { style: { marginTop: "10px" } }, h("a", { href: app.href(`/graph/${encodeURIComponent(s.name)}`) }, t("Open in dependency graph →")))]);
  }

  function renderDetails() {
    const s = state.spec;
    const rows = [
      [t("Created"), s.created_at ? fmtDate(s.created_at) : fmtDate(s.created)],
      [t("Updated"), s.updated_at ? relTime(s.updated_at) : null],
      [t("Completed"), s.completed_at ? fmtDate(s.completed_at) : null],
      [t("Due"), s.due],
      [t("Tasks"), s.checklist.total ? t("{done} of {total} done", s.checklist) : null],
      [t("File"), s.path],
      ...Object.entries(s.fields || {}).map(([k, v]) => [k, typeof v === "object" ? JSON.stringify(v) : String(v)]),
    ].filter(([, v]) => v);
    clear(panels.details);
    append(panels.details, [h("h3", {}, t("Details")), h("dl", { class: "kv" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      app.readonly || s.archived ? null : h("div", { style: { marginTop: "12px" } },
        h("button", { class: "btn small danger", type: "button", id: "archive-btn", onclick: archive }, t("Archive spec")))]);
  }

  async function archive() {
    const ok = await confirmDialog(t("Archive {name}? It moves to the archive and leaves the board.", { name: state.spec.name }), { ok: t("Archive"), danger: true });
    if (!ok) return;
    await queue;
    try {
      await request("POST", `/specs/${ref(state.spec.name)}/archive`, { ifMatch: state.spec.content_hash });
      toast(t("Archived {name}", { name: state.spec.name }), "ok");
      await settle();
    } catch (err) { handleWriteError(err, t("archive")); }
  }

  function renderToc() {
    const heads = [...panels.doc.querySelectorAll(".markdown h2, .markdown h3")];
    clear(panels.toc);
    panels.toc.hidden = heads.length < 2 || state.editing;
    if (panels.toc.hidden) return;
    const used = new Set();
    const items = heads.map((el) => {
      let id = `h-${slug(el.textContent)}`;
      for (let k = 2; used.has(id); k++) id = `h-${slug(el.textContent)}-${k}`;
      used.add(id);
      el.id = id;
      return h("li", { class: el.tagName === "H3" ? "sub" : "" }, h("a", { href: `#${id}`, onclick: (ev) => {
        ev.preventDefault();
        el.scrollIntoView({ behavior: "smooth", block: "start" });
        history.replaceState(history.state, "", `${location.pathname}${location.search}#${id}`);
      } }, el.textContent));
    });
    append(panels.toc, [h("h3", {}, t("On this page")), h("ul", { class: "toc-list" }, items)]);
  }

  // ------------------------------------------------------------- header
  function renderHead() {
    const s = state.spec;
    const v = pending.length ? shown() : null;
    const tok = state.tokens;
    const val = state.validation;
    let valBadge = null;
    if (val) {
      const { errors, warnings } = val.summary;
      const issues = (val.issues || []).map((i) => `${i.severity}: ${i.message}`).join("\n");
      valBadge = h("span", { class: `badge ${errors ? "bad" : warnings ? "warnb" : "good"}`, id: "validation-badge", title: issues || t("No validation issues") },
        errors ? tn(errors, "{n} error", "{n} errors") : warnings ? tn(warnings, "{n} warning", "{n} warnings") : t("✓ valid"));
    }
    clear(panels.head);
    append(panels.head, [
      h("div", { class: "crumbs" }, h("a", { href: app.href("/specs") }, t("Specs")), "/", h("span", { class: "num" }, s.name)),
      h("h1", { id: "spec-title" }, s.title),
      h("div", { class: "line" }, statusBadge(v ? v.status : s.status),
        s.priority ? h("span", { class: `badge prio pr-${knownPriority(s.priority) ? s.priority : "other"}` }, prioLabel(s.priority)) : null,
        tagChips(v ? v.tags : s.tags, 8), s.assignee ? h("span", {}, `· ${s.assignee}`) : null,
        s.checklist.total ? h("span", {}, `· ${t("{done}/{total} tasks", s.checklist)}`) : null,
        tok ? h("span", { class: `badge ${tok.total > 5000 ? "bad" : tok.total > 3500 ? "warnb" : "good"}`, id: "token-badge",
          title: tok.files.map((f) => `${f.name}: ${f.tokens}`).join("\n") }, t("{n} tokens", { n: tok.total.toLocaleString() })) : null,
        valBadge),
      claimLine(),
    ]);
  }

  // ------------------------------------------------------------- claims
  // "Claimed by X until T", Claim (as the name remembered in this browser) and, for
  // the holder, Release back to planned or as complete. Refusals (conflict naming the
  // holder, blocked listing the open dependencies) show here, in the page.
  const HOLDER_KEY = "leanspec.holder";
  function claimLine() {
    const s = state.spec;
    const lease = liveLease(s.lease) ? s.lease : null;
    const me = localStorage.getItem(HOLDER_KEY) || "";
    const ro = app.readonly;
    const parts = [];
    if (s.blocked) {
      const open = (s.dependencies || []).filter((d) => !d.done);
      parts.push(h("span", { class: "blocked-line", id: "blocked-line", title: depsText(open) }, blockedMark(open), " ",
        t("Blocked by {list}", { list: open.map((d) => d.name).join(", ") })));
    }
    if (lease) {
      parts.push(h("span", { id: "claim-holder" }, holderBadge(lease), " ",
        t("Claimed by {holder} until {time}", { holder: lease.holder, time: fmtTime(lease.expires_at) }),
        lease.holder === me ? h("span", { class: "muted" }, ` (${t("you")})`) : null));
      if (!ro && lease.holder === me) {
        parts.push(h("button", { class: "btn small", type: "button", id: "release-planned", onclick: () => release("planned") }, t("Release (planned)")),
          h("button", { class: "btn small", type: "button", id: "release-complete", onclick: () => release("complete") }, t("Release (complete)")));
      }
    } else if (!ro && !s.archived && !["complete", "archived"].includes(s.status)) {
      parts.push(h("button", { class: "btn small primary", type: "button", id: "claim-btn", onclick: () => claim(false) }, me ? t("Claim as {holder}", { holder: me }) : t("Claim…")));
      if (me) parts.push(h("button", { class: "btn small link", type: "button", id: "claim-as", onclick: () => claim(true) }, t("Claim as someone else…")));
    }
    const box = h("div", { class: "claim-line", id: "claim" }, parts);
    if (state.claimError) box.append(h("div", { class: "banner conflict claim-error", role: "alert", id: "claim-error" },
      h("div", { class: "grow" }, state.claimError),
      h("button", { class: "btn small", type: "button", onclick: () => { state.claimError = null; renderHead(); } }, t("Dismiss"))));
    return parts.length || state.claimError ? box : null;
  }

  function claimErrorText(err) {
    if (err instanceof ApiError && err.code === "conflict" && err.details && err.details.holder) {
      return t("Not claimed: {holder} holds this spec until {time}.", { holder: err.details.holder, time: fmtTime(err.details.expires_at) });
    }
    if (err instanceof ApiError && err.code === "blocked") {
      const open = (err.details && err.details.open_dependencies) || [];
      return t("Not claimed: it is blocked by open dependencies: {list}.", { list: open.map((d) => `${d.name} (${d.status === "missing" ? t("missing") : statusLabel(d.status)})`).join(", ") || "?" });
    }
    return errText(err);
  }

  async function claim(ask) {
    let me = localStorage.getItem(HOLDER_KEY) || "";
    if (ask || !me) {
      me = await promptDialog(t("Your name (or your agent's), shown to everyone as the holder:"), { title: t("Claim {name}", { name: state.spec.name }), value: me, ok: t("Claim") });
      if (!me || state.dead) return;
      localStorage.setItem(HOLDER_KEY, me);
    }
    await queue;
    state.claimError = null;
    try {
      const res = await request("POST", "/claims", { body: { holder: me, spec: state.spec.name } });
      toast(t("Claimed {name} until {time}", { name: state.spec.name, time: fmtTime(res.lease.expires_at) }), "ok", 2500);
    } catch (err) {
      state.claimError = claimErrorText(err);
    }
    await settle();
    renderHead();
  }

  async function release(status, force = false) {
    const me = localStorage.getItem(HOLDER_KEY) || "";
    await queue;
    state.claimError = null;
    try {
      await request("POST", `/claims/${ref(state.spec.name)}/release`, { body: force ? { holder: me, status, force: true } : { holder: me, status } });
      toast(t("Released {name}", { name: state.spec.name }), "ok", 2200);
    } catch (err) {
      if (err instanceof ApiError && err.code === "completion_blocked" && !force) {
        if (await confirmDialog(err.message, { title: t("Complete anyway?"), ok: t("Complete anyway") })) return release(status, true);
      } else state.claimError = claimErrorText(err);
    }
    await settle();
    renderHead();
  }

  // ------------------------------------------------------------ document
  function renderTabs() {
    const s = state.spec;
    const docs = s.files.filter((f) => f.type === "document");
    const btn = (name, label) => h("button", { type: "button", role: "tab", "aria-selected": String((state.tab || null) === name), class: (state.tab || null) === name ? "active" : "", onclick: () => switchTab(name) }, label);
    clear(panels.tabs);
    append(panels.tabs, [btn(null, "README"), docs.filter((f) => f.name !== "README.md").map((f) => btn(f.name, f.name.replace(/\.md$/i, ""))),
      h("span", { class: "spacer" }),
      app.readonly || state.editing ? null : h("button", { type: "button", id: "edit-content", onclick: startEdit }, t("✎ Edit"))]);
  }

  async function switchTab(name) {
    if (state.editing && !(await confirmDialog(t("Discard your unsaved edits?"), { ok: t("Discard"), danger: true }))) return;
    state.editing = false;
    if (state.conflict && state.conflict.kind === "content") state.conflict = null;
    state.tab = name;
    const p = new URLSearchParams(location.search);
    if (name) p.set("file", name); else p.delete("file");
    history.replaceState(history.state, "", location.pathname + (p.toString() ? `?${p}` : ""));
    await loadFile();
    renderAll();
  }

  function currentHash() { return state.tab ? state.file.content_hash : state.spec.content_hash; }

  function handleWriteError(err, what) {
    if (err instanceof ApiError && err.code === "conflict") {
      state.conflict = { kind: "content", message: t("Your {what} was not saved: this spec changed on disk after you opened it.", { what }) };
      renderBanner();
      return;
    }
    toast(errText(err), "error", 6500);
  }

  function startEdit() {
    state.editing = true;
    state.draft = state.tab ? state.file.content : state.spec.content;
    state.base = currentHash();
    state.staleWhileEditing = false;
    renderAll();
    const ta = panels.doc.querySelector("textarea.editor");
    if (ta) ta.focus();
  }

  async function saveEdit() {
    const ta = panels.doc.querySelector("textarea.editor");
    state.draft = ta.value;
    await queue;
    try {
      if (state.tab) await request("PUT", `/specs/${ref(state.spec.name)}/files/${encodeURIComponent(state.tab)}`, { body: { content: state.draft }, ifMatch: state.base });
      else await request("PUT", `/specs/${ref(state.spec.name)}/content`, { body: { content: state.draft }, ifMatch: state.base });
      state.editing = false;
      state.conflict = null;
      state.staleWhileEditing = false;
      await load();
      renderAll();
      toast(t("Saved"), "ok", 1800);
    } catch (err) {
      handleWriteError(err, t("edit"));
    }
  }

  function onDocClick(ev) {
    const box = ev.target.closest("input.task-list-item-checkbox");
    if (!box) return;
    if (app.readonly) { ev.preventDefault(); return; }
    const li = box.closest("li[data-line]");
    if (!li) { ev.preventDefault(); return; }
    const line = Number(li.dataset.line);
    const text = state.tab ? state.file.content : state.spec.content;
    const item = itemAt(text, line);
    if (!item) { ev.preventDefault(); return; }
    box.classList.add("saving");
    // The box shows the new state at once; the queue writes it.
    if (state.tab) enqueue({ kind: "filecheck", file: state.tab, line, item, checked: box.checked });
    else enqueue({ kind: "check", item, checked: box.checked });
  }

  // Relative links between spec files: "./DESIGN.md" opens that tab, "../146-x/" or
  // "../146-x/README.md" opens spec 146, "../146-x/PLAN.md" its PLAN tab.
  function fixLinks(md) {
    const dir = state.spec.path.split("/").slice(0, -1);
    const byName = new Map(state.names.map((n) => [n.name, n.name]));
    for (const a of md.querySelectorAll("a[href]")) {
      const raw = a.getAttribute("href");
      if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith("//") || raw.startsWith("/")) continue;
      if (raw.startsWith("#")) {
        a.addEventListener("click", (ev) => {
          const target = md.querySelector(`[id="h-${CSS.escape(slug(decodeURIComponent(raw.slice(1)).replace(/-/g, " ")))}"]`);
          if (target) { ev.preventDefault(); target.scrollIntoView({ behavior: "smooth" }); }
        });
        continue;
      }
      const [pathPart] = raw.split("#");
      let segs;
      try { segs = decodeURIComponent(new URL(pathPart, `${location.origin}/${dir.map(encodeURIComponent).join("/")}/`).pathname).split("/").filter(Boolean); }
      catch { continue; }
      let file = null;
      if (segs.length && /\.[a-z0-9]+$/i.test(segs[segs.length - 1])) file = segs.pop();
      const folder = segs[segs.length - 1] || "";
      let target = folder === dir[dir.length - 1] ? state.spec.name : byName.get(folder) || null;
      if (!target && /^\d+-/.test(folder)) {
        const num = Number(folder.split("-")[0]);
        const hits = state.names.filter((n) => n.number === num);
        if (hits.length === 1) target = hits[0].name;
      }
      if (file && !/\.md$/i.test(file)) { a.removeAttribute("href"); a.title = t("{file} (a file in the spec folder)", { file }); continue; }
      const q = file && file.toLowerCase() !== "readme.md" ? `?file=${encodeURIComponent(file)}` : "";
      if (target) a.setAttribute("href", app.href(`/specs/${encodeURIComponent(target)}${q}`));
      else {
        a.setAttribute("href", app.href(`/specs/${encodeURIComponent(folder || raw)}${q}`));
        a.classList.add("broken-link");
        a.title = t("No such spec in this project: {v}", { v: folder || raw });
      }
    }
  }

  async function renderMermaid(md) {
    const blocks = [...md.querySelectorAll("pre.mermaid-src")];
    if (!blocks.length) return;
    let mermaid;
    try { mermaid = await loadMermaid(); } catch (err) { return; }
    const dark = document.documentElement.dataset.theme === "dark";
    mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: dark ? "dark" : "default", htmlLabels: false, flowchart: { htmlLabels: false }, fontFamily: "inherit" });
    let k = 0;
    for (const pre of blocks) {
      if (!pre.isConnected) return;
      const code = pre.querySelector("code").textContent;
      try {
        const { svg } = await mermaid.render(`mmd-${Date.now()}-${k++}`, code);
        const el = cleanSvg(svg);
        if (!el) continue;
        const fig = h("figure", { class: "mermaid-diagram", role: "img", "aria-label": t("Diagram") }, el);
        pre.before(fig);
        pre.hidden = true;
      } catch (err) {
        pre.before(h("div", { class: "muted mermaid-error" }, t("This diagram could not be drawn: {msg}", { msg: String(err.message || err).split("\n")[0] })));
      }
      document.querySelectorAll("body > [id^='dmmd-'], body > [id^='mmd-']").forEach((n) => n.remove());
    }
  }

  function renderDoc() {
    const s = state.spec;
    const box = panels.doc;
    if (state.editing) {
      if (box.querySelector("textarea.editor")) return; // never touch the text being edited
      clear(box);
      state.html = null;
      const ta = h("textarea", { class: "editor", spellcheck: "false", "aria-label": t("Content") });
      ta.value = state.draft;
      ta.addEventListener("input", () => { state.draft = ta.value; });
      ta.addEventListener("keydown", (ev) => { if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") { ev.preventDefault(); saveEdit(); } });
      box.append(ta, h("div", { class: "doc-actions" },
        h("span", { class: "muted", style: { marginRight: "auto", fontSize: "12px" } }, state.tab ? t("Editing {file}", { file: state.tab }) : t("Editing the body (frontmatter is edited on the right). Ctrl/⌘-S saves.")),
        h("button", { class: "btn", type: "button", onclick: () => { state.editing = false; if (state.conflict && state.conflict.kind === "content") state.conflict = null; renderAll(); } }, t("Cancel")),
        h("button", { class: "btn primary", type: "button", id: "save-content", onclick: saveEdit }, t("Save"))));
      return;
    }
    const html = state.tab ? state.file.html : s.html;
    const key = `${state.tab}\n${html ?? (state.file && state.file.content)}\n${state.names.length}`;
    if (state.html === key) return;
    state.html = key;
    clear(box);
    if (html !== null && html !== undefined) {
      const md = h("article", { class: "markdown" });
      md.innerHTML = html; // server-rendered, raw HTML disabled
      const first = md.firstElementChild;
      if (!state.tab && first && first.tagName === "H1" && first.textContent.trim() === s.title.trim()) first.remove(); // already the page title
      md.addEventListener("click", onDocClick);
      fixLinks(md);
      box.append(md);
      renderMermaid(md);
    } else {
      box.append(h("pre", { class: "markdown" }, state.file.content));
    }
  }

  function renderBanner() {
    clear(panels.banner);
    const c = state.conflict;
    if (c && c.kind === "field") {
      const f = t(FIELD_LABEL[c.op.field]);
      const mine = c.op.body[c.op.field] || "—", theirs = c.theirs || "—";
      panels.banner.append(h("div", { class: "banner conflict", role: "alert", id: "conflict" },
        h("div", { class: "grow" }, h("strong", {}, t("Conflict — nothing was overwritten")),
          t("{field} was changed to “{theirs}” on disk while you set it to “{mine}”. The page shows the file's value.", { field: f, theirs, mine })),
        h("button", { class: "btn small", type: "button", id: "use-mine", onclick: () => {
          state.conflict = null; renderBanner();
          enqueue({ ...c.op, mine: true, body: { ...c.op.body } });
        } }, t("Use mine ({v})", { v: mine })),
        h("button", { class: "btn small", type: "button", onclick: () => { state.conflict = null; renderBanner(); } }, t("Keep theirs"))));
    } else if (c) {
      panels.banner.append(h("div", { class: "banner conflict", role: "alert", id: "conflict" },
        h("div", { class: "grow" }, h("strong", {}, t("Conflict — nothing was overwritten")), c.message,
          state.editing ? " " + t("Your text is still in the editor; copy it before loading the latest version.") : ""),
        h("button", { class: "btn small", type: "button", onclick: async () => { state.conflict = null; state.editing = false; state.staleWhileEditing = false; await load(); renderAll(); } }, t("Load latest version")),
        h("button", { class: "btn small", type: "button", onclick: () => { state.conflict = null; renderBanner(); } }, t("Dismiss"))));
    } else if (state.staleWhileEditing) {
      panels.banner.append(h("div", { class: "banner info", id: "stale" }, h("div", { class: "grow" }, t("This spec changed on disk while you were editing. Saving will report a conflict."))));
    }
  }

  function renderAll() {
    if (state.dead) return;
    renderBanner();
    renderHead();
    renderTabs();
    renderDoc();
    syncProps();
    renderRel();
    renderDetails();
    renderToc();
    root.dataset.hash = state.spec.content_hash;
  }

  function gone() {
    toast(t("{ref} no longer exists (renamed, archived or deleted).", { ref: specRef }), "error");
  }

  // --------------------------------------------------------------- mount
  await Promise.all([load(), loadNames()]);
  const panels = {
    banner: h("div", { id: "banners" }),
    head: h("div", { class: "spec-head" }),
    tabs: h("div", { class: "tabs", role: "tablist" }),
    doc: h("div", { class: "doc" }),
    rel: h("div", { class: "panel" }),
    details: h("div", { class: "panel" }),
    toc: h("nav", { class: "panel toc", id: "toc", "aria-label": t("On this page") }),
  };
  const root = h("div", { class: "spec-page" }, panels.banner,
    h("div", { class: "spec-layout" },
      h("div", { class: "spec-main" }, panels.head, panels.tabs, panels.doc),
      h("aside", { class: "side" }, buildProps(), panels.toc, panels.rel, panels.details)));
  view.append(root);
  renderAll();
  loadBadges();

  return {
    get title() { return state.spec ? `${specNumber(state.spec) ? "#" + specNumber(state.spec) + " " : ""}${state.spec.title}` : t("Spec"); },
    get busy() { return pending.length > 0; },
    unmount() { state.dead = true; },
    themeChanged() { state.html = null; renderDoc(); renderToc(); },
    refresh: async () => {
      if (state.dead) return;
      if (pending.length) { refreshWanted = true; return; } // the queue's settle() reads the result
      try {
        if (state.editing) {
          // The text being edited is never touched; the fields on the right follow the file.
          const res = await get(`/specs/${ref(state.spec.name)}`);
          if (pending.length || state.dead) return;
          const latest = state.tab ? (await get(`/specs/${ref(state.spec.name)}/files/${encodeURIComponent(state.tab)}`)).content_hash : res.spec.content_hash;
          state.spec = res.spec;
          renderHead(); syncProps(); renderRel(); renderDetails();
          if (latest !== state.base && !state.staleWhileEditing) { state.staleWhileEditing = true; renderBanner(); }
          return;
        }
        const before = currentHash() + JSON.stringify(state.spec.relationships);
        const names = state.names.length;
        await Promise.all([load(), loadNames()]);
        if (pending.length || state.dead) return;
        if (currentHash() + JSON.stringify(state.spec.relationships) !== before || names !== state.names.length) {
          renderAll();
          loadBadges();
        }
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) gone();
      }
    },
  };
}
