"""The ASGI app behind ``lean-spec ui``: JSON API, server-sent events, the page shell
and its static files (plain ES modules + CSS shipped in the package; no build step,
nothing from a CDN).

Security, in one middleware (``Guard``), before any route runs (docs/security.md):
- the ``Host`` header must parse strictly and be localhost, an IP literal, the bound
  host or an allowed name (DNS rebinding);
- a write needs this server's ``Origin`` (or the API key); another ``Origin`` or a
  ``Sec-Fetch-Site`` other than same-origin is refused (CSRF);
- a write with a body needs ``Content-Type: application/json``;
- with an API key, ``/api/*`` needs ``Authorization: Bearer <key>`` (``?access_token=``
  on the events route only);
- ``--readonly`` refuses every write.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..project import Project
from . import api, calls
from .errors import HttpError, error_response, plain_error
from .events import EventHub

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
PUBLIC_API = frozenset({"/api/health"})


class _Static(StaticFiles):
    """Package assets, revalidated on every load (ETag): an upgrade never leaves a
    browser running stale modules."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        resp = super().file_response(*args, **kwargs)
        resp.headers["Cache-Control"] = "no-cache"
        return resp


class AppState:
    def __init__(self, projects: dict[str, calls.Served], *, readonly: bool, api_key: str | None) -> None:
        self.projects = projects
        self.default_id = next(iter(projects))
        self.readonly = readonly
        self.api_key = api_key


_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_](?:[a-z0-9._-]{0,252})))(?::(?P<port>[0-9]{1,5}))?")
_EVENTS = re.compile(r"/api(?:/projects/[^/]+)?/events")


