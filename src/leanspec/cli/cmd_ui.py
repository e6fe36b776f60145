"""``lean-spec ui``: serve the web UI and JSON API for one or more projects.

The web stack (starlette, uvicorn, watchfiles, markdown-it) is imported only inside
``cmd_ui``, so no other command pays for it.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

from ._app import Ctx, Outcome, open_projects

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    # The shared parent defines -C/--project as one folder; `ui` serves several, so it
    # takes a private copy of the common options and redefines --project as repeatable
    # (resolving the conflict on the shared parent would change every other command).
    from .commands import private_common, suppress

    p = sub.add_parser(
        "ui",
        parents=[private_common(common)],
        conflict_handler="resolve",
        help="open the web UI (board, specs, dependency graph, stats)",
        description="Serve the web UI and JSON API on http://127.0.0.1:3000/ and open it in the browser. "
        "Runs until Ctrl-C. Set LEANSPEC_API_KEY to require a bearer token on /api.",
    )
    p.add_argument(
        "-C",
        "--project",
        dest="project",
        action="append",
        metavar="DIR",
        default=suppress(),
        help="project to serve; repeat to serve several (default: search upward from the current folder)",
    )
    p.add_argument("-p", "--port", type=int, default=3000, help="port (default 3000; 0 picks a free one)")
    p.add_argument("-H", "--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--no-open", action="store_true", help="do not open a browser")
    p.add_argument("--readonly", action="store_true", help="refuse every write (viewing only)")
    p.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also accept this Host name (repeatable); localhost and IP addresses are always accepted",
    )
    p.set_defaults(func=cmd_ui)


def _bind(host: str, port: int) -> socket.socket:
    from ..core.errors import InvalidInput

    if not 0 <= port <= 65535:
        raise InvalidInput(f"invalid port {port}: use 0-65535")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InvalidInput(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="pick another port with --port (0 picks a free one)",
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_ui(ctx: Ctx, args: argparse.Namespace) -> Outcome:
    if not _loopback(args.host) and not os.environ.get("LEANSPEC_API_KEY"):
        # Anyone who can reach the address could read and change every spec.
        from ..core.errors import InvalidInput

        raise InvalidInput(
            f"refusing to serve on {args.host} (reachable from other machines) without an API key",
            hint="set LEANSPEC_API_KEY to a secret (clients then send Authorization: Bearer <key>), "
            "or keep the default --host 127.0.0.1",
        )
    projects = open_projects(args)
    from ..web.app import create_app
    from ..web.server import UIServer

    sock = _bind(args.host, args.port)
    port = sock.getsockname()[1]
    shown_host = f"[{args.host}]" if ":" in args.host else args.host
    if args.host in ("0.0.0.0", "::"):
        shown_host = "127.0.0.1"
    url = f"http://{shown_host}:{port}/"
    app = create_app(
        projects,
        readonly=args.readonly,
        api_key=os.environ.get("LEANSPEC_API_KEY") or None,
        allowed_hosts=[args.host, *args.allow_host],
    )
    server = UIServer(app)
    info = {"url": url, "host": args.host, "port": port, "readonly": bool(args.readonly),
            "projects": [{"id": s.id, "root": str(s.project.root)} for s in app.state.leanspec.projects.values()]}  # fmt: skip
    if not _loopback(args.host):
        import sys

        sys.stderr.write(
            f"warning: serving on {args.host}: other machines can reach this server (API key required, plain HTTP)\n"
        )
    if ctx.json:
        import json

        ctx.stdout.write(json.dumps(info, separators=(",", ":")) + "\n")
    else:
        names = ", ".join(str(p.root) for p in projects)
        ctx.stdout.write(
            f"LeanSpec UI on {url}  ({names}{', read-only' if args.readonly else ''})\nPress Ctrl-C to stop.\n"
        )
    ctx.stdout.flush()

    if not args.no_open:

        def open_when_ready() -> None:
            import time
            import webbrowser

            for _ in range(200):
                if server.started:
                    break
                time.sleep(0.05)
            try:
                webbrowser.open(url)
            except Exception:  # no browser here: the URL is printed anyway
                pass

        threading.Thread(target=open_when_ready, daemon=True).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    # With --json, stdout carries JSON lines: the start line above, then this one.
    return Outcome(data={"stopped": True, "url": url}, text="" if ctx.quiet else "stopped")
