"""Push updates: one file watcher per served project, fanned out to every open page.

The watcher (watchfiles, inotify on Linux) runs only while at least one client is
subscribed. Any change under the specs folder — from the CLI, the MCP server, an
editor or ``git checkout`` — becomes one ``changed`` event listing the spec paths
(relative to the project root). Temp files of in-flight atomic writes and the lock
file are ignored, so a write shows up once, after its rename.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..store import fsutil

KEEPALIVE_SECONDS = 15.0
# After the last page disconnects the watcher keeps running this long, so a reload or
# a click to another page does not pay for a new recursive watch of the specs folder.
LINGER_SECONDS = 30.0


class EventHub:
    def __init__(self, root: Path, specs_dir: Path, *, debounce_ms: int = 60) -> None:
        self.root = root
        self.specs_dir = specs_dir
        self.debounce_ms = debounce_ms
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Event | None = None
        self.seq = 0
        self.closing = False
        self._linger: asyncio.TimerHandle | None = None

    # ----------------------------------------------------------- subscribers
    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=256)
        self._subscribers.add(q)
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        if self._task is None or self._task.done():
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._run(self._stop))
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(q)
        if not self._subscribers and self._stop is not None:
            stop = self._stop
            if self.closing:
                stop.set()
                return

            def idle() -> None:
                self._linger = None
                if not self._subscribers:
                    stop.set()

            if self._linger is not None:
                self._linger.cancel()
            self._linger = asyncio.get_running_loop().call_later(LINGER_SECONDS, idle)

    def end_streams(self) -> None:
        """Server shutdown: every open ``/api/events`` stream ends now, so the server
        does not wait out its grace period on idle event streams."""
        self.closing = True
        for q in list(self._subscribers):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait({"type": "bye"})

    async def close(self) -> None:
        if self._linger is not None:
            self._linger.cancel()
            self._linger = None
        self.end_streams()
        if self._stop is not None:
            self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        self._task = None

    def publish(self, event: dict[str, Any]) -> None:
        self.seq += 1
        event = {**event, "seq": self.seq}
        for q in list(self._subscribers):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:
                # A stalled client: drop its backlog, tell it to refetch everything.
                with contextlib.suppress(asyncio.QueueEmpty):
                    while True:
                        q.get_nowait()
                q.put_nowait({"type": "changed", "paths": [], "all": True, "seq": self.seq})

    # ---------------------------------------------------------------- watcher
    def _relevant(self, path: str) -> bool:
        name = os.path.basename(path)
        if name.endswith(".lock") or name.startswith(".#") or name.endswith("~") or name.endswith(".swp"):
            return False
        # A create builds its folder hidden under a temp name: ignore everything inside.
        return not any(fsutil.is_tmp(part) for part in Path(path).parts)

    def _rel(self, path: str) -> str:
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except (ValueError, OSError):
            return path

    async def _run(self, stop: asyncio.Event) -> None:
        from watchfiles import awatch

        while not stop.is_set():
            if not self.specs_dir.is_dir():
                # No specs folder yet (fresh project, or mid `git checkout`): wait for it.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
                if self.specs_dir.is_dir():
                    self.publish({"type": "changed", "paths": [], "all": True})
                continue
            try:
                async for changes in awatch(
                    self.specs_dir,
                    stop_event=stop,
                    debounce=self.debounce_ms,
                    step=20,
                    watch_filter=lambda _c, p: self._relevant(p),
                    recursive=True,
                    yield_on_timeout=False,
                    rust_timeout=1000,
                ):
                    paths = sorted({self._rel(p) for _c, p in changes})
                    if paths:
                        self.publish({"type": "changed", "paths": paths})
                    if not self.specs_dir.is_dir():
                        break
            except (FileNotFoundError, RuntimeError, OSError):
                # The folder vanished under the watcher; loop back and wait for it.
                await asyncio.sleep(0.2)


def sse(data: dict[str, Any], event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return (head + "data: " + json.dumps(data, separators=(",", ":")) + "\n\n").encode("utf-8")


async def stream(hub: EventHub, project_id: str) -> AsyncIterator[bytes]:
    """The body of ``GET /api/events``: a hello, then changes, with keep-alives."""
    if hub.closing:
        return
    q = hub.subscribe()
    try:
        yield b"retry: 1000\n\n"
        yield sse({"type": "hello", "project": project_id, "seq": hub.seq})
        while True:
            try:
                ev = await asyncio.wait_for(q.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            if ev.get("type") == "bye":
                return
            yield sse({**ev, "project": project_id})
    finally:
        hub.unsubscribe(q)
