// The shell: routing (history API, project-scoped URLs, a real 404), theme
// (light/dark/system), language, live updates (SSE), quick search with recent
// searches, keyboard shortcuts and their help, the project switcher.
// Each page is a module exporting mount(el, ctx) -> {refresh, unmount, title}.
import { ApiError, get, request, session } from "./api.js";
import { LANGS, lang, setLang, t, translateShell } from "./i18n.js";
import { clear, debounce, errText, h, statusBadge, toast } from "./util.js";

const PAGES = {
  board: () => import("./board.js"),
  specs: () => import("./list.js"),
  spec: () => import("./spec.js"),
  graph: () => import("./graph.js"),
  stats: () => import("./stats.js"),
  notfound: () => Promise.resolve({ mount: notFoundPage }),
};

export const app = {
  info: null,
  readonly: false,
  current: null, // the mounted page
  navigate,
  href,
  showError,
};
window.leanspec = app; // for debugging and the end-to-end tests

translateShell();

// ------------------------------------------------------------------ theme
function themePref() { const p = localStorage.getItem("leanspec.theme"); return p === "light" || p === "dark" ? p : "system"; }
function applyTheme() {
  const pref = themePref();
  const dark = pref === "dark" || (pref === "system" && matchMedia("(prefers-color-scheme: dark)").matches);
  const before = document.documentElement.dataset.theme;
  document.documentElement.dataset.theme = dark ? "dark" : "light";
  document.documentElement.dataset.themePref = pref;
  for (const b of document.querySelectorAll("[data-theme-choice]")) b.setAttribute("aria-checked", String(b.dataset.themeChoice === pref));
  if (before && before !== document.documentElement.dataset.theme && app.current && app.current.themeChanged) app.current.themeChanged();
}
export function setTheme(pref) {
  if (pref === "system") localStorage.removeItem("leanspec.theme");
  else localStorage.setItem("leanspec.theme", pref);
  applyTheme();
}
applyTheme();
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", applyTheme);

const settings = document.getElementById("settings");
const themeBtn = document.getElementById("theme-btn");
function toggleSettings(open = settings.hidden) {
  settings.hidden = !open;
  themeBtn.setAttribute("aria-expanded", String(open));
}
themeBtn.addEventListener("click", (ev) => { ev.stopPropagation(); toggleSettings(); });
document.addEventListener("click", (ev) => { if (!settings.hidden && !ev.target.closest(".menu-wrap")) toggleSettings(false); });
for (const b of document.querySelectorAll("[data-theme-choice]")) b.addEventListener("click", () => setTheme(b.dataset.themeChoice));
const langSel = document.getElementById("lang-select");
for (const [code, label] of LANGS) langSel.append(h("option", { value: code, selected: code === lang }, label));
langSel.addEventListener("change", () => {
  if (app.current && app.current.busy) { toast(t("Wait until your edits are saved."), "error"); langSel.value = lang; return; }
  setLang(langSel.value);
  location.reload();
});

// Mobile: the nav collapses behind a menu button.
const topbar = document.getElementById("topbar");
const menuBtn = document.getElementById("menu-btn");
menuBtn.addEventListener("click", (ev) => {
  ev.stopPropagation();
  const open = !topbar.classList.contains("open");
  topbar.classList.toggle("open", open);
  menuBtn.setAttribute("aria-expanded", String(open));
});
document.addEventListener("click", (ev) => { if (topbar.classList.contains("open") && !ev.target.closest("#menu-btn")) topbar.classList.remove("open"); });

// ----------------------------------------------------------------- routing
// /board, /specs, /specs/<ref>, /graph, /graph/<ref>, /stats; with several projects
// every URL names its project: /p/<id>/board. Anything else is a 404 page.
export function parse(pathname) {
  let parts;
  try { parts = pathname.split("/").filter(Boolean).map(decodeURIComponent); } catch { return { project: null, page: "notfound", ref: null }; }
  let project = null;
  if (parts[0] === "p" && parts.length >= 2) {
    project = parts[1];
    parts = parts.slice(2);
  }
  const [page = "board", ...rest] = parts;
  if (page === "specs" && rest.length === 1) return { project, page: "spec", ref: rest[0] };
  if (page === "graph" && rest.length === 1) return { project, page: "graph", ref: rest[0] };
  if (rest.length || !["board", "specs", "graph", "stats"].includes(page)) return { project, page: "notfound", ref: null };
  return { project, page, ref: null };
}

