"""Running the app on uvicorn (used by ``lean-spec ui`` and the tests)."""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette


class UIServer(uvicorn.Server):
    """uvicorn, plus: on shutdown (Ctrl-C, SIGTERM) open event streams end at once (an
    idle SSE connection would otherwise hold the server for its whole grace period)
    and every request's budget is cancelled, so a long search stops at its next check;
    the grace period for requests still running is one second, so the process is gone
    within two."""

    def __init__(self, app: Starlette, **kw: Any) -> None:
        kw.setdefault("log_level", "warning")
        kw.setdefault("access_log", False)
        kw.setdefault("lifespan", "on")
        kw.setdefault("ws", "none")
        kw.setdefault("timeout_graceful_shutdown", 1)
        super().__init__(uvicorn.Config(app, **kw))
        self.app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from ..insight.budget import cancel_all

        cancel_all("the server is stopping")
        for served in self.app.state.leanspec.projects.values():
            served.hub.end_streams()
        await super().shutdown(sockets=sockets)
