// The shell: routing (history API), theme, live updates (SSE), quick search,
// project switcher. Each page is a module exporting mount(el, ctx) -> {refresh, unmount}.
import { ApiError, get, request, session } from "./api.js";
import { clear, debounce, h, statusBadge, toast } from "./util.js";

const PAGES = {
  board: () => import("./board.js"),
  specs: () => import("./list.js"),
  spec: () => import("./spec.js"),
  graph: () => import("./graph.js"),
  stats: () => import("./stats.js"),
};

export const app = {
  info: null,
  readonly: false,
  current: null, // the mounted page
  navigate,
  href,
};
window.leanspec = app; // for debugging and the end-to-end tests

// ------------------------------------------------------------------ theme
function applyTheme() {
  const pref = localStorage.getItem("leanspec.theme") || "auto";
  const dark = pref === "dark" || (pref === "auto" && matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.dataset.theme = dark ? "dark" : "light";
}
applyTheme();
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", applyTheme);
document.getElementById("theme-btn").addEventListener("click", () => {
  const dark = document.documentElement.dataset.theme === "dark";
  localStorage.setItem("leanspec.theme", dark ? "light" : "dark");
  applyTheme();
  if (app.current && app.current.themeChanged) app.current.themeChanged();
});

// ----------------------------------------------------------------- routing
function parse(pathname) {
  let parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let project = null;
  if (parts[0] === "p" && parts.length >= 2) {
    project = parts[1];
    parts = parts.slice(2);
  }
  const [page = "board", ...rest] = parts;
  if (page === "specs" && rest.length) return { project, page: "spec", ref: rest[0] };
  if (page === "graph" && rest.length) return { project, page: "graph", ref: rest[0] };
  return { project, page: PAGES[page] ? page : "board", ref: null };
}

export function href(path) {
  return session.multi ? `/p/${encodeURIComponent(session.project)}${path}` : path;
}

export function navigate(path, { replace = false } = {}) {
  const url = path.startsWith("/p/") || !session.multi ? path : href(path);
  if (replace) history.replaceState({}, "", url);
  else history.pushState({}, "", url);
  route();
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[href]");
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.target === "_blank") return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/static/")) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => route());

let routeSeq = 0;
async function route() {
  const r = parse(location.pathname);
  if (session.multi) {
    const known = app.info.projects.map((p) => p.id);
    const pid = r.project && known.includes(r.project) ? r.project : session.project || app.info.default_project;
    if (pid !== session.project) {
      session.project = pid;
      connectEvents();
    }
    document.getElementById("project-switch").value = pid;
  }
  for (const a of document.querySelectorAll("#nav a")) {
    const page = a.dataset.nav;
    a.href = href(`/${page}`);
    a.classList.toggle("active", page === r.page || (page === "specs" && r.page === "spec"));
  }
  document.querySelector(".brand").href = href("/board");
  const seq = ++routeSeq;
  if (app.current && app.current.unmount) app.current.unmount();
  app.current = null;
  const view = document.getElementById("view");
  const mod = await PAGES[r.page]();
  if (seq !== routeSeq) return;
  clear(view);
  view.classList.toggle("readonly", app.readonly);
  const params = new URLSearchParams(location.search);
  try {
    app.current = await mod.mount(view, { app, ref: r.ref, params });
  } catch (err) {
    showError(view, err);
  }
  document.title = `${(app.current && app.current.title) || "LeanSpec"} · LeanSpec`;
}

export function showError(view, err) {
  clear(view);
  const notFound = err instanceof ApiError && err.status === 404;
  view.append(h("div", { class: "empty" },
    h("strong", {}, notFound ? "Not found" : "Something went wrong"), h("br"),
    err.message || String(err), err.hint ? h("div", { class: "muted" }, err.hint) : null));
}

// ------------------------------------------------------------ live updates
let source = null;
let retry = 0;
const live = document.getElementById("live");
const onChange = debounce((paths) => {
  if (app.current && app.current.refresh) app.current.refresh(paths);
}, 120);
let pending = [];

function connectEvents() {
  if (source) source.close();
  const qs = session.token ? `?access_token=${encodeURIComponent(session.token)}` : "";
  const base = session.multi ? `/api/projects/${encodeURIComponent(session.project)}` : "/api";
  source = new EventSource(`${base}/events${qs}`);
  source.onopen = () => { retry = 0; live.className = "live on"; live.title = "Live: changes on disk appear here"; };
  source.onerror = () => { live.className = "live off"; live.title = "Disconnected; retrying…"; };
  source.onmessage = (ev) => {
    let data;
    try { data = JSON.parse(ev.data); } catch { return; }
    if (data.type === "hello") {
      live.className = "live on";
      if (retry++ > 0 || app.current) onChange([]); // reconnected: we may have missed changes
      return;
    }
    if (data.type === "changed") {
      pending = pending.concat(data.paths || []);
      const paths = pending;
      onChange(paths);
      setTimeout(() => { pending = []; }, 150);
    }
  };
}

// ------------------------------------------------------------ quick search
const overlay = document.getElementById("search-overlay");
const input = document.getElementById("search-input");
const results = document.getElementById("search-results");
const count = document.getElementById("search-count");
let sel = 0;
let items = [];

function openSearch() {
  overlay.hidden = false;
  input.value = "";
  renderResults([]);
  input.focus();
}
function closeSearch() { overlay.hidden = true; }

function snippet(m) {
  if (!m) return "";
  const text = m.text || "";
  const frag = [];
  let at = 0;
  for (const [a, b] of m.highlights || []) {
    frag.push(text.slice(at, a), h("mark", {}, text.slice(a, b)));
    at = b;
  }
  frag.push(text.slice(at));
  return frag;
}

function renderResults(list, total) {
  items = list;
  sel = 0;
  clear(results);
  if (!list.length) {
    results.append(h("li", { class: "none" }, input.value.trim() ? "No matching specs" : "Type to search titles, tags and content"));
  }
  list.forEach((r, i) => {
    const s = r.spec;
    results.append(h("li", { role: "option", class: i === 0 ? "sel" : "", onclick: () => pick(i), onmousemove: () => select(i) },
      h("div", { class: "r-top" }, h("span", { class: "num" }, s.number != null ? `#${s.number}` : ""), h("span", { class: "r-title" }, s.title), statusBadge(s.status)),
      h("div", { class: "r-snip" }, snippet((r.matches || []).find((m) => m.field !== "title") || r.matches[0]))));
  });
  count.textContent = total !== undefined ? `${total} result${total === 1 ? "" : "s"}` : "";
}
function select(i) {
  sel = i;
  [...results.children].forEach((li, j) => li.classList.toggle("sel", j === i));
  const li = results.children[i];
  if (li) li.scrollIntoView({ block: "nearest" });
}
function pick(i) {
  const r = items[i];
  if (!r) return;
  closeSearch();
  navigate(`/specs/${encodeURIComponent(r.spec.name)}`);
}
const runSearch = debounce(async () => {
  const q = input.value.trim();
  if (!q) return renderResults([]);
  try {
    const res = await get(`/search?q=${encodeURIComponent(q)}&limit=20`);
    if (input.value.trim() === q) renderResults(res.results, res.total);
  } catch (err) {
    clear(results);
    results.append(h("li", { class: "none" }, err.message));
  }
}, 140);
input.addEventListener("input", runSearch);
input.addEventListener("keydown", (ev) => {
  if (ev.key === "ArrowDown") { ev.preventDefault(); select(Math.min(items.length - 1, sel + 1)); }
  else if (ev.key === "ArrowUp") { ev.preventDefault(); select(Math.max(0, sel - 1)); }
  else if (ev.key === "Enter") { ev.preventDefault(); pick(sel); }
});
overlay.addEventListener("click", (ev) => { if (ev.target === overlay) closeSearch(); });
document.getElementById("search-btn").addEventListener("click", openSearch);
const isMac = /Mac|iPhone|iPad/.test(navigator.platform);
document.getElementById("search-kbd").textContent = isMac ? "⌘K" : "Ctrl K";
document.addEventListener("keydown", (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "k") { ev.preventDefault(); overlay.hidden ? openSearch() : closeSearch(); }
  else if (ev.key === "Escape" && !overlay.hidden) closeSearch();
  else if (ev.key === "/" && overlay.hidden && !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) { ev.preventDefault(); openSearch(); }
});

