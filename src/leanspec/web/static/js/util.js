// Small DOM helpers shared by the views. Text always goes in as text nodes, never
// as HTML; the only HTML we insert is the server's rendered markdown (html disabled).

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

export const STATUS_LABEL = { draft: "Draft", planned: "Planned", "in-progress": "In progress", complete: "Complete", archived: "Archived" };
export const PRIO_RANK = { low: 1, medium: 2, high: 3, critical: 4 };

export function statusBadge(status) {
  return h("span", { class: `badge status st-${status}` }, h("span", { class: "dot" }), STATUS_LABEL[status] || status);
}

export function prioIcon(priority) {
  if (!priority) return null;
  const n = PRIO_RANK[priority] || 0;
  return h("span", { class: `prio-icon pr-${priority}`, title: `${priority} priority` },
    [1, 2, 3, 4].map((i) => h("i", { class: i <= n ? "on" : "" })));
}

export function prioBadge(priority) {
  if (!priority) return h("span", { class: "muted" }, "—");
  return h("span", { class: `badge prio pr-${priority}` }, prioIcon(priority), priority);
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
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function relTime(s) {
  if (!s) return "";
  const d = new Date(s);
  if (isNaN(d)) return s;
  const sec = (Date.now() - d.getTime()) / 1000;
  const units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];
  for (const [u, n] of units) if (Math.abs(sec) >= n) {
    const v = Math.round(sec / n);
    return `${v} ${u}${v === 1 ? "" : "s"} ago`;
  }
  return "just now";
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
