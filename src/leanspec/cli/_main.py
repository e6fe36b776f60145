"""The ``lean-spec`` command line: parse, call the core, render. One error funnel.

Exit codes (docs/cli.md): 0 ok, 1 error, 2 usage, 3 not found, 4 ambiguous reference,
5 conflict (stale hash, held claim, failed precondition), 6 busy (lock timeout),
7 blocked (completion guard, claim of a spec that is not ready), 3 also nothing_ready,
130 interrupted.
"""

from __future__ import annotations

import os
import sys

from ..core.untrusted import terminal_safe
from ._app import Ctx, Outcome
from .commands import COMMAND_MODULES, COMMANDS, CURRENT_ARGV, GLOBAL_FLAGS, GLOBAL_VALUED, command_of

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

# The declarations live in cli.commands (no argparse); these names stay here for callers.
__all__ = ["COMMANDS", "COMMAND_MODULES", "EXIT_CODES", "build_parser", "command_of", "common_options", "main"]
_GLOBAL_FLAGS = GLOBAL_FLAGS
_GLOBAL_VALUED = GLOBAL_VALUED
_CURRENT_ARGV = CURRENT_ARGV

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


def build_parser(argv: Sequence[str] | None = None) -> Any:
    """The argparse parser (cli.fullparse; imports argparse)."""
    from .fullparse import build_parser as build

    return build(argv)


def common_options() -> Any:
    """The shared options as an argparse parser (cli.fullparse; imports argparse)."""
    from .fullparse import common_options as build

    return build()


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _dumps(data: Any, stream: Any) -> str:
    """JSON text: indented for a person at a terminal, compact when piped (agents and
    scripts). Indenting forces json's pure-Python encoder, ~6x slower on a 10,000-spec
    listing; compact output uses the C encoder. Same data either way."""
    if _isatty(stream):
        import json  # not at the top: text output never needs it

        return json.dumps(data, ensure_ascii=False, indent=2, default=str)
    from ..core.model import cli_json

    return cli_json(data)


def _emit(ctx: Ctx, out: Outcome) -> None:
    stream = ctx.stdout
    if ctx.json:
        data = out.data
        if out.json_text is not None and not _isatty(stream):
            js = out.json_text  # encoded by the command, as _dumps would when piped
        else:
            if data is None and out.json_text is not None:  # a terminal wants it indented
                from ..core.config import json_loads

                data = json_loads(out.json_text)
            js = _dumps(data, stream)
        try:
            stream.write(js + "\n")
        except UnicodeEncodeError:  # a lone surrogate from a YAML escape: ASCII JSON
            import json

            if data is None:
                data = json.loads(js)
            stream.write(json.dumps(data, separators=(",", ":"), default=str) + "\n")
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
    CURRENT_ARGV[:] = argv
    # The usual command lines are parsed without argparse (cli.quickparse, same
    # declarations, same namespace); argparse decides everything else: help, usage
    # errors, abbreviations, ... The quick parser answers None when not certain.
    from .quickparse import parse

    args: Any = parse(argv)
    if args is None or not getattr(args, "command", None) or not hasattr(args, "func"):
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
