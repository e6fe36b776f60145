"""The dependency graph: ``depends_on`` and ``parent`` edges between specs.

References are resolved the way the store resolves them (folder name, number with
optional leading zeros, slug, title; see ``refs.resolve``). A reference that does not
resolve (a spec that was never created, or an ambiguous number) is reported in
``unresolved``; it never breaks the graph. Cycles are detected, never followed
forever: every traversal keeps a visited set.

Edge direction: ``{"from": A, "to": B, "type": "depends_on"}`` means A depends on B
(B must be done first); ``{"from": C, "to": P, "type": "parent"}`` means C is a child
of umbrella spec P.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..core import refs
from ..core.errors import AmbiguousSpec, InvalidInput, LeanSpecError, SpecNotFound
from ..core.model import Spec

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

MODES = ("complete", "upstream", "downstream", "impact")


def _num(s: Spec) -> int:
    return s.number if s.number is not None else 10**9


class Resolver:
    """Resolves spec references against a fixed list of specs (cached)."""

    def __init__(self, specs: Sequence[Spec]) -> None:
        self.specs = list(specs)
        self.by_name: dict[str, Spec] = {s.name: s for s in self.specs}
        if len(self.by_name) != len(self.specs):
            seen: set[str] = set()
            dup: set[str] = set()
            for s in self.specs:
                (dup if s.name in seen else seen).add(s.name)
            for n in dup:  # same folder name twice (e.g. in archived/ too): not a fast path
                del self.by_name[n]
        self._entries: list[refs.Entry] | None = None
        self._spec_of: dict[int, Spec] = {}
        self._cache: dict[str, tuple[Spec | None, str | None]] = {}
        self._titles: dict[int, str] | None = None

    def _ents(self) -> list[refs.Entry]:
        if self._entries is None:
            self._entries = []
            for s in self.specs:
                d = Path(s.path).parent
                e = refs.Entry(s.name, s.number, d, d.as_posix(), s.archived_dir, s.group)
                self._entries.append(e)
                self._spec_of[id(e)] = s
        return self._entries

    def get(self, ref: str, *, suggestions: bool = True) -> Spec:
        """The spec a reference names; raises SpecNotFound / AmbiguousSpec (with
        "did you mean" suggestions unless ``suggestions=False``)."""
        hit = self.by_name.get(ref) if type(ref) is str else None
        # A folder name as it is (the common depends_on entry): normalize_ref would
        # return it unchanged (ASCII is NFC; a name has no "/"), so skip it.
        if hit is not None and ref.isascii() and "\\" not in ref and ref.strip() == ref:
            return hit
        r = refs.normalize_ref(str(ref))
        last = r.rsplit("/", 1)[-1]
        hit = self.by_name.get(last)
        if hit is not None:
            return hit
        e = refs.resolve(str(ref), self._ents(), self._title_of, suggestions=suggestions)
        return self._spec_of[id(e)]

    def _title_of(self, e: refs.Entry) -> str:
        # Titles are only needed when name, number and slug all miss; parse them once.
        if self._titles is None:
            self._titles = {k: s.title for k, s in self._spec_of.items()}
        return self._titles[id(e)]

    def resolve(self, ref: str) -> tuple[Spec | None, str | None]:
        """(spec, None) or (None, reason) — never raises."""
        key = str(ref)
        if key not in self._cache:
            try:
                self._cache[key] = (self.get(key, suggestions=False), None)
            except AmbiguousSpec as exc:
                self._cache[key] = (None, "ambiguous: " + ", ".join(exc.details.get("candidates", [])))
            except (SpecNotFound, InvalidInput) as exc:
                self._cache[key] = (None, "not found" if isinstance(exc, SpecNotFound) else exc.message)
            except LeanSpecError as exc:
                self._cache[key] = (None, exc.message)
        return self._cache[key]


def strongly_connected(nodes: Iterable[str], adj: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's SCCs, iteratively (1,000-spec chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, i = work[-1]
            succ = adj.get(v, [])
            if i < len(succ):
                work[-1] = (v, i + 1)
                w = succ[i]
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


class DependencyGraph:
    """``depends_on`` (upstream) and ``required_by`` (downstream, the computed inverse)
    plus the parent/children hierarchy, over one snapshot of the specs."""

    def __init__(self, specs: Sequence[Spec]) -> None:
        self.resolver = Resolver(specs)
        self.specs: dict[str, Spec] = {}
        for s in sorted(specs, key=lambda s: (_num(s), s.name)):
            self.specs.setdefault(s.name, s)
        self.upstream: dict[str, list[str]] = {n: [] for n in self.specs}
        self.downstream: dict[str, list[str]] = {n: [] for n in self.specs}
        self.parent_of: dict[str, str] = {}
        self.children: dict[str, list[str]] = {n: [] for n in self.specs}
        self.unresolved: list[dict[str, str]] = []
        for name, s in self.specs.items():
            for ref in s.depends_on:
                t, why = self.resolver.resolve(ref)
                if t is None:
                    self.unresolved.append({"spec": name, "field": "depends_on", "ref": ref, "reason": why or ""})
                    continue
                if t.name not in self.upstream[name]:
                    self.upstream[name].append(t.name)
                    self.downstream[t.name].append(name)
            if s.parent:
                t, why = self.resolver.resolve(s.parent)
                if t is None:
                    self.unresolved.append({"spec": name, "field": "parent", "ref": s.parent, "reason": why or ""})
                elif t.name != name:
                    self.parent_of[name] = t.name
                    self.children[t.name].append(name)
        order = {n: i for i, n in enumerate(self.specs)}
        for d in (self.upstream, self.downstream, self.children):
            for lst in d.values():
                lst.sort(key=order.__getitem__)
        self._order = order
        self._cycles: list[list[str]] | None = None

    # ------------------------------------------------------------- helpers
    def get(self, ref: str) -> Spec:
        s = self.resolver.get(ref)
        return self.specs.get(s.name, s)

    def _card(self, name: str, depth: int | None = None) -> dict[str, Any]:
        s = self.specs[name]
        d: dict[str, Any] = {
            "name": s.name,
            "number": s.number,
            "title": s.title,
            "status": s.status,
            "priority": s.priority,
        }
        if depth is not None:
            d["depth"] = depth
        return d

    def _walk(self, start: str, adj: dict[str, list[str]], depth: int | None) -> list[tuple[str, int]]:
        """BFS from ``start`` (excluded) with the shortest depth of each node."""
        seen = {start: 0}
        q = deque([start])
        out: list[tuple[str, int]] = []
        while q:
            v = q.popleft()
            dv = seen[v]
            if depth is not None and dv >= depth:
                continue
            for w in adj.get(v, []):
                if w not in seen:
                    seen[w] = dv + 1
                    out.append((w, dv + 1))
                    q.append(w)
        out.sort(key=lambda x: (x[1], self._order[x[0]]))
        return out

    def _tree(self, start: str, adj: dict[str, list[str]], depth: int, key: str) -> dict[str, Any]:
        """A nested tree for display. A node already expanded elsewhere is shown once
        more with ``seen: true`` (no re-expansion, so diamonds stay linear); a node on
        the current path is a cycle (``cycle: true``)."""
        expanded: set[str] = set()

        def node(name: str, d: int, path: tuple[str, ...]) -> dict[str, Any]:
            out = self._card(name, d)
            kids: list[dict[str, Any]] = []
            if name in path:
                out["cycle"] = True
            elif name in expanded and d > 0:
                out["seen"] = True
            else:
                expanded.add(name)
                if d < depth:
                    kids = [node(w, d + 1, (*path, name)) for w in adj.get(name, [])]
                elif adj.get(name):
                    out["truncated"] = True
            out[key] = kids
            return out

        # Recursion depth is bounded by `depth`, which deps() clamps to 200.
        return node(start, 0, ())

    # -------------------------------------------------------------- queries
    def deps(self, name: str, mode: str = "complete", depth: int = 3) -> dict[str, Any]:
        """Dependencies of one spec. Modes: complete (both directions), upstream
        (what it depends on), downstream (what depends on it), impact (everything
        that transitively depends on it, any depth)."""
        if mode not in MODES:
            raise InvalidInput(f"invalid mode {mode!r}: use one of {', '.join(MODES)}")
        try:
            depth = int(depth)
        except (TypeError, ValueError):
            raise InvalidInput(f"invalid depth {depth!r}: use a positive number") from None
        if depth < 1:
            raise InvalidInput(f"invalid depth {depth}: use 1 or more")
        depth = min(depth, 200)
        s = self.get(name)
        n = s.name
        up = self._walk(n, self.upstream, depth) if mode in ("complete", "upstream") else []
        down_depth = None if mode == "impact" else depth
        down = self._walk(n, self.downstream, down_depth) if mode != "upstream" else []
        all_down = self._walk(n, self.downstream, None)
        direct = len(self.downstream[n])
        cyc = [c for c in self.cycles() if n in c]
        out: dict[str, Any] = {
            "spec": self._card(n),
            "mode": mode,
            "depth": depth,
            "depends_on": [self._card(w, d) for w, d in up],
            "required_by": [self._card(w, d) for w, d in down],
            "chain": self._tree(n, self.upstream, depth, "depends_on") if up else None,
            "tree": self._tree(n, self.downstream, depth if mode != "impact" else 200, "required_by") if down else None,
            "impact": {"direct": direct, "transitive": len(all_down) - direct, "total": len(all_down)},
            "parent": self._card(self.parent_of[n]) if n in self.parent_of else None,
            "children": [self._card(c) for c in self.children[n]],
            "cycles": cyc,
            "unresolved": [u for u in self.unresolved if u["spec"] == n],
        }
        return out

    def cycles(self) -> list[list[str]]:
        """Every dependency cycle, one per strongly connected component: the specs in
        dependency order (each depends on the next; the last depends on the first)."""
        if self._cycles is not None:
            return [list(c) for c in self._cycles]
        out: list[list[str]] = []
        for comp in strongly_connected(self.specs, self.upstream):
            if len(comp) == 1 and comp[0] not in self.upstream[comp[0]]:
                continue
            members = set(comp)
            start = min(comp, key=self._order.__getitem__)
            if start in self.upstream[start]:
                out.append([start])
                continue
            # Shortest cycle through `start` inside the component.
            prev: dict[str, str] = {}
            q = deque([start])
            found = None
            while q and found is None:
                v = q.popleft()
                for w in self.upstream[v]:
                    if w not in members:
                        continue
                    if w == start:
                        found = v
                        break
                    if w not in prev:
                        prev[w] = v
                        q.append(w)
            path = [found] if found is not None else []
            while path and path[-1] != start:
                path.append(prev[path[-1]])
            out.append(list(reversed(path)))
        out.sort(key=lambda c: self._order[c[0]])
        self._cycles = out
        return [list(c) for c in out]

    def layers(self, names: Iterable[str] | None = None) -> list[list[str]]:
        """Topological layers for drawing a layered DAG: layer 0 holds specs with no
        dependencies; every other spec sits one layer right of its deepest dependency.
        Specs in one cycle share a layer (their mutual edges are ignored)."""
        keep = set(self.specs) if names is None else {n for n in names if n in self.specs}
        ordered = [n for n in self.specs if n in keep]
        adj = {n: [w for w in self.upstream[n] if w in keep] for n in ordered}
        comps = strongly_connected(ordered, adj)
        comp_of = {n: i for i, comp in enumerate(comps) for n in comp}
        # Tarjan emits components in reverse topological order of the "depends on"
        # edges: dependencies come out before their dependents.
        level = [0] * len(comps)
        for i, comp in enumerate(comps):
            lv = 0
            for v in comp:
                for w in adj[v]:
                    j = comp_of[w]
                    if j != i:
                        lv = max(lv, level[j] + 1)
            level[i] = lv
        out: list[list[str]] = [[] for _ in range(max(level, default=-1) + 1)]
        for n in ordered:
            out[level[comp_of[n]]].append(n)
        return out

    def critical_path(self, names: Iterable[str] | None = None) -> list[str]:
        """The longest dependency chain (by number of specs) among ``names`` (default:
        all), in work order: first the spec everything waits on, last the final
        dependent. Cycles are collapsed; ties go to the lower spec numbers."""
        keep = set(self.specs) if names is None else {n for n in names if n in self.specs}
        ordered = [n for n in self.specs if n in keep]
        adj = {n: [w for w in self.upstream[n] if w in keep] for n in ordered}
        comps = strongly_connected(ordered, adj)
        if not comps:
            return []
        comp_of = {n: i for i, comp in enumerate(comps) for n in comp}
        best = [0] * len(comps)
        nxt: list[int | None] = [None] * len(comps)  # the dependency component on the best chain
        for i, comp in enumerate(comps):  # dependencies first (see layers())
            cands = sorted(
                {comp_of[w] for v in comp for w in adj[v]} - {i}, key=lambda j: (-best[j], self._first(comps[j]))
            )
            best[i] = len(comp) + (best[cands[0]] if cands else 0)
            nxt[i] = cands[0] if cands else None
        top = min(range(len(comps)), key=lambda i: (-best[i], self._first(comps[i])))
        chain: list[str] = []
        cur: int | None = top
        while cur is not None:
            chain.extend(sorted(comps[cur], key=self._order.__getitem__, reverse=True))
            cur = nxt[cur]
        return list(reversed(chain))

    def _first(self, comp: list[str]) -> int:
        return min(self._order[n] for n in comp)

    def to_dict(self) -> dict[str, Any]:
        nodes = [
            {
                "id": s.name,
                "name": s.name,
                "number": s.number,
                "title": s.title,
                "status": s.status,
                "priority": s.priority,
                "tags": s.tags,
                "archived": s.archived,
                "parent": self.parent_of.get(s.name),
            }
            for s in self.specs.values()
        ]
        edges: list[dict[str, str]] = []
        for n in self.specs:
            edges.extend({"from": n, "to": w, "type": "depends_on"} for w in self.upstream[n])
            if n in self.parent_of:
                edges.append({"from": n, "to": self.parent_of[n], "type": "parent"})
        return {
            "nodes": nodes,
            "edges": edges,
            "cycles": self.cycles(),
            "layers": self.layers(),
            "unresolved": list(self.unresolved),
        }