export function href(path) {
  return session.multi ? `/p/${encodeURIComponent(session.project)}${path}` : path;
}

export function navigate(path, { replace = false } = {}) {
  const url = path.startsWith("/p/") || !session.multi ? path : href(path);
  if (app.current && app.current.busy) {
    // Edits still on their way: the page stays mounted until they are written.
    toast(t("Saving your edits first…"), "info", 1500);
  }
  if (replace) history.replaceState({}, "", url);
  else history.pushState({}, "", url);
  route();
}

document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[href]");
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.target === "_blank") return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/static/")) return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return; // in-page anchor
  ev.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener("popstate", () => route());

let routeSeq = 0;
async function route() {
  const r = parse(location.pathname);
  if (session.multi) {
    const known = app.info.projects.map((p) => p.id);
    if (r.project && !known.includes(r.project)) r.page = "notfound";
    // A URL without /p/<id>/ is the default project's: make it say so, so Back and
    // reload always open the same project.
    const pid = r.project && known.includes(r.project) ? r.project : app.info.default_project;
    if (!r.project && r.page !== "notfound") history.replaceState(history.state, "", `/p/${encodeURIComponent(pid)}${location.pathname === "/" ? "/board" : location.pathname}${location.search}`);
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
    if (page === r.page || (page === "specs" && r.page === "spec")) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
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
    const page = await mod.mount(view, { app, ref: r.ref, params });
    if (seq !== routeSeq) { if (page && page.unmount) page.unmount(); return; }
    app.current = page;
  } catch (err) {
    if (seq === routeSeq) showError(view, err);
  }
  document.title = `${(app.current && app.current.title) || (r.page === "notfound" ? t("Not found") : "LeanSpec")} · LeanSpec`;
  if (location.hash) {
    const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
  }
}

function notFoundPage(view) {
  view.append(h("div", { class: "empty notfound", id: "not-found" },
    h("h1", {}, "404"), h("strong", {}, t("Page not found")), h("p", {}, t("Nothing lives at {path}.", { path: location.pathname })),
    h("a", { class: "btn", href: href("/board") }, t("Go to the board"))));
  return { title: t("Not found") };
}

export function showError(view, err) {
  clear(view);
  const notFound = err instanceof ApiError && err.status === 404;
  view.append(h("div", { class: `empty${notFound ? " notfound" : ""}`, id: notFound ? "not-found" : "page-error" },
    notFound ? h("h1", {}, "404") : null,
    h("strong", {}, notFound ? t("Not found") : t("Something went wrong")), h("br"),
    errText(err), notFound ? h("p", {}, h("a", { class: "btn", href: href("/board") }, t("Go to the board"))) : null));
}

// ------------------------------------------------------------ live updates
let source = null;
let retry = 0;
const live = document.getElementById("live");
let pending = new Set();
let changeTimer = null;
function onChange(paths, all) {
  if (all) pending.add("*");
  for (const p of paths) pending.add(p);
  if (changeTimer) return;
  changeTimer = setTimeout(() => {
    changeTimer = null;
    const list = [...pending];
    pending = new Set();
    // A live refresh is background work: if the server is unreachable the page keeps what
    // it shows (the live dot already says "Disconnected").
    if (app.current && app.current.refresh) Promise.resolve(app.current.refresh(list.includes("*") ? [] : list)).catch(() => {});
  }, 30);
}

function connectEvents() {
  if (source) source.close();
  const qs = session.token ? `?access_token=${encodeURIComponent(session.token)}` : "";
  const base = session.multi ? `/api/projects/${encodeURIComponent(session.project)}` : "/api";
  source = new EventSource(`${base}/events${qs}`);
  source.onopen = () => { retry = 0; live.className = "live on"; live.title = t("Live: changes on disk appear here"); };
  source.onerror = () => { live.className = "live off"; live.title = t("Disconnected; retrying…"); };
  source.onmessage = (ev) => {
    let data;
    try { data = JSON.parse(ev.data); } catch { return; }
    if (data.type === "hello") {
      live.className = "live on";
      if (retry++ > 0 || app.current) onChange([], true); // reconnected: we may have missed changes
      return;
    }
    if (data.type === "changed") onChange(data.paths || [], data.all);
  };
}

