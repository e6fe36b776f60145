"""The JSON API: one handler per route, each a thin call into the Project façade or a
pure analysis module. Every write goes through the store (same lock, same atomic
write, same ``expected_hash`` check as the CLI). docs/http-api.md documents it and
``openapi.py`` describes it; a test keeps the three in step.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .. import __version__
from ..core.errors import Conflict, InvalidInput, LeanSpecError
from ..core.model import PRIORITIES, STATUSES, Spec
from ..project import Project, UpdateOps
from ..workflows import claims as claims_api
from .errors import HttpError, error_response
from .events import EventHub, stream

MAX_BODY = 16 * 1024 * 1024  # routes that carry spec content
MAX_META_BODY = 256 * 1024  # every other write (metadata, checklist, archive)


@dataclass
class Served:
    """One project served by this app."""

    id: str
    name: str
    project: Project
    hub: EventHub

    def info(self) -> dict[str, Any]:
        p = self.project
        return {
            "id": self.id,
            "name": self.name,
            "root": str(p.root),
            "specs_dir": p.config.specs_dir,
        }


@dataclass
class Call:
    """What a route handler sees (it runs in a worker thread, never on the event loop)."""

    request: Request
    served: Served
    body: dict[str, Any] | None

    @property
    def project(self) -> Project:
        return self.served.project

    @property
    def query(self) -> Any:
        return self.request.query_params

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])


Handler = Callable[[Call], Response | dict[str, Any]]


# ===================================================================== helpers
def check_ref(ref: str) -> str:
    """A spec reference from a URL: a name, number, slug or title — never a path."""
    r = ref.strip()
    if not r:
        raise InvalidInput("empty spec reference")
    if len(r) > 300 or "/" in r or "\\" in r or "\x00" in r or r.startswith(".") or ".." in r:
        raise InvalidInput(
            f"invalid spec reference {ref[:80]!r}: use a spec name, number or slug",
            hint="references never contain path separators or '..'",
        )
    return r


def check_file(name: str) -> str:
    n = name.strip()
    if not n or "/" in n or "\\" in n or "\x00" in n or n.startswith(".") or ".." in n or len(n) > 255:
        raise InvalidInput(f"invalid file name {name[:80]!r}: a plain file name inside the spec folder is required")
    return n


def etag(h: str) -> str:
    return f'"{h}"'


def json_response(
    data: Any, status: int = 200, *, hash_: str | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    hd = {"Cache-Control": "no-store"}
    if hash_:
        hd["ETag"] = etag(hash_)
    if headers:
        hd.update(headers)
    return JSONResponse(data, status_code=status, headers=hd)


def expected_hash(call: Call, *, required: bool = True) -> str | None:
    """The version the client edited: ``If-Match`` or ``expected_hash`` in the body.

    ``If-Match: *`` is an explicit "overwrite whatever is there". Without either, a
    write to an existing spec is refused (428): the API never does blind overwrites.
    """
    raw = call.request.headers.get("if-match")
    if raw is not None:
        v = raw.strip()
        if v == "*":
            return None
        v = v.split(",")[0].strip()
        if v.startswith("W/"):
            v = v[2:]
        v = v.strip('"').strip()
        if not v:
            raise InvalidInput("empty If-Match header")
        return v
    body_hash = (call.body or {}).get("expected_hash")
    if isinstance(body_hash, str) and body_hash.strip():
        return body_hash.strip()
    if required:
        raise HttpError(
            428,
            "precondition_required",
            'this write needs the version you edited: send If-Match: "<content_hash>" (or expected_hash in the body)',
            hint="read the spec first; its ETag is the content hash",
        )
    return None


def _str_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise InvalidInput(f"{field} must be a list of strings")


def _opt_str(body: dict[str, Any], key: str) -> str | None:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise InvalidInput(f"{key} must be a string")
    return v


def _bool(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


def _multi(call: Call, *names: str) -> list[str]:
    out: list[str] = []
    for n in names:
        for v in call.query.getlist(n):
            out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def _int(v: str | None, name: str, default: int | None = None, lo: int = 0, hi: int = 10**6) -> int | None:
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    if not lo <= n <= hi:
        raise InvalidInput(f"{name} must be between {lo} and {hi}")
    return n


def _specs(call: Call) -> list[Spec]:
    return call.project.load(include_archived=True).specs


def _text_filter(call: Call, specs: list[Spec], text: str) -> list[Spec]:
    """The specs matching search query ``text`` (``?q=`` of the list and the board), in
    their order: names only, ranked by the search index (synced with the whole listing),
    so no body is read for snippets nobody shows."""
    from ..insight.search import search, uses_index
    from ..insight.searchindex import synced

    index = synced(call.project.root, _specs(call)) if uses_index(text) else None
    keep = set(search(specs, text, include_archived=True, index=index, names_only=True)["names"])
    return [s for s in specs if s.name in keep]


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _conflict_extra(call: Call, ref: str, filename: str | None = None) -> dict[str, Any]:
    """The current version, sent with a 409 so the page can show what changed."""
    try:
        if filename is None:
            s = call.project.get(ref)
            return {"current": s.to_dict(content=True)}
        name, rel, text = call.project.read(f"{ref}/{filename}")
        return {
            "current": {"spec": name, "file": filename, "path": rel, "content": text, "content_hash": _text_hash(text)}
        }
    except LeanSpecError:
        return {}


def _write_result(res: Any, status: int = 200, *, warnings: list[str] | None = None) -> JSONResponse:
    spec: Spec = res.spec
    data: dict[str, Any] = {
        "ok": True,
        "changed": res.changed,
        "written": res.written,
        "message": res.message,
        "content_hash": spec.content_hash,
        "spec": spec.to_dict(content=True),
    }
    if warnings:
        data["warnings"] = warnings
    return json_response(data, status, hash_=spec.content_hash)


# ====================================================================== reads
def api_info(app_state: Any) -> dict[str, Any]:
    return {
        "ok": True,
        "version": __version__,
        "readonly": app_state.readonly,
        "auth": bool(app_state.api_key),
        "projects": [s.info() for s in app_state.projects.values()],
        "default_project": app_state.default_id,
        "statuses": list(STATUSES),
        "priorities": list(PRIORITIES),
    }


def list_specs(call: Call) -> Response:
    from ..core.listing import SORT_KEYS

    q = call.query
    sort = q.get("sort") or "id"
    if sort not in SORT_KEYS:
        raise InvalidInput(f"invalid sort {sort!r}: use one of {', '.join(SORT_KEYS)}")
    order = q.get("order") or None
    if order not in (None, "asc", "desc"):
        raise InvalidInput("order must be asc or desc")
    status = _multi(call, "status")
    for st in status:
        if st not in STATUSES:
            raise InvalidInput(f"invalid status {st!r}: use one of {', '.join(STATUSES)}")
    specs, problems = call.project.list(
        status=status or None,
        tags=_multi(call, "tag", "tags") or None,
        priority=_multi(call, "priority") or None,
        assignee=q.get("assignee") or None,
        include_archived=_bool(q.get("archived")),
        sort=sort,
        order=order,
    )
    if _bool(q.get("ready")) or _bool(q.get("blocked")):
        return _list_by_readiness(call, specs, problems)
    # A warm server keeps the encoded answer while the listing stays the same version.
    version = call.project.listing_version()
    key = ("GET /specs", str(call.request.url.query))
    kept = call.project.remembered(version, key)
    if kept is not None:
        return Response(_with_claims(call, kept), media_type="application/json", headers={"Cache-Control": "no-store"})
    text = (q.get("q") or "").strip()
    if text:
        specs = _text_filter(call, specs, text)
    limit = _int(q.get("limit"), "limit", None, 0, 100000)
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
    if _bool(call.query.get("ready")):
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
    g = DependencyGraph(_specs(call))
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
    h = _text_hash(text)
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
    depth = _int(call.query.get("depth"), "depth", 3, 1, 200) or 3
    g = DependencyGraph(_specs(call))
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
    archived = _bool(q.get("archived"))
    compact = _bool(q.get("compact"))
    all_specs = _specs(call)
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
        tags=_multi(call, "tag", "tags") or None,
        priority=_multi(call, "priority") or None,
        assignee=q.get("assignee") or None,
        include_archived=True,
    )
    specs = [s for s in all_specs if f.matches(s)]
    text = (q.get("q") or "").strip()
    if text:
        specs = _text_filter(call, specs, text)
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
    names = _multi(call, "spec")
    if len(paths) + len(names) > MAX_CARD_PATHS:
        raise InvalidInput(f"at most {MAX_CARD_PATHS} paths and specs: fetch /board instead")
    all_specs = _specs(call)
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

    refs = _multi(call, "spec")
    if len(refs) > MAX_CARD_PATHS:
        raise InvalidInput(f"at most {MAX_CARD_PATHS} specs: leave spec out for all of them")
    known = {s.name for s in _specs(call)}
    refs = [check_ref(r) for r in refs if r in known]
    if _multi(call, "spec") and not refs:
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
    all_specs = _specs(call)
    include_archived = _bool(q.get("archived"))
    specs = all_specs if include_archived else [s for s in all_specs if not s.archived]
    g = DependencyGraph(specs)
    focus = q.get("spec")
    if not focus:
        out = g.to_dict()
        out["critical_path"] = g.critical_path()
        return {"ok": True, "focus": None, **out}
    check_ref(focus)
    depth = _int(q.get("depth"), "depth", 10, 1, 200) or 10
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
    specs = _specs(call)
    out = compute_stats(specs)
    days = _int(q.get("days"), "days", None, 1, 3660)
    months = _int(q.get("months"), "months", None, 1, 240)
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
    limit = _int(call.query.get("limit"), "limit", 50, 0, 10000)
    specs = _specs(call)
    index = synced(call.project.root, specs) if uses_index(q) else None
    return {
        "ok": True,
        **search(specs, q, limit=limit, include_archived=_bool(call.query.get("archived")), index=index),
    }


def validate(call: Call) -> dict[str, Any]:
    from ..insight.validate import validate_project

    refs = _multi(call, "spec")
    for r in refs:
        check_ref(r)
    rep = validate_project(
        call.project,
        refs or None,
        check_deps=_bool(call.query.get("check_deps")),
        strict=_bool(call.query.get("strict")),
    )
    # "ok" says the request worked; "valid" (and the report's own fields) say the project is.
    return {**rep.to_dict(), "ok": True, "valid": rep.ok}


# ===================================================================== writes
CREATE_KEYS = {
    "name", "title", "description", "tags", "priority", "status", "assignee",
    "template", "depends_on", "parent", "content", "fields", "allow_duplicate",
}  # fmt: skip
PATCH_KEYS = {
    "status", "priority", "tags", "add_tags", "remove_tags", "assignee", "depends_on",
    "add_depends", "remove_depends", "parent", "title", "fields", "force", "expected_hash",
    "if_status", "if_assignee",
}  # fmt: skip


def _check_keys(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed - {"expected_hash"})
    if unknown:
        raise InvalidInput(
            f"unknown field(s): {', '.join(unknown)}",
            details={"allowed": sorted(allowed)},
        )


def create_spec(call: Call) -> Response:
    body = call.body or {}
    _check_keys(body, CREATE_KEYS)
    name = _opt_str(body, "name")
    if not name or not name.strip():
        raise InvalidInput("name is required")
    fields = body.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise InvalidInput("fields must be an object")
    res = call.project.create(
        name,
        title=_opt_str(body, "title"),
        description=_opt_str(body, "description"),
        tags=_str_list(body.get("tags"), "tags"),
        priority=_opt_str(body, "priority"),
        status=_opt_str(body, "status"),
        assignee=_opt_str(body, "assignee"),
        template=_opt_str(body, "template"),
        fields=fields,
        depends_on=_str_list(body.get("depends_on"), "depends_on"),
        parent=_opt_str(body, "parent"),
        content=_opt_str(body, "content"),
        allow_duplicate=body.get("allow_duplicate") is True,
    )
    resp = _write_result(res, 201)
    resp.headers["Location"] = f"/api/specs/{res.spec.name}"
    return resp


def patch_spec(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    body = call.body or {}
    _check_keys(body, PATCH_KEYS)
    if not set(body) - {"expected_hash", "force", "if_status", "if_assignee"}:
        raise InvalidInput("nothing to change", details={"allowed": sorted(PATCH_KEYS)})
    if_status, if_assignee = _opt_str(body, "if_status"), _opt_str(body, "if_assignee")
    # Compare-and-set preconditions are a version check of their own: with one, the
    # content hash is optional.
    want = expected_hash(call, required=if_status is None and if_assignee is None)
    ops = UpdateOps()
    ops.status = _opt_str(body, "status")
    ops.priority = _opt_str(body, "priority")
    a = body.get("assignee", None)
    if "assignee" in body:
        if a is not None and not isinstance(a, str):
            raise InvalidInput("assignee must be a string")
        ops.assignee = a or ""
    if "tags" in body:
        ops.tags = _str_list(body["tags"], "tags")
    ops.add_tags = _str_list(body.get("add_tags"), "add_tags")
    ops.remove_tags = _str_list(body.get("remove_tags"), "remove_tags")
    if "depends_on" in body:
        ops.clear_depends = True
        ops.add_depends = _str_list(body["depends_on"], "depends_on")
    else:
        ops.add_depends = _str_list(body.get("add_depends"), "add_depends")
        ops.remove_depends = _str_list(body.get("remove_depends"), "remove_depends")
    if "parent" in body:
        p = body["parent"]
        if p is not None and not isinstance(p, str):
            raise InvalidInput("parent must be a string or null")
        ops.parent = p or ""
    ops.title = _opt_str(body, "title")
    fields = body.get("fields")
    if fields is not None:
        if not isinstance(fields, dict):
            raise InvalidInput("fields must be an object")
        ops.fields = dict(fields)
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise InvalidInput("force must be true or false")
    res = _guarded(
        call,
        ref,
        None,
        lambda: call.project.update(
            ref, ops, expected_hash=want, force=force, if_status=if_status, if_assignee=if_assignee
        ),
    )
    warnings = claims_api.start_warnings(call.project, res.spec) if "status" in res.changed else []
    return _write_result(res, warnings=warnings)


def _guarded(call: Call, ref: str, filename: str | None, fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except Conflict as exc:
        raise _ConflictWithCurrent(exc, _conflict_extra(call, ref, filename)) from None


class _ConflictWithCurrent(Exception):
    def __init__(self, exc: Conflict, extra: dict[str, Any]) -> None:
        super().__init__(exc.message)
        self.exc = exc
        self.extra = extra


def put_content(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    body = call.body or {}
    _check_keys(body, {"content"})
    content = body.get("content")
    if not isinstance(content, str):
        raise InvalidInput("content (a string) is required")
    want = expected_hash(call)
    res = _guarded(call, ref, None, lambda: call.project.update(ref, UpdateOps(content=content), expected_hash=want))
    return _write_result(res)


def put_file(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    fname = check_file(call.param("file"))
    body = call.body or {}
    _check_keys(body, {"content"})
    content = body.get("content")
    if not isinstance(content, str):
        raise InvalidInput("content (a string) is required")
    want = expected_hash(call)
    spec = call.project.get(ref)
    if fname.lower() == call.project.config.default_file.lower():
        res = _guarded(
            call, spec.name, None, lambda: call.project.write_content(spec.name, content, expected_hash=want)
        )
        return _write_result(res)
    _guarded(
        call, spec.name, fname, lambda: call.project.write_content(f"{spec.name}/{fname}", content, expected_hash=want)
    )
    name, rel, text = call.project.read(f"{spec.name}/{fname}")
    h = _text_hash(text)
    return json_response(
        {"ok": True, "spec": name, "file": fname, "path": rel, "content_hash": h, "content": text}, hash_=h
    )


def toggle_check(call: Call) -> Response:
    from .render import task_item_at

    ref = check_ref(call.param("ref"))
    body = call.body or {}
    _check_keys(body, {"line", "item", "checked"})
    checked = body.get("checked")
    if not isinstance(checked, bool):
        raise InvalidInput("checked must be true or false")
    want = expected_hash(call)
    item = body.get("item")
    if "line" in body:
        line = body["line"]
        if not isinstance(line, int) or isinstance(line, bool):
            raise InvalidInput("line must be a number")
        spec = call.project.get(ref)
        if want is not None and not (
            spec.content_hash == want or (len(want) >= 12 and spec.content_hash.startswith(want))
        ):
            raise _ConflictWithCurrent(
                Conflict(
                    f"{spec.path} changed since you read it; nothing was written",
                    hint="re-read the spec and apply your change again",
                    details={"current_hash": spec.content_hash, "expected_hash": want},
                ),
                {"current": spec.to_dict(content=True)},
            )
        found = task_item_at(spec.body, line)
        if found is None:
            raise InvalidInput(f"line {line} is not a checklist item")
        item = found[0]
    if not isinstance(item, str) or not item.strip():
        raise InvalidInput("line (a number) or item (text) is required")
    res = _guarded(
        call, ref, None, lambda: call.project.update(ref, UpdateOps(checks=[(item, checked)]), expected_hash=want)
    )
    return _write_result(res)


def archive_spec(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    want = expected_hash(call)
    res = _guarded(call, ref, None, lambda: call.project.archive(ref, expected_hash=want))
    return _write_result(res)


# ====================================================================== claims
def _holder(body: dict[str, Any]) -> str:
    h = body.get("holder")
    if not isinstance(h, str) or not h.strip():
        raise InvalidInput("holder (a string: who claims) is required")
    return h


def _flag(body: dict[str, Any], key: str) -> bool:
    v = body.get(key, False)
    if not isinstance(v, bool):
        raise InvalidInput(f"{key} must be true or false")
    return v


def list_claims(call: Call) -> dict[str, Any]:
    leases = claims_api.list_claims(call.project, include_expired=_bool(call.query.get("all")), remote=call.query.get("remote") or None)
    now = claims_api.claims_now_of(call.project)
    items = [x.to_dict(now) for x in leases]
    return {"ok": True, "claims": items, "total": len(items)}


def next_claim(call: Call) -> dict[str, Any]:
    top, r = claims_api.next_ready(call.project, remote=call.query.get("remote") or None)
    ready = r.ready()
    limit = _int(call.query.get("limit"), "limit", 5, 0, 1000) or 0
    return {
        "ok": True,
        "spec": top.to_dict() if top is not None else None,
        "ready_total": len(ready),
        "ready": [s.name for s in ready[:limit]],
    }


def post_claim(call: Call) -> Response:
    body = call.body or {}
    _check_keys(body, {"holder", "spec", "lease", "force", "renew", "remote"})
    spec = _opt_str(body, "spec")
    if spec is not None:
        check_ref(spec)
    lease = body.get("lease")
    if lease is not None and (isinstance(lease, bool) or not isinstance(lease, str | int | float)):
        raise InvalidInput("lease must be a duration such as 30m, or a number of seconds")
    res = claims_api.claim(call.project,
        spec,
        holder=_holder(body),
        lease=lease,
        force=_flag(body, "force"),
        renew=_flag(body, "renew"),
        remote=_opt_str(body, "remote"),
    )
    return json_response(res.to_dict(), hash_=res.spec.content_hash)


def release_claim(call: Call) -> Response:
    ref = check_ref(call.param("ref"))
    body = call.body or {}
    _check_keys(body, {"holder", "status", "force", "remote"})
    res = claims_api.release(call.project,
        ref,
        holder=_holder(body),
        status=_opt_str(body, "status"),
        force=_flag(body, "force"),
        remote=_opt_str(body, "remote"),
    )
    return json_response(res.to_dict(), hash_=res.spec.content_hash)


# ============================================================== route plumbing
async def read_body(request: Request, limit: int = MAX_BODY) -> dict[str, Any] | None:
    """The JSON object a write sends: at most ``limit`` bytes (checked against
    Content-Length, then while streaming), its structure checked on the raw bytes
    before anything is parsed (``core.jsonguard``)."""
    if request.method in ("GET", "HEAD", "DELETE"):
        return None
    from ..core.jsonguard import check_object

    too_big = HttpError(
        413, "payload_too_large", f"request body too large (at most {limit} bytes on this route)",
        details={"limit": limit},
    )  # fmt: skip
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_big
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    check_object(raw)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidInput("request body must be a JSON object")
    return data


async def _until_disconnect(request: Request, budget: Any) -> None:
    """Wait for the client to go away, then abandon the request's work (its budget)."""
    while True:
        msg = await request.receive()
        if msg["type"] == "http.disconnect":
            budget.cancel("the client went away")
            return


