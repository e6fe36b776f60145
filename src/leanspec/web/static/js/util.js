// Small DOM helpers shared by the views. Text always goes in as text nodes, never
// as HTML; the only HTML we insert is the server's rendered markdown (html disabled).
import { t } from "./i18n.js";

export function h(tag, attrs, ...children) {
  const svg = tag.startsWith("svg:");
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k === "value" && !svg) el.value = v;
    else if (k === "checked" || k === "disabled" || k === "selected") el[k] = !!v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const STATUSES = ["draft", "planned", "in-progress", "complete", "archived"];
export const PRIORITIES = ["critical", "high", "medium", "low"];
const STATUS_EN = { draft: "Draft", planned: "Planned", "in-progress": "In progress", complete: "Complete", archived: "Archived" };
// Labels are looked up when used (the language can change); an unknown value (a hand
// edit: "blocked", "urgent") is shown exactly as written, never as a known one.
export const STATUS_LABEL = new Proxy({}, { get: (_o, k) => (Object.hasOwn(STATUS_EN, k) ? t(STATUS_EN[k]) : undefined) });
export const PRIO_RANK = { low: 1, medium: 2, high: 3, critical: 4 };
export const knownStatus = (s) => typeof s === "string" && Object.hasOwn(STATUS_EN, s);
export const knownPriority = (p) => typeof p === "string" && Object.hasOwn(PRIO_RANK, p);
export function statusLabel(s) { return STATUS_LABEL[s] || String(s); }
export function prioLabel(p) { return p ? (knownPriority(p) ? t(p) : String(p)) : "—"; }
const cls = (v) => String(v).toLowerCase().replace(/[^a-z0-9-]+/g, "-");

export function statusBadge(status) {
  const known = knownStatus(status);
  return h("span", { class: `badge status st-${known ? status : "other"}`, title: known ? null : t("Unknown status “{v}” (not one LeanSpec knows)", { v: status }) },
    h("span", { class: "dot" }), statusLabel(status));
}

export function prioIcon(priority) {
  if (!priority) return null;
  const n = PRIO_RANK[priority] || 0;
  return h("span", { class: `prio-icon pr-${knownPriority(priority) ? priority : "other"}`, title: t("{p} priority", { p: prioLabel(priority) }) },
    knownPriority(priority) ? [1, 2, 3, 4].map((i) => h("i", { class: i <= n ? "on" : "" })) : h("b", {}, "?"));
}

export function prioBadge(priority) {
  if (!priority) return h("span", { class: "muted" }, "—");
  return h("span", { class: `badge prio pr-${knownPriority(priority) ? cls(priority) : "other"}` }, prioIcon(priority), prioLabel(priority));
}

// An in-page dialog (no window.confirm: it blocks the page and cannot be styled).
// Resolves true (ok) or false (cancel / Esc / click outside).
export function confirmDialog(message, { ok = t("OK"), cancel = t("Cancel"), title = null, danger = false } = {}) {
  return new Promise((resolve) => {
    const prev = document.activeElement;
    const done = (v) => { overlay.remove(); document.removeEventListener("keydown", onKey, true); if (prev && prev.focus) prev.focus(); resolve(v); };
    const onKey = (ev) => { if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); done(false); } };
    const okBtn = h("button", { class: `btn ${danger ? "danger" : "primary"}`, type: "button", id: "dialog-ok", onclick: () => done(true) }, ok);
    const overlay = h("div", { class: "overlay dialog-overlay", onclick: (ev) => { if (ev.target === overlay) done(false); } },
      h("div", { class: "dialog", role: "alertdialog", "aria-modal": "true", "aria-label": title || message },
        title ? h("h3", {}, title) : null, h("div", { class: "dialog-body" }, message),
        h("div", { class: "dialog-actions" }, h("button", { class: "btn", type: "button", id: "dialog-cancel", onclick: () => done(false) }, cancel), okBtn)));
    document.addEventListener("keydown", onKey, true);
    document.body.append(overlay);
    okBtn.focus();
  });
}