// ------------------------------------------------------------ quick search
const overlay = document.getElementById("search-overlay");
const input = document.getElementById("search-input");
const results = document.getElementById("search-results");
const count = document.getElementById("search-count");
const LIMIT = 20;
let sel = 0;
let items = [];

function recent() {
  try { const v = JSON.parse(localStorage.getItem("leanspec.recent") || "[]"); return Array.isArray(v) ? v.filter((x) => typeof x === "string").slice(0, 8) : []; }
  catch { return []; }
}
function remember(q) {
  q = q.trim();
  if (!q) return;
  localStorage.setItem("leanspec.recent", JSON.stringify([q, ...recent().filter((x) => x !== q)].slice(0, 8)));
}

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
  items = list.map((r) => ({ kind: "spec", r }));
  sel = 0;
  clear(results);
  const q = input.value.trim();
  if (!q) {
    const rec = recent();
    if (rec.length) {
      results.append(h("li", { class: "heading", role: "presentation" }, t("Recent searches")));
      items = rec.map((x) => ({ kind: "recent", q: x }));
      items.forEach((it, i) => results.append(h("li", { role: "option", class: `recent${i === 0 ? " sel" : ""}`, dataset: { i }, onclick: () => pick(i), onmousemove: () => select(i) },
        h("span", { class: "muted" }, "↺ "), it.q)));
    } else results.append(h("li", { class: "none" }, t("Type to search titles, tags and content")));
    count.textContent = "";
    return;
  }
  if (!list.length) results.append(h("li", { class: "none" }, t("No matching specs")));
  list.forEach((r, i) => {
    const s = r.spec;
    results.append(h("li", { role: "option", class: i === 0 ? "sel" : "", dataset: { i }, onclick: () => pick(i), onmousemove: () => select(i) },
      h("div", { class: "r-top" }, h("span", { class: "num" }, s.number != null ? `#${s.number}` : ""), h("span", { class: "r-title" }, s.title), statusBadge(s.status)),
      h("div", { class: "r-snip" }, snippet((r.matches || []).find((m) => m.field !== "title") || (r.matches || [])[0]))));
  });
  if (total > list.length) {
    items.push({ kind: "all", q });
    const i = items.length - 1;
    results.append(h("li", { role: "option", class: "all", id: "search-all", dataset: { i }, onclick: () => pick(i), onmousemove: () => select(i) },
      t("Show all {n} results in the spec list →", { n: total })));
  }
  count.textContent = total === undefined ? "" : total > list.length ? t("{shown} of {total} results", { shown: list.length, total }) : (total === 1 ? t("1 result") : t("{n} results", { n: total }));
}
function select(i) {
  sel = i;
  for (const li of results.querySelectorAll("li[data-i]")) li.classList.toggle("sel", Number(li.dataset.i) === i);
  const li = results.querySelector(`li[data-i="${i}"]`);
  if (li) li.scrollIntoView({ block: "nearest" });
}
function pick(i) {
  const it = items[i];
  if (!it) return;
  if (it.kind === "recent") { input.value = it.q; runSearch(); input.focus(); return; }
  remember(input.value);
  closeSearch();
  if (it.kind === "all") navigate(`/specs?q=${encodeURIComponent(it.q)}`);
  else navigate(`/specs/${encodeURIComponent(it.r.spec.name)}`);
}
const runSearch = debounce(async () => {
  const q = input.value.trim();
  if (!q) return renderResults([]);
  try {
    const res = await get(`/search?q=${encodeURIComponent(q)}&limit=${LIMIT}`);
    if (input.value.trim() === q) renderResults(res.results, res.total);
  } catch (err) {
    clear(results);
    results.append(h("li", { class: "none" }, errText(err)));
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

// ------------------------------------------------------- keyboard shortcuts
const SHORTCUTS = [
  [["/"], "Search"], [[isMac ? "⌘" : "Ctrl", "K"], "Search"], [["?"], "Show keyboard shortcuts"],
  [["g", "b"], "Go to the board"], [["g", "s"], "Go to the spec list"], [["g", "g"], "Go to the dependency graph"], [["g", "t"], "Go to stats"],
  [["f"], "Focus the filter (board, list)"], [["e"], "Edit the spec (spec page)"], [["d"], "Switch light / dark theme"], [["Esc"], "Close a dialog"],
];
let help = null;
function toggleHelp(open = !help) {
  if (!open) { if (help) help.remove(); help = null; return; }
  help = h("div", { class: "overlay", id: "help", onclick: (ev) => { if (ev.target === help) toggleHelp(false); } },
    h("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": t("Keyboard shortcuts") },
      h("h3", {}, t("Keyboard shortcuts")),
      h("table", { class: "shortcuts" }, SHORTCUTS.map(([keys, what]) => h("tr", {}, h("td", {}, keys.map((k, i) => [i ? " " : "", h("kbd", {}, k)])), h("td", {}, t(what))))),
      h("div", { class: "dialog-actions" }, h("button", { class: "btn", type: "button", onclick: () => toggleHelp(false) }, t("Close")))));
  document.body.append(help);
  help.querySelector("button").focus();
}
document.getElementById("help-btn").addEventListener("click", () => toggleHelp(true));

let gPending = 0;
const typing = () => /INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName) || document.activeElement.isContentEditable;
document.addEventListener("keydown", (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "k") { ev.preventDefault(); overlay.hidden ? openSearch() : closeSearch(); return; }
  if (ev.key === "Escape") {
    if (!overlay.hidden) closeSearch();
    else if (help) toggleHelp(false);
    else if (!settings.hidden) toggleSettings(false);
    return;
  }
  if (ev.ctrlKey || ev.metaKey || ev.altKey || !overlay.hidden || typing() || document.querySelector(".dialog-overlay")) return;
  const now = Date.now();
  if (gPending && now - gPending < 1200) {
    gPending = 0;
    const to = { b: "/board", s: "/specs", g: "/graph", t: "/stats" }[ev.key];
    if (to) { ev.preventDefault(); navigate(to); }
    return;
  }
  if (ev.key === "/") { ev.preventDefault(); openSearch(); }
  else if (ev.key === "?") { ev.preventDefault(); toggleHelp(); }
  else if (ev.key === "g") gPending = now;
  else if (ev.key === "d") setTheme(document.documentElement.dataset.theme === "dark" ? "light" : "dark");
  else if (ev.key === "f") { const f = document.querySelector("[data-filter]"); if (f) { ev.preventDefault(); f.focus(); } }
  else if (ev.key === "e") { const b = document.getElementById("edit-content"); if (b) { ev.preventDefault(); b.click(); } }
});

