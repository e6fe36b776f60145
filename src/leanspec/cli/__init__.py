"""The ``lean-spec`` command line. This module stays tiny so ``--version`` is instant;
the parser and the error funnel live in ``cli._main``."""

from __future__ import annotations

import sys

# Not `from typing import ...`: typing imports re, ~5 ms that `--version` does not need.
# (mypy treats any `TYPE_CHECKING` name as true.)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):  # fast path: no parser, no imports
        from .. import __version__

        print(f"lean-spec {__version__}")
        return 0
    pathlib_without_urllib()
    from ._main import main as _main

    return _main(args)


def pathlib_without_urllib() -> None:
    """Import pathlib without urllib.parse (and ipaddress, which it imports): ~1.5 ms
    of every command, for a function only ``Path.as_uri()`` calls. pathlib (3.11, 3.12)
    binds ``urllib.parse.quote_from_bytes`` at import; it gets a stand-in that imports
    the real module on first call. The stand-in module is removed from ``sys.modules``
    at once, so ``import urllib.parse`` anywhere later loads the real one."""
    if "pathlib" in sys.modules or "urllib.parse" in sys.modules:
        return
    import types

    def quote_from_bytes(*args: Any, **kwargs: Any) -> Any:
        import urllib.parse

        return urllib.parse.quote_from_bytes(*args, **kwargs)

    stand_in = types.ModuleType("urllib.parse")
    stand_in.quote_from_bytes = quote_from_bytes  # type: ignore[attr-defined]
    sys.modules["urllib.parse"] = stand_in
    try:
        import pathlib  # noqa: F401
    finally:
        if sys.modules.get("urllib.parse") is stand_in:
            del sys.modules["urllib.parse"]


def build_parser() -> Any:
    from ._main import build_parser as _bp

    return _bp()


def common_options() -> Any:
    from ._main import common_options as _co

    return _co()


def run() -> None:
    sys.exit(main())