// What the UI says about an API error: the server's message, without hints written
// for the command line ("pass --force", "run `lean-spec list`").
export function errText(err) {
  const hint = err && err.hint && !/--|lean-spec|`/.test(err.hint) ? err.hint : "";
  return (err && err.message ? err.message : String(err)) + (hint ? ` — ${hint}` : "");
}

const AVATAR_COLORS = ["#4f46e5", "#0891b2", "#c026d3", "#ea580c", "#16a34a", "#2563eb", "#db2777", "#7c3aed"];
export function avatar(name) {
  if (!name) return null;
  let hsh = 0;
  for (const ch of name) hsh = (hsh * 31 + ch.charCodeAt(0)) >>> 0;
  const initials = name.replace(/^@/, "").split(/[\s._-]+/).filter(Boolean).slice(0, 2).map((p) => p[0].toUpperCase()).join("");
  return h("span", { class: "avatar", title: name, style: { background: AVATAR_COLORS[hsh % AVATAR_COLORS.length] } }, initials || "?");
}

export function tagChips(tags, max = 4) {
  const shown = tags.slice(0, max).map((t) => h("span", { class: "tag" }, t));
  if (tags.length > max) shown.push(h("span", { class: "tag muted", title: tags.slice(max).join(", ") }, `+${tags.length - max}`));
  return shown;
}

export function fmtDate(s) {
  if (!s) return "";
  const d = new Date(s.length === 10 ? s + "T00:00:00Z" : s);
  if (isNaN(d)) return s;
  return d.toLocaleDateString(document.documentElement.lang || undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function relTime(s) {
  if (!s) return "";
  const d = new Date(s);
  if (isNaN(d)) return s;
  const sec = (Date.now() - d.getTime()) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [u, n] of units) if (Math.abs(sec) >= n) {
    const v = Math.round(sec / n);
    try { return new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }).format(-v, u); }
    catch { return `${v} ${u}${v === 1 ? "" : "s"} ago`; }
  }
  return t("just now");
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export function toast(message, kind = "info", ms = 4200) {
  const box = document.getElementById("toasts");
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

export function clear(el) { while (el.firstChild) el.firstChild.remove(); return el; }

export function specNumber(s) {
  return s.number !== null && s.number !== undefined ? String(s.number).padStart(3, "0") : "";
}

// A multi-select filter: a button that opens a list of checkboxes. onChange gets the
// selected values (an array). set(values, selected) refreshes the list in place.
export function multiSelect(label, { onChange, format = (v) => v, id } = {}) {
  let values = [];
  let selected = new Set();
  const btn = h("button", { type: "button", class: "select ms-btn", id, "aria-haspopup": "true", "aria-expanded": "false" });
  const list = h("div", { class: "menu ms-menu", hidden: true, role: "group", "aria-label": label });
  const wrap = h("div", { class: "menu-wrap ms" }, btn, list);
  const caption = () => {
    btn.textContent = selected.size === 0 ? label : selected.size === 1 ? `${label}: ${format([...selected][0])}` : `${label}: ${selected.size}`;
    btn.classList.toggle("active", selected.size > 0);
  };
  const draw = () => {
    clear(list);
    if (selected.size) list.append(h("button", { type: "button", class: "btn small ms-clear", onclick: () => { selected.clear(); draw(); caption(); onChange([]); } }, t("Clear")));
    if (!values.length) list.append(h("div", { class: "muted", style: { padding: "4px 6px" } }, t("Nothing to choose")));
    for (const v of values) {
      const box = h("input", { type: "checkbox", value: v, checked: selected.has(v) });
      box.addEventListener("change", () => {
        if (box.checked) selected.add(v); else selected.delete(v);
        caption();
        onChange([...selected]);
      });
      list.append(h("label", { class: "check ms-item" }, box, format(v)));
    }
  };
  btn.addEventListener("click", (ev) => {
    ev.stopPropagation();
    const open = list.hidden;
    for (const m of document.querySelectorAll(".ms-menu")) m.hidden = true;
    list.hidden = !open;
    btn.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("click", (ev) => { if (!wrap.contains(ev.target)) { list.hidden = true; btn.setAttribute("aria-expanded", "false"); } });
  wrap.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && !list.hidden) { ev.stopPropagation(); list.hidden = true; btn.focus(); } });
  caption();
  return {
    el: wrap,
    set(vals, sel) {
      values = vals;
      if (sel) selected = new Set(sel);
      caption();
      if (!list.hidden || list.childElementCount === 0 || list.dataset.sig !== vals.join("\n")) { draw(); list.dataset.sig = vals.join("\n"); }
    },
    get value() { return [...selected]; },
  };
}

// Specs that could not be loaded (malformed frontmatter...): a badge that opens the list.
// Whether the list is open outlives the badge on the same page: a live refresh redraws
// the toolbar, and a list the user just opened must not close under their click.
let problemsOpenOn = null; // the page (path) where the list is open
export function problemsBadge(problems) {
  if (!problems || !problems.length) return null;
  const open = problemsOpenOn === location.pathname;
  const panel = h("div", { class: "problems-panel", id: "problems-panel", hidden: !open },
    h("strong", {}, t("These spec files could not be read and are not shown:")),
    h("ul", {}, problems.map((p) => h("li", {}, h("code", {}, p.path), " — ", h("span", { class: "muted" }, p.code), ": ", p.reason))));
  const btn = h("button", { type: "button", class: "btn small problems-btn", id: "problems-btn", "aria-expanded": String(open), onclick: () => {
    const opening = panel.hidden;
    problemsOpenOn = opening ? location.pathname : null;
    // The panel on screen may be a newer one (a refresh drew the toolbar again since).
    for (const p of new Set([panel, document.getElementById("problems-panel")])) if (p) p.hidden = !opening;
    btn.setAttribute("aria-expanded", String(opening));
  } }, "⚠ ", problems.length === 1 ? t("1 problem") : t("{n} problems", { n: problems.length }));
  return { btn, panel };
}

// ------------------------------------------------------------------ claims
// A lease is live until its expires_at (the server and this page share the clock of
// one machine); an expired one is not shown.
export function liveLease(lease) {
  return !!lease && lease.live !== false && Date.parse(lease.expires_at) > Date.now();
}

export function fmtTime(s) {
  const d = new Date(s);
  if (isNaN(d)) return s;
  const sameDay = d.toDateString() === new Date().toDateString();
  return d.toLocaleString(document.documentElement.lang || undefined, sameDay ? { hour: "2-digit", minute: "2-digit" } : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

// "🔒 alice": who holds the claim, until when (title).
export function holderBadge(lease) {
  if (!liveLease(lease)) return null;
  return h("span", { class: "badge holder", dataset: { holder: lease.holder }, title: t("Claimed by {holder} until {time}", { holder: lease.holder, time: fmtTime(lease.expires_at) }) },
    h("span", { "aria-hidden": "true" }, "⚑"), lease.holder);
}

// "⊘ 2": blocked by open dependencies, listed in the title.
export function depsText(deps) {
  return (deps || []).map((d) => `${d.name} (${d.status === "missing" ? t("missing") : statusLabel(d.status)})`).join("\n");
}
export function blockedMark(deps) {
  if (!deps || !deps.length) return null;
  return h("span", { class: "badge blocked", title: `${t("Blocked by open dependencies:")}\n${depsText(deps)}`, "aria-label": t("Blocked by {n} open dependencies", { n: deps.length }) },
    "⊘", deps.length > 1 ? ` ${deps.length}` : "");
}

// Token count and validation (from /api/badges), small enough for a card or a row.
export function tokenClass(n) { return n > 5000 ? "bad" : n > 3500 ? "warnb" : "good"; }
export function fmtTokens(n) { return n >= 1000 ? `${(n / 1000).toFixed(n >= 10000 ? 0 : 1)}k` : String(n); }
export function tokenBadge(b) {
  if (!b) return null;
  return h("span", { class: `badge mini tok ${tokenClass(b.tokens)}`, title: t("{n} tokens", { n: b.tokens.toLocaleString() }) }, t("{n} tok", { n: fmtTokens(b.tokens) }));
}
export function validBadge(b, { quiet = true } = {}) {
  if (!b) return null;
  const title = b.issues && b.issues.length ? b.issues.join("\n") + (b.errors + b.warnings > b.issues.length ? "\n…" : "") : t("No validation issues");
  if (b.errors) return h("span", { class: "badge mini val bad", title }, `✕ ${b.errors}`);
  if (b.warnings) return h("span", { class: "badge mini val warnb", title }, `⚠ ${b.warnings}`);
  return quiet ? null : h("span", { class: "badge mini val good", title }, "✓");
}

// A dialog with several answers: resolves the chosen value, or null (Esc, outside).
// choices: [{value, label, primary?, id?}], shown left to right after Cancel.
export function choiceDialog(message, { title = null, choices = [], cancel = t("Cancel") } = {}) {
  return new Promise((resolve) => {
    const prev = document.activeElement;
    const done = (v) => { overlay.remove(); document.removeEventListener("keydown", onKey, true); if (prev && prev.focus) prev.focus(); resolve(v); };
    const onKey = (ev) => { if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); done(null); } };
    const btns = choices.map((c) => h("button", { class: `btn${c.primary ? " primary" : ""}`, type: "button", id: c.id || null, dataset: { choice: c.value }, onclick: () => done(c.value) }, c.label));
    const overlay = h("div", { class: "overlay dialog-overlay", onclick: (ev) => { if (ev.target === overlay) done(null); } },
      h("div", { class: "dialog", role: "alertdialog", "aria-modal": "true", "aria-label": title || message },
        title ? h("h3", {}, title) : null, h("div", { class: "dialog-body" }, message),
        h("div", { class: "dialog-actions" }, h("button", { class: "btn", type: "button", id: "dialog-cancel", onclick: () => done(null) }, cancel), btns)));
    document.addEventListener("keydown", onKey, true);
    document.body.append(overlay);
    (btns.find((b, i) => choices[i].primary) || btns[0] || overlay).focus();
  });
}

// A one-line text question: resolves the trimmed text, or null.
export function promptDialog(message, { title = null, value = "", ok = t("OK"), placeholder = "" } = {}) {
  return new Promise((resolve) => {
    const prev = document.activeElement;
    const input = h("input", { class: "input", id: "dialog-input", value, placeholder, "aria-label": title || message, autocomplete: "off" });
    const done = (v) => { overlay.remove(); document.removeEventListener("keydown", onKey, true); if (prev && prev.focus) prev.focus(); resolve(v); };
    const submit = () => { const v = input.value.trim(); if (v) done(v); else input.focus(); };
    const onKey = (ev) => {
      if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); done(null); }
      else if (ev.key === "Enter" && ev.target === input) { ev.preventDefault(); submit(); }
    };
    const overlay = h("div", { class: "overlay dialog-overlay", onclick: (ev) => { if (ev.target === overlay) done(null); } },
      h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title || message },
        title ? h("h3", {}, title) : null, h("div", { class: "dialog-body" }, h("label", { for: "dialog-input" }, message), input),
        h("div", { class: "dialog-actions" }, h("button", { class: "btn", type: "button", id: "dialog-cancel", onclick: () => done(null) }, t("Cancel")),
          h("button", { class: "btn primary", type: "button", id: "dialog-ok", onclick: submit }, ok))));
    document.addEventListener("keydown", onKey, true);
    document.body.append(overlay);
    input.focus();
    input.select();
  });
}

// A draft moved straight to in-progress or complete (core code draft_transition):
// approve it first (planned, then the move) or skip planned (force). Resolves
// "planned-first", "skip" or null.
export function draftDialog(err) {
  const to = (err.details && err.details.requested) || "";
  return choiceDialog(t("{name} is still a draft. A draft is approved by moving it to planned before work starts.", { name: err.message.split(" ")[0] }), {
    title: t("Move a draft to {status}?", { status: statusLabel(to) }),
    choices: [
      { value: "skip", label: t("Skip planned"), id: "draft-skip" },
      { value: "planned-first", label: t("Move to planned first"), primary: true, id: "draft-planned" },
    ],
  });
}
