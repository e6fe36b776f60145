"""A simulated coarse file-system clock for the racy-timestamp tests (the metadata
cache's delta and listing, the persisted folder names)."""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from leanspec.store import fsutil


class CoarseClock:
    """A file system whose clock ticks only when the test says so: every stat reports
    mtime and ctime as the tick in which the test first saw that (inode, real ctime),
    i.e. a change gets the current tick, an unchanged inode keeps its own. The worst
    case of a coarse timestamp granularity."""

    def __init__(self) -> None:
        self.tick = 10**18
        self.seen: dict[tuple[int, int, int], int] = {}

    def advance(self) -> None:
        self.tick += 2 * fsutil.WALL_RACY_NS

    def wrap(self, st: os.stat_result) -> Any:
        t = self.seen.setdefault((st.st_dev, st.st_ino, st.st_ctime_ns), self.tick)
        fields = {k: getattr(st, k) for k in dir(st) if k.startswith("st_")}
        fields.update(st_mtime_ns=t, st_ctime_ns=t, st_mtime=t / 1e9, st_ctime=t / 1e9)
        return SimpleNamespace(**fields)

    def now(self, st: os.stat_result) -> Any:
        self.seen[(st.st_dev, st.st_ino, st.st_ctime_ns)] = self.tick
        return self.wrap(st)

    def install(self, monkeypatch: Any, *modules: Any) -> None:
        """Let ``modules`` (and fsutil, whose probe reads the clock) see this clock."""
        fake = self.os_module()
        for m in (*modules, fsutil):
            monkeypatch.setattr(m, "os", fake)

    def os_module(self) -> Any:
        ns = SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
        ns.stat = lambda p, *a, **k: self.wrap(os.stat(p, *a, **k))
        ns.fstat = lambda fd: self.now(os.fstat(fd))  # only the clock probe, just touched
        return ns
