"""The read routes of the JSON API: specs, files, board (and its incremental cards),
badges, dependencies, stats, tokens, search, validate. Each is a thin call into the
Project façade or a pure insight module."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from ..core import datetimes as _dt
from ..core.errors import InvalidInput, LeanSpecError
from ..core.model import STATUSES, Spec
from ..workflows import claims as claims_api
from .calls import (
    Call,
    check_file,
    check_ref,
    etag,
    json_response,
    query_bool,
    query_int,
    query_multi,
    specs_of,
    text_filter,
    text_hash,
)


def list_specs(call: Call) -> Response:
    from ..core.listing import SORT_KEYS

    q = call.query
    sort = q.get("sort") or "id"
    if sort not in SORT_KEYS:
        raise InvalidInput(f"invalid sort {sort!r}: use one of {', '.join(SORT_KEYS)}")
    order = q.get("order") or None
    if order not in (None, "asc", "desc"):
        raise InvalidInput("order must be asc or desc")
    status = query_multi(call, "status")
    for st in status:
        if st not in STATUSES:
            raise InvalidInput(f"invalid status {st!r}: use one of {', '.join(STATUSES)}")
    specs, problems = call.project.list(
        status=status or None,
        tags=query_multi(call, "tag", "tags") or None,
        priority=query_multi(call, "priority") or None,
        assignee=q.get("assignee") or None,
        include_archived=query_bool(q.get("archived")),
        sort=sort,
        order=order,
    )
    if query_bool(q.get("ready")) or query_bool(q.get("blocked")):
        return _list_by_readiness(call, specs, problems)
    # A warm server keeps the encoded answer while the listing stays the same version.
    version = call.project.listing_version()
    key = ("GET /specs", str(call.request.url.query))
    kept = call.project.remembered(version, key)
    if kept is not None:
        return Response(_with_claims(call, kept), media_type="application/json", headers={"Cache-Control": "no-store"})
    text = (q.get("q") or "").strip()
    if text:
        specs = text_filter(call, specs, text)
    limit = query_int(q.get("limit"), "limit", None, 0, 100000)
    total = len(specs)
    if limit is not None:
        specs = specs[:limit]
    from ..core.listing import json_array
    from ..core.model import dumps_compact

    # The same bytes JSONResponse would render for {"ok", "total", "specs", "problems"},
    # assembled from each spec's kept encoding (a warm listing re-encodes only changes).
    body = b"".join(
        (
            b'{"ok":true,"total":',
            str(total).encode(),
            b',"specs":',
            json_array(specs),
            b',"problems":',
            dumps_compact([p.to_dict() for p in problems]),
            b"}",
        )
    )
    call.project.remember(version, key, body)
    return Response(_with_claims(call, body), media_type="application/json", headers={"Cache-Control": "no-store"})


def _leases_json(call: Call) -> bytes:
    now = claims_api.claims_now_of(call.project)
    leases = {name: lease.to_dict(now) for name, lease in sorted(claims_api.leases(call.project).items())}
    return json.dumps(leases, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _with_leases(call: Call, body: bytes) -> bytes:
    """A kept listing body plus the live claims, read fresh on every request (a claim
    in another worktree or an expiry changes them without changing the listing)."""
    return body[:-1] + b',"leases":' + _leases_json(call) + b"}"


def _with_claims(call: Call, body: bytes) -> bytes:
    """``_with_leases`` plus ``ready`` (the names ``claim`` would take, in claim order)
    and ``blocked`` ({name: open dependencies}) over the whole project, for the list
    page's marks and its Ready / Blocked filters (a few ms at 2,000 specs)."""
    r = claims_api.readiness(call.project)
    extra = {
        "ready": [s.name for s in r.ready()],
        "blocked": {s.name: r.open_deps(s) for s in r.specs if s.depends_on and r.is_blocked(s)},
    }
    tail = json.dumps(extra, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _with_leases(call, body)[:-1] + b"," + tail[1:]


def _list_by_readiness(call: Call, specs: list[Spec], problems: list[Any]) -> Response:
    """``?ready=1`` (claim order) or ``?blocked=1`` (each card with its dependencies)."""
    r = claims_api.readiness(call.project)
    if query_bool(call.query.get("ready")):
        keep = {s.name for s in r.ready()}
        from ..core.facts import card_key

        chosen = [s for s in sorted(specs, key=card_key) if s.name in keep]
    else:
        chosen = [s for s in specs if r.is_blocked(s)]
    out = []
    for s in chosen:
        d = s.to_dict()
        d["dependencies"] = r.deps(s)
        d["blocked"] = r.is_blocked(s)
        out.append(d)
    body = {"ok": True, "total": len(out), "specs": out, "problems": [p.to_dict() for p in problems]}
    return Response(
        _with_leases(call, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")),
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _card(c: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in c.items() if k != "depth"}


def get_spec(call: Call) -> Response:
    from ..insight.graph import DependencyGraph
    from .render import render_markdown

    ref = check_ref(call.param("ref"))
    spec = call.project.get(ref)
    inm = call.request.headers.get("if-none-match")
    if inm and inm.strip().strip('"').removeprefix("W/").strip('"') == spec.content_hash:
        return Response(status_code=304, headers={"ETag": etag(spec.content_hash)})
    g = DependencyGraph(specs_of(call))
    rel: dict[str, Any] = {"required_by": [], "depends_on": [], "children": [], "parent": None}
    if spec.name in g.specs:
        near = g.deps(spec.name, "complete", 1)
        rel = {
            "depends_on": [_card(c) for c in near["depends_on"]],
            "required_by": [_card(c) for c in near["required_by"]],
            "children": near["children"],
            "parent": near["parent"],
        }
    data = spec.to_dict(content=True)
    data["html"] = render_markdown(spec.body)
    data["files"] = call.project.files(spec.name)
    data["relationships"] = rel
    r = claims_api.readiness(call.project)
    data["dependencies"] = r.deps(spec)
    data["blocked"] = r.is_blocked(spec)
    lease = r.lease(spec.name)
    data["lease"] = lease.to_dict(r.now) if lease is not None else None
    return json_response({"ok": True, "spec": data}, hash_=spec.content_hash)


def get_file(call: Call) -> Response:
    from .render import render_markdown

    ref = check_ref(call.param("ref"))
    fname = check_file(call.param("file"))
    spec = call.project.get(ref)
    if fname.lower() == call.project.config.default_file.lower():
        name, rel, text = call.project.read(spec.name)
    else:
        name, rel, text = call.project.read(f"{spec.name}/{fname}")
    h = text_hash(text)
    data = {
        "ok": True,
        "spec": name,
        "file": fname,
        "path": rel,
        "content": text,
        "content_hash": h,
        "html": render_markdown(text) if fname.lower().endswith(".md") else None,
    }
    return json_response(data, hash_=h)


def spec_deps(call: Call) -> dict[str, Any]:
    from ..insight.graph import DependencyGraph

    ref = check_ref(call.param("ref"))
    mode = call.query.get("mode") or "complete"
    depth = query_int(call.query.get("depth"), "depth", 3, 1, 200) or 3
    g = DependencyGraph(specs_of(call))
    return {"ok": True, **g.deps(ref, mode, depth)}


def compact_card(s: Spec) -> dict[str, Any]:
    """What a board card shows (``?compact=true``): name, number, title, status,
    priority, tags, assignee, parent, archived, checklist, depends_on and a 16-digit
    ``content_hash`` prefix (enough for ``If-Match``); empty and null fields are left out."""
    card: dict[str, Any] = {"name": s.name, "number": s.number, "title": s.title, "status": s.status}
    if s.priority:
        card["priority"] = s.priority
    if s.tags:
        card["tags"] = s.tags
    if s.assignee:
        card["assignee"] = s.assignee
    if s.parent:
        card["parent"] = s.parent
    if s.archived:
        card["archived"] = True
    done, total = s.checklist
    if total:
        card["checklist"] = [done, total]
    if s.depends_on:
        card["depends_on"] = s.depends_on
    card["content_hash"] = s.content_hash[:16]
    return card


def _problems(call: Call) -> list[dict[str, str]]:
    return [p.to_dict() for p in call.project.load(include_archived=True).problems]


def _other_values(specs: list[Spec]) -> dict[str, dict[str, int]]:
    """Status and priority values LeanSpec does not know (a hand edit: ``blocked``,
    ``urgent``), counted as written, so a page can show them instead of hiding them."""
    from ..core.model import PRIORITIES as PRIOS

    st: dict[str, int] = {}
    pr: dict[str, int] = {}
    for s in specs:
        if s.archived:
            continue
        if s.status.strip().lower() not in STATUSES:
            st[s.status] = st.get(s.status, 0) + 1
        if s.priority and s.priority.strip().lower() not in PRIOS:
            pr[s.priority] = pr.get(s.priority, 0) + 1
    return {"status": st, "priority": pr}


def board(call: Call) -> Response:
    from ..core.listing import make_filter
    from ..insight.board import build_board
    from ..store.leases import LeaseStore
    from ..workflows.claims import annotate_board

    q = call.query
    archived = query_bool(q.get("archived"))
    compact = query_bool(q.get("compact"))
    all_specs = specs_of(call)
    # A warm server keeps the encoded board while the listing (and the day, which the
    # summary's velocity depends on) stays the same: a reload or a second tab is a copy.
    # Leases change (and expire) without the listing changing: with any lease in this
    # clone the board is built fresh.
    version = None if LeaseStore.for_root(call.project.root).any() else call.project.listing_version()
    key = ("GET /board", str(call.request.url.query), _dt.date.today().isoformat())
    kept = call.project.remembered(version, key) if version is not None else None
    if kept is not None:
        return Response(kept, media_type="application/json", headers={"Cache-Control": "no-store"})
    f = make_filter(
        tags=query_multi(call, "tag", "tags") or None,
        priority=query_multi(call, "priority") or None,
        assignee=q.get("assignee") or None,
        include_archived=True,
    )
    specs = [s for s in all_specs if f.matches(s)]
    text = (q.get("q") or "").strip()
    if text:
        specs = text_filter(call, specs, text)
    out = build_board(
        specs,
        group_by=q.get("group_by") or "status",
        include_archived=archived,
        card=compact_card if compact else None,
    )
    annotate_board(out, claims_api.readiness(call.project))  # blocked cards, claim holders
    data = {"ok": True, **out, "compact": compact, "problems": _problems(call)}
    resp = json_response(data)
    if version is not None:
        call.project.remember(version, key, resp.body)
    return resp


MAX_CARD_PATHS = 200


def board_cards(call: Call) -> dict[str, Any]:
    """The compact cards of the specs whose files changed (``?path=`` — the paths of a
    live ``changed`` event — and/or ``?spec=`` names), so an open board patches those
    cards instead of fetching the whole board. Also returned: the specs that depend on
    them (their ``blocked`` mark may have flipped), ``removed`` (folders named by a
    path that hold no spec any more) and the live ``leases``."""
    from pathlib import PurePosixPath

    from ..workflows.claims import annotate_board

    paths = [v.strip() for v in call.query.getlist("path") if v.strip()]
    names = query_multi(call, "spec")
    if len(paths) + len(names) > MAX_CARD_PATHS:
        raise InvalidInput(f"at most {MAX_CARD_PATHS} paths and specs: fetch /board instead")
    all_specs = specs_of(call)
    by_dir: dict[str, Spec] = {}
    by_name: dict[str, Spec] = {}
    for s in all_specs:
        by_dir[PurePosixPath(s.path).parent.as_posix()] = s
        by_name.setdefault(s.name, s)
    chosen: dict[str, Spec] = {}
    removed: list[str] = []
    for p in paths:
        parts = PurePosixPath(p).parts
        hit = None
        # the spec folder is the deepest ancestor that is a spec's folder
        for k in range(len(parts), 0, -1):
            hit = by_dir.get(PurePosixPath(*parts[:k]).as_posix())
            if hit is not None:
                break
        if hit is not None:
            chosen[hit.name] = hit
        elif len(parts) >= 2:
            # a folder that no longer holds a spec (renamed, archived, deleted)
            folder = parts[-2] if parts[-1].lower().endswith(".md") else parts[-1]
            if folder not in by_name:
                removed.append(folder)
    for n in names:
        check_ref(n)
        got = by_name.get(n)
        if got is None:
            try:
                got = by_name.get(call.project.get(n).name)
            except LeanSpecError:
                got = None
        if got is not None:
            chosen[got.name] = got
        else:
            removed.append(n)
    r = claims_api.readiness(call.project, all_specs)
    if chosen:
        # dependents: their "blocked" mark follows the changed specs' status
        for s in all_specs:
            if s.name not in chosen and s.depends_on and any(d["name"] in chosen for d in r.deps(s)):
                chosen[s.name] = s
    cards = [compact_card(s) for s in chosen.values()]
    annotate_board({"groups": [{"specs": cards}]}, r)
    now = r.now
    leases = {name: lease.to_dict(now) for name, lease in sorted(claims_api.leases(call.project).items())}
    return {"ok": True, "cards": cards, "removed": sorted(set(removed)), "leases": leases}


def badges(call: Call) -> dict[str, Any]:
    """Token count (README + sub-specs) and validation summary per spec, for the board
    cards and list rows: ``{specs: {name: {tokens, errors, warnings, issues[≤3]}}}``.
    ``?spec=`` (repeatable) limits it to some specs. Both come from their persistent
    caches (tokens.bin, the validation cache), so a warm project answers in a few
    hundred ms at 2,000 specs; pages fetch it after they have drawn."""
    from ..insight.tokens import project_tokens
    from ..insight.validate import validate_project

    refs = query_multi(call, "spec")
    if len(refs) > MAX_CARD_PATHS:
        raise InvalidInput(f"at most {MAX_CARD_PATHS} specs: leave spec out for all of them")
    known = {s.name for s in specs_of(call)}
    refs = [check_ref(r) for r in refs if r in known]
    if query_multi(call, "spec") and not refs:
        return {"ok": True, "specs": {}}
    tok = project_tokens(call.project, refs or None, include_sub_specs=True, include_archived=True)
    out: dict[str, dict[str, Any]] = {row["spec"]: {"tokens": row["total"], "errors": 0, "warnings": 0, "issues": []} for row in tok["specs"]}
    rep = validate_project(call.project, refs or None)
    for i in rep.issues:
        b = out.get(i.spec)
        if b is None or i.severity not in ("error", "warning"):
            continue
        b["errors" if i.severity == "error" else "warnings"] += 1
        if len(b["issues"]) < 3:
            b["issues"].append(f"{i.severity}: {i.message}")
    return {"ok": True, "specs": out}


def deps(call: Call) -> dict[str, Any]:
    """The whole-project graph, or the neighbourhood of one spec with ``?spec=``."""
    from ..insight.graph import DependencyGraph

    q = call.query
    all_specs = specs_of(call)
    include_archived = query_bool(q.get("archived"))
    specs = all_specs if include_archived else [s for s in all_specs if not s.archived]
    g = DependencyGraph(specs)
    focus = q.get("spec")
    if not focus:
        out = g.to_dict()
        out["critical_path"] = g.critical_path()
        return {"ok": True, "focus": None, **out}
    check_ref(focus)
    depth = query_int(q.get("depth"), "depth", 10, 1, 200) or 10
    center = DependencyGraph(all_specs).get(focus)
    if center.name not in g.specs:  # an archived spec asked for by name: include archived
        g = DependencyGraph(all_specs)
    around = g.deps(center.name, "complete", depth)
    keep = {center.name, *(c["name"] for c in around["depends_on"]), *(c["name"] for c in around["required_by"])}
    full = g.to_dict()
    nodes = [n for n in full["nodes"] if n["id"] in keep]
    edges = [e for e in full["edges"] if e["from"] in keep and e["to"] in keep and e["type"] == "depends_on"]
    return {
        "ok": True,
        "focus": center.name,
        "nodes": nodes,
        "edges": edges,
        "cycles": [c for c in full["cycles"] if set(c) <= keep],
        "layers": g.layers(keep),
        "critical_path": g.critical_path(keep),
        "unresolved": [u for u in full["unresolved"] if u["spec"] in keep],
    }


def _cycle_times(specs: list[Spec]) -> list[dict[str, Any]]:
    from ..core.facts import facts

    out = []
    for s in specs:
        f = facts(s)
        if f.completed is not None and f.created is not None and f.completed >= f.created:
            out.append(
                {
                    "name": s.name,
                    "number": s.number,
                    "title": s.title,
                    "days": round((f.completed - f.created).total_seconds() / 86400.0, 2),
                    "completed": f.completed.date().isoformat(),
                }
            )
    out.sort(key=lambda d: str(d["completed"]))
    return out


def stats(call: Call) -> dict[str, Any]:
    from ..core.facts import facts
    from ..insight.stats import compute_stats
    from ..insight.timeline import timeline

    q = call.query
    specs = specs_of(call)
    out = compute_stats(specs)
    days = query_int(q.get("days"), "days", None, 1, 3660)
    months = query_int(q.get("months"), "months", None, 1, 240)
    if days is None and months is None:
        # Cover the project's whole history: days for a young project, months after.
        firsts = [f.created for f in (facts(s) for s in specs) if f.created is not None]
        today = _dt.datetime.now(_dt.UTC).date()
        span = (today - min(firsts).date()).days + 1 if firsts else 30
        if span <= 120:
            days = max(14, span)
        else:
            months = min(240, span // 30 + 2)
    out["timeline"] = timeline(specs, days=days or 30, months=months)
    out["cycle_times"] = _cycle_times(specs)
    out["other_values"] = _other_values(specs)
    out["problems"] = _problems(call)
    return {"ok": True, **out}


def spec_tokens_route(call: Call) -> dict[str, Any]:
    from ..insight.tokens import spec_tokens

    ref = check_ref(call.param("ref"))
    return {"ok": True, **spec_tokens(call.project, ref)}


def search_route(call: Call) -> dict[str, Any]:
    from ..insight.search import search, uses_index
    from ..insight.searchindex import synced

    q = call.query.get("q")
    if q is None or not q.strip():
        raise InvalidInput("missing search query: use ?q=…")
    limit = query_int(call.query.get("limit"), "limit", 50, 0, 10000)
    specs = specs_of(call)
    index = synced(call.project.root, specs) if uses_index(q) else None
    return {
        "ok": True,
        **search(specs, q, limit=limit, include_archived=query_bool(call.query.get("archived")), index=index),
    }


def validate(call: Call) -> dict[str, Any]:
    from ..insight.validate import validate_project

    refs = query_multi(call, "spec")
    for r in refs:
        check_ref(r)
    rep = validate_project(
        call.project,
        refs or None,
        check_deps=query_bool(call.query.get("check_deps")),
        strict=query_bool(call.query.get("strict")),
    )
    # "ok" says the request worked; "valid" (and the report's own fields) say the project is.
    return {**rep.to_dict(), "ok": True, "valid": rep.ok}
