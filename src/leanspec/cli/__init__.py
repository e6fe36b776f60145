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
    from ._main import main as _main

    return _main(args)


def build_parser() -> Any:
    from ._main import build_parser as _bp

    return _bp()


def common_options() -> Any:
    from ._main import common_options as _co

    return _co()


def run() -> None:
    sys.exit(main())