// ------------------------------------------------------------------- start
function login(view, message) {
  clear(view);
  const key = h("input", { class: "input", type: "password", placeholder: t("API key"), autocomplete: "current-password", "aria-label": t("API key") });
  view.append(h("form", { class: "login", onsubmit: (ev) => {
    ev.preventDefault();
    session.token = key.value.trim();
    localStorage.setItem("leanspec.token", session.token);
    start();
  } }, h("div", { class: "panel" }, h("h3", {}, t("This server needs an API key")), h("div", { class: "muted" }, message), key, h("button", { class: "btn primary" }, t("Continue")))));
  key.focus();
}

// The board's data is fetched while the page asks for /api/info (it is the page most
// people open first, and the biggest answer); board.js takes it from here once.
function prefetchBoard() {
  const m = /^\/(?:p\/([^/]+)\/)?(?:board\/?)?$/.exec(location.pathname);
  if (!m) return;
  const archived = new URLSearchParams(location.search).get("archived") === "1";
  const path = `${m[1] ? `/projects/${m[1]}` : ""}/board?compact=true&archived=${archived}`;
  app.prefetched = { pid: m[1] ? decodeURIComponent(m[1]) : null, archived, data: request("GET", path, { global: true }) };
  app.prefetched.data.catch(() => {});
}

async function start() {
  const view = document.getElementById("view");
  prefetchBoard();
  try {
    app.info = await request("GET", "/info", { global: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return login(view, t("Set by LEANSPEC_API_KEY when the server started."));
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
    sw.setAttribute("aria-label", t("Project"));
    sw.addEventListener("change", () => {
      const r = parse(location.pathname);
      const page = r.page === "spec" ? "specs" : r.page === "notfound" ? "board" : r.page;
      navigate(`/p/${encodeURIComponent(sw.value)}/${page}`);
    });
    const r = parse(location.pathname);
    session.project = r.project && app.info.projects.some((p) => p.id === r.project) ? r.project : app.info.default_project;
  }
  // The first page loads before the event stream opens (its "hello" then refreshes
  // the page once, so nothing that changed in between is missed).
  await route();
  connectEvents();
}

start();