def endpoint(fn: Handler, resolve: Callable[[Request], Served]) -> Callable[[Request], Awaitable[Response]]:
    limit = BODY_LIMITS.get(fn.__name__, MAX_META_BODY)

    async def route(request: Request) -> Response:
        import anyio

        from ..insight.budget import Budget, activate

        try:
            served = resolve(request)
            body = await read_body(request, limit)
            # The handler runs in a worker thread under this request's budget; if the
            # client disconnects meanwhile, the budget is cancelled and the search or
            # scan in the thread stops at its next check (writes are never cut short:
            # the store checks nothing of it).
            with activate(Budget()) as budget:
                box: list[Any] = []
                async with anyio.create_task_group() as tg:

                    async def work() -> None:
                        box.append(await run_in_threadpool(fn, Call(request, served, body)))
                        tg.cancel_scope.cancel()

                    tg.start_soon(_until_disconnect, request, budget)
                    tg.start_soon(work)
                out = box[0] if box else None
                if out is None:
                    budget.check()
        except _ConflictWithCurrent as c:
            return error_response(c.exc, extra=c.extra)
        except Exception as exc:  # the one error funnel: LeanSpecError -> http_status
            if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
                inner = exc.exceptions[0]
                if isinstance(inner, _ConflictWithCurrent):
                    return error_response(inner.exc, extra=inner.extra)
                exc = inner  # type: ignore[assignment]
            return error_response(exc)
        if isinstance(out, Response):
            return out
        return json_response(out)

    route.__name__ = getattr(fn, "__name__", "route")
    return route


