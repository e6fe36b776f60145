// The dependency graph: a layered DAG drawn in SVG. Layers come from the server
// (DependencyGraph.layers(): a spec sits one column right of its deepest dependency);
// the order inside a layer is improved here with a few barycenter sweeps. Cycles are
// drawn red. Click a node to open the spec.
import { get } from "./api.js";
import { t } from "./i18n.js";
import { append, clear, h, prioLabel, statusLabel } from "./util.js";

const W = 232, H = 56, COL = 300, ROW = 72, PAD = 30, TOP = 40;
const VIRTUAL = 300; // above this many specs only the visible part is drawn
const LOD = 0.3; // below this zoom a big graph is drawn as an overview (no text)

function svg(tag, attrs, ...kids) { return h(`svg:${tag}`, attrs, ...kids); }

function truncate(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }

export async function mount(view, { app, ref: focusRef, params }) {
  const state = {
    parents: params.get("parents") === "1",
    isolated: params.get("isolated") !== "0",
    archived: params.get("archived") === "1",
    data: null,
    viewed: false, // the first drawing chose the view; later ones keep it
  };
  const title = h("h1", {}, focusRef ? t("Dependencies") : t("Dependency graph"));
  const sub = h("span", { class: "sub" });
  const focus = h("input", { class: "input", list: "graph-names", placeholder: t("Focus on a spec…"), value: focusRef || "", "aria-label": t("Focus") });
  const names = h("datalist", { id: "graph-names" });
  const parents = h("input", { type: "checkbox", checked: state.parents });
  const isolated = h("input", { type: "checkbox", checked: state.isolated });
  const archived = h("input", { type: "checkbox", checked: state.archived });
  const whole = focusRef ? h("a", { class: "btn", href: app.href("/graph") }, t("Whole project")) : null;
  const note = h("div", { class: "legend", style: { margin: "0 0 10px" } });
  const wrap = h("div", { class: "graph-wrap", id: "graph", tabindex: "0", "aria-label": t("Dependency graph: drag to pan, wheel or +/− to zoom, 0 to fit") });
  const zoomLabel = h("span", { class: "zoom-label", id: "zoom-label" });
  const zoomBar = h("div", { class: "zoom-bar" },
    h("button", { type: "button", class: "icon-btn", id: "zoom-in", title: t("Zoom in (+)"), "aria-label": t("Zoom in (+)"), onclick: () => zoomBy(1.25) }, "+"),
    h("button", { type: "button", class: "icon-btn", id: "zoom-out", title: t("Zoom out (−)"), "aria-label": t("Zoom out (−)"), onclick: () => zoomBy(0.8) }, "−"),
    h("button", { type: "button", class: "btn small", id: "zoom-fit", title: t("Fit the whole graph (0)"), onclick: () => fit() }, t("Fit")),
    h("button", { type: "button", class: "btn small", id: "zoom-reset", title: t("Actual size (1)"), onclick: () => setView(1, 0, 0) }, "100%"),
    zoomLabel);
  view.append(
    h("div", { class: "page-head" }, title, sub,
      h("div", { class: "toolbar" }, focus, names, whole,
        h("label", { class: "check" }, isolated, t("Unconnected")),
        h("label", { class: "check" }, parents, t("Parent links")),
        h("label", { class: "check" }, archived, t("Archived")))),
    note, h("div", { class: "graph-box" }, zoomBar, wrap));

  // ------------------------------------------------------------ zoom and pan
  // The drawing lives in one <g> whose transform is translate(tx,ty) scale(k).
  const vp = { k: 1, tx: 0, ty: 0, width: 0, height: 0, g: null, paint: null };
  function setView(k, tx, ty) {
    state.viewed = true; // a view chosen (by the user or the first drawing) is kept
    vp.k = Math.min(3, Math.max(0.05, k));
    const room = wrap.getBoundingClientRect();
    // keep some of the drawing on screen
    vp.tx = Math.min(room.width - 60, Math.max(-(vp.width * vp.k) + 60, tx));
    vp.ty = Math.min(room.height - 60, Math.max(-(vp.height * vp.k) + 60, ty));
    if (vp.g) vp.g.setAttribute("transform", `translate(${vp.tx.toFixed(1)},${vp.ty.toFixed(1)}) scale(${vp.k.toFixed(4)})`);
    if (vp.paint) vp.paint();
    zoomLabel.textContent = `${Math.round(vp.k * 100)}%`;
    wrap.dataset.zoom = vp.k.toFixed(3);
  }
  function zoomBy(f, cx, cy) {
    const room = wrap.getBoundingClientRect();
    const x = cx ?? room.width / 2, y = cy ?? room.height / 2;
    const k = Math.min(3, Math.max(0.05, vp.k * f));
    setView(k, x - ((x - vp.tx) * k) / vp.k, y - ((y - vp.ty) * k) / vp.k);
  }
  function fit() {
    const room = wrap.getBoundingClientRect();
    if (!vp.width || !room.width) return;
    const k = Math.min(1, (room.width - 16) / vp.width, (room.height - 16) / vp.height);
    setView(k, (room.width - vp.width * k) / 2, Math.max(8, (room.height - vp.height * k) / 2));
  }
  function centerOn(x, y, k = vp.k) {
    const room = wrap.getBoundingClientRect();
    setView(k, room.width / 2 - x * k, room.height / 2 - y * k);
  }
  wrap.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = wrap.getBoundingClientRect();
    if (ev.ctrlKey || ev.metaKey || Math.abs(ev.deltaY) > Math.abs(ev.deltaX) && !ev.shiftKey) zoomBy(Math.exp(-ev.deltaY * 0.0015), ev.clientX - r.left, ev.clientY - r.top);
    else setView(vp.k, vp.tx - ev.deltaX, vp.ty - ev.deltaY);
  }, { passive: false });
  let drag = null;
  wrap.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0 || ev.target.closest(".gnode")) return;
    drag = { x: ev.clientX, y: ev.clientY, tx: vp.tx, ty: vp.ty };
    wrap.setPointerCapture(ev.pointerId);
    wrap.classList.add("panning");
  });
  wrap.addEventListener("pointermove", (ev) => { if (drag) setView(vp.k, drag.tx + ev.clientX - drag.x, drag.ty + ev.clientY - drag.y); });
  const endDrag = () => { drag = null; wrap.classList.remove("panning"); };
  wrap.addEventListener("pointerup", (ev) => {
    // a click (no drag) on the zoomed-out overview zooms in there
    if (drag && Math.abs(ev.clientX - drag.x) + Math.abs(ev.clientY - drag.y) < 5 && vp.overviewClick) {
      const r = wrap.getBoundingClientRect();
      vp.overviewClick(ev.clientX - r.left, ev.clientY - r.top);
    }
    endDrag();
  });
  wrap.addEventListener("pointercancel", endDrag);
  wrap.addEventListener("keydown", (ev) => {
    const step = 60;
    const keys = { "+": () => zoomBy(1.25), "=": () => zoomBy(1.25), "-": () => zoomBy(0.8), "0": () => fit(), "1": () => setView(1, 0, 0),
      ArrowLeft: () => setView(vp.k, vp.tx + step, vp.ty), ArrowRight: () => setView(vp.k, vp.tx - step, vp.ty),
      ArrowUp: () => setView(vp.k, vp.tx, vp.ty + step), ArrowDown: () => setView(vp.k, vp.tx, vp.ty - step) };
    if (keys[ev.key] && !ev.target.closest(".gnode")) { ev.preventDefault(); keys[ev.key](); }
  });

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
      const bc = new Map();
      for (const n of l) {
        let sum = 0, k = 0;
        for (const m of nb.get(n) || []) { const q = pos.get(m); if (q !== undefined) { sum += q; k++; } }
        bc.set(n, k ? sum / k : pos.get(n));
      }
      const sorted = [...l].sort((a, b) => bc.get(a) - bc.get(b));
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
    const root = svg("svg", { width: "100%", height: "100%", role: "img", "aria-label": t("Dependency graph") });
    const stage = svg("g", { class: "stage" });
    vp.g = stage;
    vp.width = width;
    vp.height = height;
    const defs = svg("defs", {});
    for (const kind of ["", "hot", "cycle"]) {
      defs.append(svg("marker", { id: `arrow${kind}`, viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: `arrow ${kind}` })));
    }
    root.append(defs, stage);
    layers.forEach((_l, i) => stage.append(svg("text", { x: PAD + i * COL, y: 22, class: "glayer" }, i === 0 ? t("No dependencies") : t("Layer {n}", { n: i + 1 }))));
    if (lonely.length) stage.append(svg("text", { x: PAD, y: lonelyTop - 18, class: "glayer" }, t("No dependency links")));

    // Edges: geometry computed once (path, kind, bounding box); elements made on demand.
    const edges = [];
    const addEdge = (e, cls) => {
      const a = xy.get(e.to), b = xy.get(e.from); // dependency -> dependent
      if (!a || !b) return;
      const cyc = cls !== "parent" && cycleOf.has(e.from) && cycleOf.get(e.from) === cycleOf.get(e.to);
      let path, x0, x1;
      if (a.x === b.x) {
        // Same layer (a cycle's members share one, parent links): downward edges loop
        // out on the right, upward ones on the left, so a cycle reads as a closed loop.
        const y1 = a.y + H / 2, y2 = b.y + H / 2, bulge = 46 + Math.abs(y2 - y1) / 3;
        if (y2 >= y1) { const x = a.x + W; path = `M${x},${y1} C${x + bulge},${y1} ${x + bulge},${y2} ${x + 2},${y2}`; x0 = x; x1 = x + bulge; }
        else { const x = a.x; path = `M${x},${y1} C${x - bulge},${y1} ${x - bulge},${y2} ${x - 2},${y2}`; x0 = x - bulge; x1 = x; }
      } else if (a.x < b.x) {
        const x1_ = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2, mx = (x1_ + x2) / 2;
        path = `M${x1_},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`; x0 = x1_; x1 = x2;
      } else {
        const x1_ = a.x, y1 = a.y + H / 2, x2 = b.x + W + 2, y2 = b.y + H / 2, mx = (x1_ + x2) / 2;
        path = `M${x1_},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`; x0 = x2; x1 = x1_;
      }
      const y0 = Math.min(a.y, b.y), y1b = Math.max(a.y, b.y) + H;
      edges.push({ from: e.from, to: e.to, d: path, kind: cyc ? "cycle" : cls, box: [x0, y0, x1, y1b], el: null });
    };
    depEdges.forEach((e) => addEdge(e, ""));
    parentEdges.forEach((e) => addEdge(e, "parent"));
    const edgeEl = (e) => e.el || (e.el = svg("path", { d: e.d, class: `gedge ${e.kind}`, "marker-end": `url(#arrow${e.kind === "cycle" ? "cycle" : ""})`, dataset: { from: e.from, to: e.to } }));

    const nodeEls = new Map();
    const nodeEl = (n) => {
      let g = nodeEls.get(n);
      if (g) return g;
      const s = byId.get(n), p = xy.get(n);
      const cls = ["gnode", `st-${s.status}`, inCycle.has(n) ? "cycle" : "", n === d.focus ? "focus" : ""].join(" ");
      g = svg("g", { class: cls, transform: `translate(${p.x},${p.y})`, tabindex: "0", role: "link", "aria-label": `${s.number != null ? "#" + s.number + " " : ""}${s.title}`, dataset: { name: n } },
        svg("title", {}, `${s.name}\n${s.title}\n${statusLabel(s.status)}${s.priority ? ", " + prioLabel(s.priority) : ""}`),
        svg("rect", { class: "box", width: W, height: H, rx: 9 }),
        svg("rect", { class: "stripe", x: 0, y: 8, width: 4, height: H - 16, rx: 2 }),
        svg("text", { x: 14, y: 21, class: "gnum" }, s.number != null ? `#${s.number}` : ""),
        svg("text", { x: 14 + (s.number != null ? 40 : 0), y: 21, class: "gstat" }, statusLabel(s.status) + (s.priority ? ` · ${prioLabel(s.priority)}` : "")),
        svg("text", { x: 14, y: 41, class: "gtitle" }, truncate(s.title, 30)));
      nodeEls.set(n, g);
      return g;
    };

    // A big graph draws only what is on screen (plus a margin), again after each pan or
    // zoom (once per frame); zoomed far out it draws the overview: every box as part of
    // one path per status, the edges as one path per kind, no text. A small graph draws
    // everything once.
    const cull = xy.size > VIRTUAL;
    const edgeG = svg("g", { class: "gedges" });
    const nodeG = svg("g", { class: "gnodes" });
    const overview = svg("g", { class: "goverview" });
    stage.append(edgeG, nodeG, overview);
    let shownEdges = [];
    let lastKey = "";
    function paint() {
      paint.queued = false;
      if (!root.isConnected && cull) return;
      const room = wrap.getBoundingClientRect();
      const far = cull && vp.k < LOD;
      let x0 = -Infinity, y0 = -Infinity, x1 = Infinity, y1 = Infinity;
      if (cull) {
        const m = 240 / vp.k;
        x0 = -vp.tx / vp.k - m; y0 = -vp.ty / vp.k - m;
        x1 = x0 + room.width / vp.k + 2 * m; y1 = y0 + room.height / vp.k + 2 * m;
      }
      // Redraw only when the drawn window moved by more than its margin.
      const grid = cull ? 200 / vp.k : 1;
      const key = far ? "far" : `${Math.floor(x0 / grid)},${Math.floor(y0 / grid)},${Math.round(vp.k * 20)}`;
      if (key === lastKey) return;
      lastKey = key;
      wrap.classList.toggle("overview", far);
      if (far) {
        nodeG.replaceChildren();
        edgeG.replaceChildren();
        shownEdges = [];
        const byKind = new Map();
        for (const [n, p] of xy) {
          const k = inCycle.has(n) ? "cycle" : byId.get(n).status;
          byKind.set(k, (byKind.get(k) || "") + `M${p.x},${p.y}h${W}v${H}h${-W}z`);
        }
        const ed = { "": "", cycle: "", parent: "" };
        for (const e of edges) ed[e.kind] += e.d;
        overview.replaceChildren(
          ...Object.entries(ed).filter(([, v]) => v).map(([k, v]) => svg("path", { d: v, class: `gedge ${k}` })),
          ...[...byKind].map(([k, v]) => svg("path", { d: v, class: `gbox st-${k}${k === "cycle" ? " cycle" : ""}` })));
        return;
      }
      overview.replaceChildren();
      const nodes = [];
      for (const [n, p] of xy) if (p.x + W >= x0 && p.x <= x1 && p.y + H >= y0 && p.y <= y1) nodes.push(nodeEl(n));
      shownEdges = edges.filter((e) => e.box[2] >= x0 && e.box[0] <= x1 && e.box[3] >= y0 && e.box[1] <= y1);
      edgeG.replaceChildren(...shownEdges.map(edgeEl));
      nodeG.replaceChildren(...nodes);
      wrap.dataset.drawn = String(nodes.length);
    }
    vp.paint = () => { if (!paint.queued) { paint.queued = true; requestAnimationFrame(paint); } };
    const open = (n) => app.navigate(`/specs/${encodeURIComponent(n)}`);
    nodeG.addEventListener("click", (ev) => { const g = ev.target.closest(".gnode"); if (g) open(g.dataset.name); });
    nodeG.addEventListener("keydown", (ev) => { const g = ev.target.closest(".gnode"); if (g && ev.key === "Enter") open(g.dataset.name); });
    nodeG.addEventListener("mouseover", (ev) => {
      const g = ev.target.closest(".gnode");
      if (!g || g === nodeG.hot) return;
      nodeG.hot = g;
      const n = g.dataset.name;
      for (const e of shownEdges) {
        const on = e.from === n || e.to === n;
        e.el.classList.toggle("hot", on);
        if (e.kind !== "cycle") e.el.setAttribute("marker-end", on ? "url(#arrowhot)" : "url(#arrow)");
      }
    });
    nodeG.addEventListener("mouseleave", () => {
      nodeG.hot = null;
      for (const e of shownEdges) { e.el.classList.remove("hot"); if (e.kind !== "cycle") e.el.setAttribute("marker-end", "url(#arrow)"); }
    });
    // Zoomed out, a click zooms in on that spot.
    vp.overviewClick = (cx, cy) => { if (wrap.classList.contains("overview")) zoomBy(LOD * 1.6 / vp.k, cx, cy); };
    paint();
    wrap.append(xy.size ? root : h("div", { class: "empty", style: { margin: "20px" } }, t("No specs to show.")));
    const shown = xy.size;
    sub.textContent = t("{n} specs · {e} dependencies", { n: shown, e: depEdges.length });
    clear(note);
    append(note, [
      h("span", {}, h("i", { class: "line" }), t("A → B: B depends on A")),
      d.cycles.length ? h("span", { class: "cycle-note" }, h("i", { class: "line cycle" }), t("{n} cycle(s): {list}", { n: d.cycles.length, list: d.cycles.map((c) => [...c, c[0]].map((n) => n.split("-")[0]).join(" → ")).join("; ") })) : h("span", {}, t("No cycles")),
      d.cycles.length ? h("span", { id: "critical-path" }, t("No critical path while dependencies form a cycle."))
        : d.critical_path && d.critical_path.length > 1 ? h("span", { id: "critical-path" }, t("Critical path: {path}", { path: d.critical_path.map((n) => n.split("-")[0]).join(" → ") })) : null,
    ]);
    // Start readable: fit when the whole graph stays legible, otherwise actual size at
    // the focused spec (or the top left); Fit and the wheel are always there. A redraw
    // (a live change, a toggle) keeps the view the user chose.
    requestAnimationFrame(() => {
      if (state.viewed) { setView(vp.k, vp.tx, vp.ty); return; }
      const room = wrap.getBoundingClientRect();
      const k = Math.min(1, (room.width - 16) / width, (room.height - 16) / height);
      const p = d.focus ? xy.get(d.focus) : null;
      if (p) centerOn(p.x + W / 2, p.y + H / 2, Math.max(0.6, k));
      else if (k >= 0.55) fit();
      else setView(1, 0, 0);
    });
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
        const all = await get("/board?compact=true");
        clear(names);
        for (const s of all.groups.flatMap((g) => g.specs)) names.append(h("option", { value: s.name }, s.title));
      } catch { /* the graph still works without the name list */ }
    }
    draw();
  }

  await load();
  performance.mark("graph-ready");
  return { title: focusRef ? t("Graph: {ref}", { ref: focusRef }) : t("Graph"), refresh: () => load().catch(() => {}) };
}