def split_host(host: str) -> tuple[str, int | None] | None:
    """``(name, port)`` of a ``Host`` header (``host[:port]``, ``[v6][:port]``), lower
    case, without a trailing dot; None when it is not exactly that (``[::1]evil.com``,
    ``a b``, a port over 65535)."""
    m = _HOST.fullmatch(host.strip().lower())
    if m is None:
        return None
    port = int(m["port"]) if m["port"] else None
    if port is not None and port > 65535:
        return None
    if m["v6"] is not None:
        try:
            ipaddress.IPv6Address(m["v6"])
        except ValueError:
            return None
        return m["v6"], port
    name = m["name"]
    if name.endswith("."):
        name = name[:-1]
    if not name or ".." in name:
        return None
    return name, port


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _origin_key(scheme: str, host: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port made explicit, for origin comparison."""
    parsed = split_host(host)
    if parsed is None:
        return None
    name, port = parsed
    return scheme, name, port if port is not None else (443 if scheme == "https" else 80)


def _json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json"


class Guard:
    """Host allow-list, same-origin writes, bearer token, JSON writes, read-only. Pure
    ASGI so streaming responses (SSE) pass through untouched."""

    def __init__(self, app: ASGIApp, *, state: AppState, allowed_hosts: set[str]) -> None:
        self.app = app
        self.state = state
        self.allowed_hosts = allowed_hosts

    def host_ok(self, host: str) -> bool:
        parsed = split_host(host) if host else None
        if parsed is None:
            return False
        name = parsed[0]
        # An IP literal cannot be a rebinding attack: the page's origin is that IP.
        return name in LOCAL_HOSTS or name in self.allowed_hosts or _is_ip(name)

    def token_ok(self, headers: Headers, scope: Scope, method: str, path: str) -> bool:
        key = self.state.api_key
        if not key:
            return False
        token = ""
        auth = headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        elif method == "GET" and _EVENTS.fullmatch(path):
            # EventSource cannot send headers: the page passes the key in the URL, on
            # the events route only.
            token = (parse_qs(scope.get("query_string", b"").decode("latin-1")).get("access_token") or [""])[0]
        return bool(token) and hmac.compare_digest(token.encode("utf-8"), key.encode("utf-8"))

    def check(self, scope: Scope) -> HttpError | None:
        headers = Headers(scope=scope)
        method = scope["method"].upper()
        path: str = scope["path"]
        host = headers.get("host", "")
        if not self.host_ok(host):
            return HttpError(
                403,
                "forbidden_host",
                f"host {host[:100]!r} is not allowed",
                hint="open the UI at http://127.0.0.1:<port>/ or http://localhost:<port>/",
            )
        unsafe = method not in SAFE_METHODS
        origin = headers.get("origin")
        if unsafe:
            if origin is not None:
                o = urlsplit(origin) if origin != "null" else None
                scheme = scope.get("scheme", "http")
                if (
                    o is None
                    or o.scheme != scheme
                    or o.path not in ("", "/")
                    or _origin_key(o.scheme, o.netloc) is None
                    or _origin_key(o.scheme, o.netloc) != _origin_key(scheme, host)
                ):
                    return HttpError(403, "forbidden_origin", f"cross-origin write refused (Origin {origin[:100]!r})")
            site = headers.get("sec-fetch-site")
            if site is not None and site not in ("same-origin", "none"):
                return HttpError(403, "forbidden_origin", f"write from another site refused (Sec-Fetch-Site: {site[:40]})")
        api = path.startswith("/api/") or path == "/api"
        authed = self.token_ok(headers, scope, method, path)
        if api and self.state.api_key and path not in PUBLIC_API and not authed:
            return HttpError(
                401,
                "unauthorized",
                "missing or wrong API key",
                hint="send Authorization: Bearer <LEANSPEC_API_KEY>",
            )
        if unsafe and api:
            if self.state.readonly:
                return HttpError(403, "readonly", "this server is read-only (started with --readonly)")
            if origin is None and not authed:
                return HttpError(
                    403,
                    "forbidden_origin",
                    "a write needs this server's Origin header (or the API key)",
                    hint="send Origin: http://<host>:<port> of this server, as a browser does",
                )
            has_body = headers.get("transfer-encoding") is not None or headers.get("content-length", "0").strip() not in ("", "0")
            if has_body and not _json_type(headers.get("content-type", "")):
                return HttpError(
                    415,
                    "unsupported_media_type",
                    "a write's body must be JSON: send Content-Type: application/json",
                )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        err = self.check(scope)
        if err is not None:
            headers = {"WWW-Authenticate": "Bearer"} if err.code == "unauthorized" else None
            await error_response(err, headers=headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _ids(projects: Sequence[Project]) -> list[str]:
    out: list[str] = []
    for p in projects:
        base = re.sub(r"[^a-z0-9]+", "-", p.root.name.lower()).strip("-") or "project"
        pid, n = base, 2
        while pid in out:
            pid, n = f"{base}-{n}", n + 1
        out.append(pid)
    return out


_PAGES = ("board", "specs", "graph", "stats")


def page_path_ok(path: str, served: dict[str, Any]) -> bool:
    """Whether ``path`` is one of the UI's pages: ``/``, ``/board``, ``/specs``,
    ``/specs/<ref>``, ``/graph``, ``/graph/<ref>``, ``/stats``, each also under
    ``/p/<project id>``."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "p":
        if parts[1] not in served:
            return False
        parts = parts[2:]
    if not parts:
        return True
    if parts[0] not in _PAGES:
        return False
    return len(parts) == 1 or (len(parts) == 2 and parts[0] in ("specs", "graph"))


def _shell() -> str:
    from importlib.resources import files

    html = files("leanspec.web").joinpath("static/index.html").read_text("utf-8")
    return html.replace("__VERSION__", __version__)


def create_app(
    projects: Sequence[Project | str | Path] | Project,
    *,
    readonly: bool = False,
    api_key: str | None = None,
    allowed_hosts: Sequence[str] = (),
) -> Starlette:
    """The app for one or more projects. The first project is the default one, served
    at ``/api/...``; every project is also at ``/api/projects/{id}/...``."""
    if isinstance(projects, Project):
        projects = [projects]
    opened = [p if isinstance(p, Project) else Project.open(p) for p in projects]
    if not opened:
        raise ValueError("create_app needs at least one project")
    served = {
        pid: calls.Served(pid, p.root.name, p, EventHub(p.root, p.store.specs_dir))
        for pid, p in zip(_ids(opened), opened, strict=True)
    }
    state = AppState(served, readonly=readonly, api_key=api_key or None)

    def default_project(_request: Request) -> calls.Served:
        return served[state.default_id]

    def named_project(request: Request) -> calls.Served:
        pid = request.path_params["pid"]
        s = served.get(pid)
        if s is None:
            raise api.unknown_project(pid, list(served))
        return s

    routes: list[Any] = []
    for prefix, resolve in (("/api", default_project), ("/api/projects/{pid}", named_project)):
        for method, path, fn in api.PROJECT_ROUTES:
            routes.append(Route(prefix + path, calls.endpoint(fn, resolve), methods=[method]))
        routes.append(Route(prefix + "/events", calls.events_endpoint(resolve), methods=["GET"]))

    async def info(request: Request) -> Response:
        return calls.json_response(api.api_info(state))

    async def projects_route(request: Request) -> Response:
        return calls.json_response(
            {"ok": True, "default": state.default_id, "projects": [s.info() for s in served.values()]}
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "version": __version__})

    async def openapi(request: Request) -> Response:
        from .openapi import spec

        return JSONResponse(spec())

    async def api_not_found(request: Request) -> Response:
        from starlette.routing import Match

        allowed: set[str] = set()
        for r in app.router.routes:
            if (
                isinstance(r, Route)
                and r.endpoint is not api_not_found
                and r.path.startswith("/api")
                and r.matches(request.scope)[0] == Match.PARTIAL
            ):
                allowed.update(r.methods or ())
        if allowed:
            return error_response(
                HttpError(
                    405,
                    "method_not_allowed",
                    f"{request.method} is not allowed on {request.url.path}",
                    details={"allowed": sorted(allowed)},
                ),
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        return plain_error(
            404, "not_found", f"no API route {request.method} {request.url.path}", hint="see /api/openapi.json"
        )

    shell_cache: dict[str, str] = {}

    async def page(request: Request) -> Response:
        if "html" not in shell_cache:
            shell_cache["html"] = _shell()
        # The shell renders every page (and its own 404 page); an unknown path is
        # still answered with a real 404 status.
        return HTMLResponse(
            shell_cache["html"],
            status_code=200 if page_path_ok(request.url.path, served) else 404,
            headers={
                "Cache-Control": "no-cache",
                "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    routes += [
        Route("/api/health", health, methods=["GET"]),
        Route("/api/info", info, methods=["GET"]),
        Route("/api/projects", projects_route, methods=["GET"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/{rest:path}", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        Route("/api", api_not_found, methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        Mount("/static", _Static(packages=[("leanspec.web", "static")]), name="static"),
        Route("/{rest:path}", page, methods=["GET", "HEAD"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # A running server keeps each project's listing warm (leanspec.watch): only the
        # spec folders the change journal names are re-checked per request.
        for s in served.values():
            s.project.keep_warm()
        try:
            yield
        finally:
            for s in served.values():
                s.project.stop_warm()
                await s.hub.close()

    async def method_not_allowed(request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        if code == 405:
            return plain_error(405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}")
        if code == 404:
            return plain_error(404, "not_found", f"not found: {request.url.path}")
        return error_response(exc)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: method_not_allowed, 405: method_not_allowed, 500: method_not_allowed},
    )
    app.state.leanspec = state
    app.add_middleware(Guard, state=state, allowed_hosts={h.lower() for h in allowed_hosts})
    return app