def events_endpoint(resolve: Callable[[Request], Served]) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        try:
            served = resolve(request)
        except Exception as exc:
            return error_response(exc)
        return StreamingResponse(
            stream(served.hub, served.id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return route


# Body size cap per handler: the routes that carry spec content take MAX_BODY.
BODY_LIMITS = {"create_spec": MAX_BODY, "put_content": MAX_BODY, "put_file": MAX_BODY}

# (method, path under a project, handler) — the single list the app and the OpenAPI
# test both read.
PROJECT_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/specs", list_specs),
    ("POST", "/specs", create_spec),
    ("GET", "/specs/{ref}", get_spec),
    ("PATCH", "/specs/{ref}", patch_spec),
    ("PUT", "/specs/{ref}/content", put_content),
    ("GET", "/specs/{ref}/files/{file}", get_file),
    ("PUT", "/specs/{ref}/files/{file}", put_file),
    ("POST", "/specs/{ref}/checklist", toggle_check),
    ("POST", "/specs/{ref}/archive", archive_spec),
    ("GET", "/specs/{ref}/deps", spec_deps),
    ("GET", "/specs/{ref}/tokens", spec_tokens_route),
    ("GET", "/board", board),
    ("GET", "/board/cards", board_cards),
    ("GET", "/badges", badges),
    ("GET", "/deps", deps),
    ("GET", "/stats", stats),
    ("GET", "/search", search_route),
    ("GET", "/validate", validate),
    ("GET", "/claims", list_claims),
    ("POST", "/claims", post_claim),
    ("GET", "/claims/next", next_claim),
    ("POST", "/claims/{ref}/release", release_claim),
]


def unknown_project(pid: str, known: list[str]) -> LeanSpecError:
    from ..core.errors import ProjectNotFound

    return ProjectNotFound(f"no served project with id {pid!r}", details={"projects": known})
