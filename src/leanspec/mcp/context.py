"""Which project the server serves, re-checked on every call.

The server is long-running while the project changes behind its back (CLI, editor,
``git checkout``). Spec files are never cached here: every tool call reads through the
store, which sees the disk as it is now (its warm listing re-checks exactly the spec
folders the kernel's change journal names, see ``leanspec.watch``). What is kept
between calls is the opened ``Project`` (its parsed config and warm listing), and it is
re-opened as soon as the config file's size or mtime changes, or the project appears
(``lean-spec init`` after the server started).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from ..core.config import CONFIG_DIR, find_root
from ..core.errors import ProjectNotFound
from ..project import Project

_CONFIG_FILES = ("config.json", "config.yaml", "config.yml")


def _config_signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    sig = []
    for name in _CONFIG_FILES:
        try:
            st = os.stat(root / CONFIG_DIR / name)
        except OSError:
            continue
        sig.append((name, st.st_mtime_ns, st.st_size))
    return tuple(sig)


class ProjectHolder:
    """Hands out the current ``Project``; thread-safe (sync tools run in worker threads)."""

    def __init__(
        self, root: str | Path | None = None, *, specs_dir: str | None = None, cwd: Path | None = None
    ) -> None:
        self._explicit = Path(root).resolve() if root is not None else None
        self._specs_dir = specs_dir
        self._cwd = (cwd or Path.cwd()).resolve()
        self._lock = threading.Lock()
        self._project: Project | None = None
        self._sig: tuple[tuple[str, int, int], ...] = ()

    def root(self) -> Path | None:
        if self._explicit is not None:
            return self._explicit
        env = os.environ.get("LEANSPEC_PROJECT")
        if env:
            return Path(env).resolve()
        return find_root(self._cwd)

    def get(self) -> Project:
        with self._lock:
            root = self._project.root if self._project is not None and self._explicit is None else self.root()
            if root is None:
                raise ProjectNotFound(
                    f"no LeanSpec project at or above {self._cwd} (no .lean-spec/ or specs/ folder)",
                    hint="start the server with `lean-spec mcp --project DIR`, or run `lean-spec init` in the project",
                )
            sig = _config_signature(root)
            if self._project is None or self._project.root != root.resolve() or sig != self._sig:
                if self._project is not None:
                    self._project.stop_warm()
                self._project = Project.open(root, specs_dir=self._specs_dir)
                # Listings stay in memory between calls, re-checked where the OS's change
                # journal reports changes (leanspec.watch); exact, not time-based.
                self._project.keep_warm()
                self._sig = sig
            return self._project
