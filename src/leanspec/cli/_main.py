"""The ``lean-spec`` command line: parse, call the core, render. One error funnel.

Exit codes (docs/cli.md): 0 ok, 1 error, 2 usage, 3 not found, 4 ambiguous reference,
5 conflict (stale hash, held claim, failed precondition), 6 busy (lock timeout),
7 blocked (completion guard, claim of a spec that is not ready), 3 also nothing_ready,
130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..core.untrusted import terminal_safe
from ._app import Ctx, Outcome

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

# Command modules, each with ``register(subparsers, common)``. Kept light: heavy
# imports happen inside the command functions.
COMMAND_MODULES = (
    "leanspec.cli.cmd_specs",
    "leanspec.cli.cmd_project",
    "leanspec.cli.cmd_insight",
    "leanspec.cli.cmd_analysis",
    "leanspec.cli.cmd_history",
    "leanspec.cli.cmd_mcp",
    "leanspec.cli.cmd_ui",
    "leanspec.cli.cmd_tui",
    "leanspec.cli.cmd_cache",
    "leanspec.cli.cmd_claims",
)

# Command name -> the module whose register() adds it. A normal run builds only the
# sub-parser of the command it runs (importing one module instead of eight and building
# one sub-parser instead of ~40); the full parser is for help and unknown commands.
# tests/test_cli_parser.py checks this map against what the modules register.
COMMANDS: dict[str, str] = {
    **dict.fromkeys(
        ("create", "update", "view", "list", "archive", "link", "unlink", "rel", "files", "children"),
        "leanspec.cli.cmd_specs",
    ),
    **dict.fromkeys(("init", "templates", "examples", "capabilities"), "leanspec.cli.cmd_project"),
    **dict.fromkeys(("board", "stats", "deps", "timeline", "gantt"), "leanspec.cli.cmd_insight"),
    **dict.fromkeys(("search", "validate", "tokens", "analyze", "split", "compact"), "leanspec.cli.cmd_analysis"),
    **dict.fromkeys(("backfill", "migrate", "open", "check", "merge-driver"), "leanspec.cli.cmd_history"),
    "mcp": "leanspec.cli.cmd_mcp",
    "ui": "leanspec.cli.cmd_ui",
    "tui": "leanspec.cli.cmd_tui",
    "cache": "leanspec.cli.cmd_cache",
    **dict.fromkeys(("claim", "release", "claims"), "leanspec.cli.cmd_claims"),
}

# Global options that may come before the command: flags, and options taking a value.
_GLOBAL_FLAGS = frozenset(("--json", "-q", "--quiet", "--no-color", "--traceback"))
_GLOBAL_VALUED = frozenset(("-o", "--output", "-C", "--project", "-d", "--specs-dir"))

EXIT_CODES = {
    "invalid_input": 2,  # bad input is a usage error (docs/cli.md#exit-codes)
    "spec_not_found": 3,
    "project_not_found": 3,
    "file_not_found": 3,
    "ambiguous_spec": 4,
    "conflict": 5,
    "busy": 6,
    "completion_blocked": 7,
    "draft_transition": 7,
    "duplicate_slug": 8,
    "blocked": 7,
    "nothing_ready": 3,
}


_CURRENT_ARGV: list[str] = []


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
        argv = _CURRENT_ARGV
        if "--json" in argv or ("json" in argv and ("-o" in argv or "--output" in argv)):
            import json

            print(json.dumps({"ok": False, "error": {"code": "usage", "message": message}}))
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {terminal_safe(message)}", file=sys.stderr)
        raise SystemExit(2)


def common_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False, formatter_class=_Formatter)
    S = argparse.SUPPRESS
    p.add_argument("--json", action="store_true", default=S, help="print JSON on stdout")
    p.add_argument("-o", "--output", choices=("text", "json"), default=S, help="output format")
    p.add_argument("-C", "--project", metavar="DIR", default=S, help="project root (default: search upward)")
    p.add_argument("-d", "--specs-dir", metavar="DIR", default=S, help="specs folder, relative to the root")
    p.add_argument("-q", "--quiet", action="store_true", default=S, help="print less")
    p.add_argument("--no-color", action="store_true", default=S, help="no ANSI colours")
    p.add_argument("--traceback", action="store_true", default=S, help=argparse.SUPPRESS)
    return p


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if that is certain without argparse; else None.

    Only the global options spelled exactly (``--output=json`` too) may come before
    it; anything else (help, abbreviations, bundled short flags, ``--``) gives None,
    and the caller builds the full parser, so behaviour never depends on this guess.
    """
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok in _GLOBAL_FLAGS:
            i += 1
        elif tok in _GLOBAL_VALUED:
            i += 2
        elif tok.startswith(("--output=", "--project=", "--specs-dir=")):
            i += 1
        elif tok.startswith("-"):
            return None
        else:
            return tok if tok in COMMANDS else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``lean-spec`` parser. With ``argv``, only the sub-parser of the command it
    names is built (when that is certain); without, the full parser."""
    only = command_of(argv) if argv is not None else None
    common = common_options()
    parser = _Parser(
        prog="lean-spec",
        description="Spec-driven development with LeanSpec-compatible specs: atomic, durable, concurrency-safe.",
        parents=[common],
    )
    parser.add_argument("-V", "--version", action="version", version=f"lean-spec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for mod_name in (COMMANDS[only],) if only else COMMAND_MODULES:
        try:
            mod = importlib.import_module(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name == mod_name:
                continue  # a command group not built yet
            raise
        if only is not None and getattr(mod, "REGISTER_ONE", False):
            mod.register(sub, common, only=only)  # just the sub-parser this run needs
        else:
            mod.register(sub, common)
    return parser


def _dumps(data: Any, stream: Any) -> str:
    """JSON text: indented for a person at a terminal, compact when piped (agents and
    scripts). Indenting forces json's pure-Python encoder, ~6x slower on a 10,000-spec
    listing; compact output uses the C encoder. Same data either way."""
    import json  # not at the top: text output never needs it

    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        tty = False
    if tty:
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def _emit(ctx: Ctx, out: Outcome) -> None:
    stream = ctx.stdout
    if ctx.json:
        js = _dumps(out.data, stream)
        try:
            stream.write(js + "\n")
        except UnicodeEncodeError:  # a lone surrogate from a YAML escape: ASCII JSON
            import json

            stream.write(json.dumps(out.data, separators=(",", ":"), default=str) + "\n")
    else:
        text = out.text if isinstance(out.text, str) else "\n".join(out.text)
        if text:
            # Spec-supplied values never reach the terminal raw (docs/security.md).
            text = terminal_safe(text, keep_sgr=ctx.color)
            stream.write(text if text.endswith("\n") else text + "\n")
    for line in out.stderr:
        if not ctx.quiet:
            print(terminal_safe(line), file=sys.stderr)
    stream.flush()


def _error(ctx: Ctx | None, exc: Any) -> int:
    from ..core.errors import LeanSpecError

    if isinstance(exc, LeanSpecError):
        payload = exc.to_dict()
        code = EXIT_CODES.get(exc.code, 1)
    else:
        payload = {"code": "internal", "message": f"{type(exc).__name__}: {exc}"}
        code = 1
    if ctx is not None and ctx.json:
        sys.stdout.write(_dumps({"ok": False, "error": payload}, sys.stdout) + "\n")
        sys.stdout.flush()
    msg = terminal_safe(str(payload["message"]))
    print(f"error: {msg}", file=sys.stderr)
    if payload.get("hint"):
        print(f"hint: {terminal_safe(str(payload['hint']))}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None, *, keep_alive: list[Any] | None = None) -> int:
    """One command: parse, run, render, map errors to exit codes. ``keep_alive``
    receives the command's context and result (``cli.run`` leaves without freeing them)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _CURRENT_ARGV[:] = argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None) or not hasattr(args, "func"):
        parser.print_help()
        return 0 if not argv else 2
    ctx: Ctx | None = None
    try:
        ctx = Ctx(args)
        out = args.func(ctx, args)
        if keep_alive is not None:
            keep_alive.append((ctx, out))
        _emit(ctx, out)
        return out.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `lean-spec list | head`: the reader left; that is not an error.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return 0
    except Exception as exc:
        if getattr(args, "traceback", False) or os.environ.get("LEANSPEC_TRACEBACK"):
            raise
        from ..core.errors import LeanSpecError

        if not isinstance(exc, LeanSpecError) and not isinstance(exc, OSError):
            import traceback

            print("".join(traceback.format_exception(exc)), file=sys.stderr)
        return _error(ctx, exc)
