"""What every HTTP route shares: the served project (``Served``), one request's view
(``Call``), query and body parsing with size caps (``read_body``), JSON responses with
ETags, and ``endpoint``, which runs a handler in a worker thread under the request's
budget and turns every error into the JSON error body (errors.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..core.errors import Conflict, InvalidInput, LeanSpecError
from ..core.model import Spec
from ..project import Project
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
class ConflictWithCurrent(Exception):
    """A write's conflict, carrying what the page needs to show the current version."""

    def __init__(self, exc: Conflict, extra: dict[str, Any]) -> None:
        super().__init__(exc.message)
        self.exc = exc
        self.extra = extra


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


def str_list(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(",") if p.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    raise InvalidInput(f"{field} must be a list of strings")


def opt_str(body: dict[str, Any], key: str) -> str | None:
    v = body.get(key)
    if v is None:
        return None
    if not isinstance(v, str):
        raise InvalidInput(f"{key} must be a string")
    return v


def query_bool(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true", "yes", "on")


def query_multi(call: Call, *names: str) -> list[str]:
    out: list[str] = []
    for n in names:
        for v in call.query.getlist(n):
            out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def query_int(v: str | None, name: str, default: int | None = None, lo: int = 0, hi: int = 10**6) -> int | None:
    if v is None or v == "":
        return default
    try:
        n = int(v)
    except ValueError:
        raise InvalidInput(f"{name} must be a number") from None
    if not lo <= n <= hi:
        raise InvalidInput(f"{name} must be between {lo} and {hi}")
    return n


def specs_of(call: Call) -> list[Spec]:
    return call.project.load(include_archived=True).specs


def text_filter(call: Call, specs: list[Spec], text: str) -> list[Spec]:
    """The specs matching search query ``text`` (``?q=`` of the list and the board), in
    their order: names only, ranked by the search index (synced with the whole listing),
    so no body is read for snippets nobody shows."""
    from ..insight.search import search, uses_index
    from ..insight.searchindex import synced

    index = synced(call.project.root, specs_of(call)) if uses_index(text) else None
    keep = set(search(specs, text, include_archived=True, index=index, names_only=True)["names"])
    return [s for s in specs if s.name in keep]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def conflict_extra(call: Call, ref: str, filename: str | None = None) -> dict[str, Any]:
    """The current version, sent with a 409 so the page can show what changed."""
    try:
        if filename is None:
            s = call.project.get(ref)
            return {"current": s.to_dict(content=True)}
        name, rel, text = call.project.read(f"{ref}/{filename}")
        return {
            "current": {"spec": name, "file": filename, "path": rel, "content": text, "content_hash": text_hash(text)}
        }
    except LeanSpecError:
        return {}


def write_result(res: Any, status: int = 200, *, warnings: list[str] | None = None) -> JSONResponse:
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
        except ConflictWithCurrent as c:
            return error_response(c.exc, extra=c.extra)
        except Exception as exc:  # the one error funnel: LeanSpecError -> http_status
            if isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
                inner = exc.exceptions[0]
                if isinstance(inner, ConflictWithCurrent):
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
