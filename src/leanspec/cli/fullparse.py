"""The argparse parser of ``lean-spec``: the authority for help, usage errors and every
command line the quick parser (``cli/quickparse.py``) is not certain about.

Imported only on that fallback (and by ``cli.build_parser``/``cli.common_options``):
argparse and what it needs (``re``, ``enum``, gettext) cost ~5-8 ms per process.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..core.untrusted import terminal_safe
from .commands import CURRENT_ARGV, add_common_options, command_of, declare_root, register_commands

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


def _skip_gettext() -> None:
    """argparse passes every message through ``gettext``, which imports ``locale`` and
    searches ``<sys.base_prefix>/share/locale`` for a ``messages.mo`` on each call
    (2-9 ms per run). When that folder does not exist no translation can be found and
    gettext returns every message unchanged, so argparse is told to do just that."""
    if not os.path.isdir(os.path.join(sys.base_prefix, "share", "locale")):
        argparse._ = _same  # type: ignore[attr-defined]
        argparse.ngettext = _plural  # type: ignore[attr-defined]


def _same(message: str) -> str:
    return message


def _plural(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural  # gettext's NullTranslations.ngettext


_skip_gettext()


def _columns() -> int:
    """``shutil.get_terminal_size().columns`` without importing shutil (and the bz2,
    lzma and zlib modules it pulls in): argparse asks for it on every add_argument."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 80
    return columns


class _Formatter(argparse.HelpFormatter):
    """argparse's default formatter, told the width so that it never imports shutil."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, _columns() - 2 if width is None else width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kw)

    def error(self, message: str) -> None:  # type: ignore[override]
        # Usage errors honour --json too (agents parse stdout).
        argv = CURRENT_ARGV
        if "--json" in argv or ("json" in argv and ("-o" in argv or "--output" in argv)):
            import json

            print(json.dumps({"ok": False, "error": {"code": "usage", "message": message}}))
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {terminal_safe(message)}", file=sys.stderr)
        raise SystemExit(2)


def common_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    add_common_options(p)
    return p


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``lean-spec`` parser. With ``argv``, only the sub-parser of the command it
    names is built (when that is certain); without, the full parser. Sub-parsers are
    ``_Parser`` too (``add_subparsers`` uses the root parser's class)."""
    only = command_of(argv) if argv is not None else None
    common = common_options()
    parser, sub = declare_root(_Parser, common)
    register_commands(sub, common, only)
    return parser  # type: ignore[no-any-return]