// ------------------------------------------------------------------- start
function login(view, message) {
  clear(view);
  const key = h("input", { class: "input", type: "password", placeholder: "API key", autocomplete: "current-password" });
  view.append(h("form", { class: "login", onsubmit: (ev) => {
    ev.preventDefault();
    session.token = key.value.trim();
    localStorage.setItem("leanspec.token", session.token);
    start();
  } }, h("div", { class: "panel" }, h("h3", {}, "This server needs an API key"), h("div", { class: "muted" }, message), key, h("button", { class: "btn primary" }, "Continue"))));
  key.focus();
}

async function start() {
  const view = document.getElementById("view");
  try {
    app.info = await request("GET", "/info", { global: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return login(view, "Set by LEANSPEC_API_KEY when the server started.");
    return showError(view, err);
  }
  app.readonly = app.info.readonly;
  document.getElementById("ro-badge").hidden = !app.readonly;
  session.multi = app.info.projects.length > 1;
  const sw = document.getElementById("project-switch");
  if (session.multi) {
    clear(sw);
    for (const p of app.info.projects) sw.append(h("option", { value: p.id }, p.name));
    sw.hidden = false;
    sw.addEventListener("change", () => {
      session.project = sw.value;
      connectEvents();
      const r = parse(location.pathname);
      navigate(`/p/${encodeURIComponent(sw.value)}/${r.page === "spec" ? "specs" : r.page}`);
    });
    const r = parse(location.pathname);
    session.project = r.project && app.info.projects.some((p) => p.id === r.project) ? r.project : app.info.default_project;
  }
  connectEvents();
  await route();
}

start();
