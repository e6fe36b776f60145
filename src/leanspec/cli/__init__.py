"""The ``lean-spec`` command line. This module stays tiny so ``--version`` is instant;
the parser and the error funnel live in ``cli._main``."""

from __future__ import annotations

import sys
from types import ModuleType as _ModuleType

# Not `from typing import ...`: typing imports re, ~5 ms that `--version` does not need.
# (mypy treats any `TYPE_CHECKING` name as true.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def main(argv: Sequence[str] | None = None, *, keep_alive: list[Any] | None = None) -> int:
    """Run one command; the exit code. ``keep_alive``: a list that receives what the
    command built, for a caller about to leave with ``os._exit`` (see ``run``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):  # fast path: no parser, no imports
        from .. import __version__

        print(f"lean-spec {__version__}")
        return 0
    pathlib_without_urllib()
    from ._main import main as _main

    return _main(args, keep_alive=keep_alive)


def pathlib_without_urllib() -> None:
    """Import pathlib without paying, at import, for what only a few of its methods use:

    * ``urllib.parse`` (and ``ipaddress``, ~1.5 ms): pathlib (3.11, 3.12) binds
      ``urllib.parse.quote_from_bytes`` at import for ``Path.as_uri()`` alone. It gets a
      stand-in function that imports the real module on its first call.
    * ``re`` (and ``enum``, ~5 ms): pathlib and fnmatch (and glob, 3.13) bind the ``re``
      module at import and use it only in ``glob``/``match``. They get a stand-in module
      that imports the real ``re`` on first attribute access and from then on is its
      copy. Two calls happen at import and are answered without ``re``: 3.12's pathlib
      runs ``fnmatch.translate('_')`` (``re.escape('_')``), 3.13's glob compiles two
      patterns (``re.compile``: compiled on their first use, ``RePending``).
    * ``ntpath`` and ``warnings`` (~0.4 ms): bound for ``PureWindowsPath`` and two
      deprecation warnings; stand-in modules as for ``re``.

    The stand-ins leave ``sys.modules`` at once, so ``import re`` (or any of the others)
    anywhere later loads the real module."""
    if "pathlib" in sys.modules:
        return
    import types

    def quote_from_bytes(*args: Any, **kwargs: Any) -> Any:
        import urllib.parse

        return urllib.parse.quote_from_bytes(*args, **kwargs)

    stand_ins: dict[str, types.ModuleType] = {}
    at_import: dict[str, Any] = {"escape": re_escape, "compile": RePending}
    if "urllib.parse" not in sys.modules:
        url = types.ModuleType("urllib.parse")
        url.quote_from_bytes = quote_from_bytes  # type: ignore[attr-defined]
        stand_ins["urllib.parse"] = url
    if "re" not in sys.modules:
        stand_ins["re"] = LazyModule("re")
        stand_ins["re"].__dict__.update(at_import)
    for name in ("ntpath", "warnings"):
        if name not in sys.modules:  # (on Windows ntpath is os.path: loaded already)
            stand_ins[name] = LazyModule(name)
    sys.modules.update(stand_ins)
    try:
        import pathlib  # noqa: F401
    finally:
        for name, mod in stand_ins.items():
            if sys.modules.get(name) is mod:
                del sys.modules[name]
        if "re" in stand_ins:  # after the import, every attribute is the real module's
            d = stand_ins["re"].__dict__
            for attr, value in at_import.items():
                if d.get(attr) is value:
                    del d[attr]


def re_escape(pattern: Any) -> Any:
    """``re.escape``; letters, digits and ``_`` (never escaped) without importing ``re``."""
    if isinstance(pattern, str) and (pattern == "_" or pattern.replace("_", "").isalnum()):
        return pattern
    import re

    return re.escape(pattern)


class RePending:
    """``re.compile(...)`` run while pathlib is imported (3.13's ``glob.magic_check``):
    the pattern is compiled on the first use of one of its attributes."""

    __slots__ = ("args", "kwargs", "compiled")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        self.compiled: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self.compiled is None:
            import re

            self.compiled = re.compile(*self.args, **self.kwargs)
        return getattr(self.compiled, attr)


class LazyModule(_ModuleType):
    """A module that is the real module ``name`` from its first attribute access on.

    Only for modules bound at import and used inside functions (pathlib's and fnmatch's
    ``re``): nothing may test its identity against the real module."""

    def __getattr__(self, attr: str) -> Any:
        import importlib

        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]  # used while still standing in: load the real one
        real = importlib.import_module(self.__name__)
        self.__dict__.update(real.__dict__)
        return getattr(real, attr)


def build_parser() -> Any:
    from ._main import build_parser as _bp

    return _bp()


def common_options() -> Any:
    from ._main import common_options as _co

    return _co()


# Commands that keep running (servers, the terminal UI): the default GC thresholds.
SERVING = frozenset(("mcp", "ui", "tui"))
ONE_SHOT_GC_THRESHOLD = 50_000


def run() -> None:
    """The console script: run the command, flush, and leave at once.

    A normal interpreter exit frees every object the command built (a 10,000-spec
    listing: ~5 ms) and tears the modules down (~2 ms) before the process ends. A
    command has nothing left to clean up when it returns: the store wrote, fsynced and
    closed its files, caches went through temp file + rename, and no command leaves an
    ``atexit`` hook of ours. So the output is flushed and the process leaves with
    ``os._exit``, the objects still referenced (``kept``) and never freed one by one.
    An exception that escapes ``main`` (``--traceback``) takes the normal way out."""
    import gc
    import os

    if not SERVING.intersection(sys.argv[1:]):
        # A one-shot command allocates tens of thousands of long-lived objects while it
        # imports (functions, classes, module dicts), and the default threshold (700)
        # walks them in a young collection every few hundred: ~1 ms per process. The
        # collector still runs, just rarely; servers keep the default.
        gc.set_threshold(ONE_SHOT_GC_THRESHOLD, *gc.get_threshold()[1:])
    kept: list[Any] = []
    code = main(keep_alive=kept)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = code or 0  # `lean-spec list | head`: the reader left, not an error
    except OSError:
        code = code or 1
    try:
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(code)
