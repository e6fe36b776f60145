// The dependency graph: a layered DAG drawn in SVG. Layers come from the server
// (DependencyGraph.layers(): a spec sits one column right of its deepest dependency);
// the order inside a layer is improved here with a few barycenter sweeps. Cycles are
// drawn red. Click a node to open the spec.
import { get } from "./api.js";
import { append, clear, h, STATUS_LABEL } from "./util.js";

const W = 208, H = 56, COL = 282, ROW = 72, PAD = 30, TOP = 40;

function svg(tag, attrs, ...kids) { return h(`svg:${tag}`, attrs, ...kids); }

function truncate(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

export async function mount(view, { app, ref: focusRef, params }) {
  const state = {
    parents: params.get("parents") === "1",
    isolated: params.get("isolated") !== "0",
    archived: params.get("archived") === "1",
    data: null,
  };
  const title = h("h1", {}, focusRef ? "Dependencies" : "Dependency graph");
  const sub = h("span", { class: "sub" });
  const focus = h("input", { class: "input", list: "graph-names", placeholder: "Focus on a spec…", value: focusRef || "", "aria-label": "Focus" });
  const names = h("datalist", { id: "graph-names" });
  const parents = h("input", { type: "checkbox", checked: state.parents });
  const isolated = h("input", { type: "checkbox", checked: state.isolated });
  const archived = h("input", { type: "checkbox", checked: state.archived });
  const whole = focusRef ? h("a", { class: "btn", href: app.href("/graph") }, "Whole project") : null;
  const note = h("div", { class: "legend", style: { margin: "0 0 10px" } });
  const wrap = h("div", { class: "graph-wrap", id: "graph" });
  view.append(
    h("div", { class: "page-head" }, title, sub,
      h("div", { class: "toolbar" }, focus, names, whole,
        h("label", { class: "check" }, isolated, "Unconnected"),
        h("label", { class: "check" }, parents, "Parent links"),
        h("label", { class: "check" }, archived, "Archived"))),
    note, wrap);

  focus.addEventListener("change", () => {
    const v = focus.value.trim();
    app.navigate(v ? `/graph/${encodeURIComponent(v)}` : "/graph");
  });
  for (const [box, key] of [[parents, "parents"], [isolated, "isolated"], [archived, "archived"]]) {
    box.addEventListener("change", () => { state[key] = box.checked; key === "archived" ? load() : draw(); });
  }

  function order(layers, deps, dependents) {
    // Barycenter heuristic: a node sits near the average position of its neighbours.
    const pos = new Map();
    layers.forEach((l) => l.forEach((n, i) => pos.set(n, i)));
    const sweep = (l, nb) => {
      const bc = (n) => {
        const ps = (nb.get(n) || []).filter((m) => pos.has(m)).map((m) => pos.get(m));
        return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : pos.get(n);
      };
      const sorted = [...l].sort((a, b) => bc(a) - bc(b));
      sorted.forEach((n, i) => pos.set(n, i));
      return sorted;
    };
    for (let it = 0; it < 4; it++) {
      for (let i = 1; i < layers.length; i++) layers[i] = sweep(layers[i], deps);
      for (let i = layers.length - 2; i >= 0; i--) layers[i] = sweep(layers[i], dependents);
    }
    return layers;
  }

  function draw() {
    const d = state.data;
    clear(wrap);
    const depEdges = d.edges.filter((e) => e.type === "depends_on");
    const parentEdges = state.parents ? d.edges.filter((e) => e.type === "parent") : [];
    const connected = new Set();
    for (const e of [...depEdges, ...parentEdges]) { connected.add(e.from); connected.add(e.to); }
    const keep = (n) => state.isolated || connected.has(n) || n === d.focus;
    const byId = new Map(d.nodes.map((n) => [n.id, n]));
    let layers = d.layers.map((l) => l.filter((n) => byId.has(n) && keep(n))).filter((l) => l.length);
    const deps = new Map(), dependents = new Map();
    for (const e of depEdges) {
      (deps.get(e.from) || deps.set(e.from, []).get(e.from)).push(e.to);
      (dependents.get(e.to) || dependents.set(e.to, []).get(e.to)).push(e.from);
    }
    layers = order(layers, deps, dependents);
    const inCycle = new Set(d.cycles.flat());
    const cycleOf = new Map();
    d.cycles.forEach((c, i) => c.forEach((n) => cycleOf.set(n, i)));
    // Specs with no links at all go to a compact grid after the DAG, so they do not
    // stretch the first layer into one endless column.
    const lonely = layers.length ? layers[0].filter((n) => !connected.has(n) && n !== d.focus) : [];
    const lonelySet = new Set(lonely);
    if (lonely.length) layers[0] = layers[0].filter((n) => !lonelySet.has(n));
    layers = layers.filter((l) => l.length);
    const xy = new Map();
    const tallest = Math.max(0, ...layers.map((l) => l.length));
    layers.forEach((l, i) => {
      const offset = ((tallest - l.length) * ROW) / 2;
      l.forEach((n, j) => xy.set(n, { x: PAD + i * COL, y: TOP + offset + j * ROW }));
    });
    // Unlinked specs: a grid under the DAG, as wide as the DAG (at least four columns).
    const gridCols = Math.max(4, layers.length);
    const lonelyTop = TOP + tallest * ROW + (tallest ? 36 : 0);
    lonely.forEach((n, k) => xy.set(n, { x: PAD + (k % gridCols) * COL, y: lonelyTop + Math.floor(k / gridCols) * ROW }));
    const lonelyRows = Math.ceil(lonely.length / gridCols);
    const columns = Math.max(layers.length, lonely.length ? Math.min(gridCols, lonely.length) : 0);
    const width = PAD * 2 + Math.max(1, columns) * COL - (COL - W);
    const height = (lonely.length ? lonelyTop + lonelyRows * ROW : TOP + tallest * ROW) + PAD - 16;
    const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Dependency graph" });
    const defs = svg("defs", {});
    for (const kind of ["", "hot", "cycle"]) {
      defs.append(svg("marker", { id: `arrow${kind}`, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: `arrow ${kind}` })));
    }
    root.append(defs);
    layers.forEach((_l, i) => root.append(svg("text", { x: PAD + i * COL, y: 22, class: "glayer" }, i === 0 ? "No dependencies" : `Layer ${i + 1}`)));
    if (lonely.length) root.append(svg("text", { x: PAD, y: lonelyTop - 18, class: "glayer" }, "No dependency links"));
    const edgeEls = [];
    const edge = (e, cls) => {
      const a = xy.get(e.to), b = xy.get(e.from); // dependency -> dependent
      if (!a || !b) return;
      const cyc = cls !== "parent" && cycleOf.has(e.from) && cycleOf.get(e.from) === cycleOf.get(e.to);
      let path;
      if (a.x === b.x) { // same layer (cycles, parent links): loop out on the right
        const x = a.x + W, y1 = a.y + H / 2, y2 = b.y + H / 2, bulge = 40 + Math.abs(y2 - y1) / 4;
        path = `M${x},${y1} C${x + bulge},${y1} ${x + bulge},${y2} ${x + 2},${y2}`;
      } else if (a.x < b.x) {
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        path = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      } else {
        const x1 = a.x, y1 = a.y + H / 2, x2 = b.x + W + 2, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        path = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      }
      const kind = cyc ? "cycle" : cls;
      const p = svg("path", { d: path, class: `gedge ${kind}`, "marker-end": `url(#arrow${cyc ? "cycle" : ""})`, dataset: { from: e.from, to: e.to } });
      edgeEls.push(p);
      root.append(p);
    };
    depEdges.forEach((e) => edge(e, ""));
    parentEdges.forEach((e) => edge(e, "parent"));
    for (const [n, p] of xy) {
      const s = byId.get(n);
      const cls = ["gnode", `st-${s.status}`, inCycle.has(n) ? "cycle" : "", n === d.focus ? "focus" : ""].join(" ");
      const g = svg("g", { class: cls, transform: `translate(${p.x},${p.y})`, tabindex: "0", role: "link", dataset: { name: n } },
        svg("title", {}, `${s.name}\n${s.title}\n${STATUS_LABEL[s.status] || s.status}${s.priority ? ", " + s.priority : ""}`),
        svg("rect", { class: "box", width: W, height: H, rx: 9 }),
        svg("rect", { class: "stripe", x: 0, y: 8, width: 4, height: H - 16, rx: 2 }),
        svg("text", { x: 14, y: 21, class: "gnum" }, s.number != null ? `#${s.number}` : ""),
        svg("text", { x: 14 + (s.number != null ? 40 : 0), y: 21, class: "gstat" }, (STATUS_LABEL[s.status] || s.status) + (s.priority ? ` · ${s.priority}` : "")),
        svg("text", { x: 14, y: 41 }, truncate(s.title, 25)));
      const open = () => app.navigate(`/specs/${encodeURIComponent(n)}`);
      g.addEventListener("click", open);
      g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") open(); });
      g.addEventListener("mouseenter", () => edgeEls.forEach((el) => {
        if (el.dataset.from === n || el.dataset.to === n) { el.classList.add("hot"); if (!el.classList.contains("cycle")) el.setAttribute("marker-end", "url(#arrowhot)"); }
      }));
      g.addEventListener("mouseleave", () => edgeEls.forEach((el) => {
        el.classList.remove("hot"); if (!el.classList.contains("cycle")) el.setAttribute("marker-end", "url(#arrow)");
      }));
      root.append(g);
    }
    wrap.append(xy.size ? root : h("div", { class: "empty", style: { margin: "20px" } }, "No specs to show."));
    // Fit a slightly-too-wide graph into the view; a big one scrolls instead of shrinking to unreadable.
    const room = wrap.clientWidth - 4;
    if (xy.size && width > room && room / width >= 0.6) {
      root.setAttribute("width", String(room));
      root.setAttribute("height", String(Math.round((height * room) / width)));
    }
    const shown = xy.size;
    sub.textContent = `${shown} spec${shown === 1 ? "" : "s"} · ${depEdges.length} dependenc${depEdges.length === 1 ? "y" : "ies"}`;
    clear(note);
    append(note, [
      h("span", {}, h("i", { class: "line" }), "A → B: B depends on A"),
      d.cycles.length ? h("span", { class: "cycle-note" }, h("i", { class: "line cycle" }), `${d.cycles.length} cycle${d.cycles.length === 1 ? "" : "s"}: ${d.cycles.map((c) => c.map((n) => n.split("-")[0]).join(" → ")).join("; ")}`) : h("span", {}, "No cycles"),
      d.critical_path && d.critical_path.length > 1 ? h("span", {}, `Critical path: ${d.critical_path.map((n) => n.split("-")[0]).join(" → ")}`) : null,
    ]);
    if (d.focus) {
      const p = xy.get(d.focus);
      if (p) wrap.scrollTo({ left: Math.max(0, p.x - wrap.clientWidth / 2 + W / 2), top: Math.max(0, p.y - wrap.clientHeight / 2) });
    }
  }

  async function load() {
    const p = new URLSearchParams();
    if (focusRef) p.set("spec", focusRef);
    if (state.archived) p.set("archived", "true");
    state.data = await get(`/deps?${p}`);
    clear(names);
    for (const n of state.data.nodes) names.append(h("option", { value: n.name }, n.title));
    if (!focusRef) {
      try {
        const all = await get("/specs");
        clear(names);
        for (const s of all.specs) names.append(h("option", { value: s.name }, s.title));
      } catch { /* the graph still works without the name list */ }
    }
    draw();
  }

  await load();
  return { title: focusRef ? `Graph: ${focusRef}` : "Graph", refresh: () => load().catch(() => {}) };
}
