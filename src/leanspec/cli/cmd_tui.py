"""``lean-spec tui``: the terminal UI (board, list, spec pages, live updates, edits).

Textual is imported only inside ``cmd_tui`` (through ``leanspec.tui``), so no other
command pays for it.
"""

from __future__ import annotations

import sys
from typing import Any

from ._app import Ctx, Outcome, open_projects

TYPE_CHECKING = False  # argparse only for annotations: the quick parser never imports it
if TYPE_CHECKING:
    import argparse


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    # Like `ui`, the TUI can hold several projects (the switcher, key p): a private copy
    # of the common options with --project repeatable.
    from .commands import private_common, suppress

    p = sub.add_parser(
        "tui",
        parents=[private_common(common)],
        conflict_handler="resolve",
        help="open the terminal UI (board, list, spec pages; live)",
        description="Browse and edit the specs in the terminal: a board by status, a sortable and filterable "
        "list, spec pages with rendered markdown, a table of contents, sub-spec tabs and dependencies, and "
        "search. Changes made elsewhere appear within a second. Press ? inside for every key.",
    )
    p.add_argument(
        "-C",
        "--project",
        dest="project",
        action="append",
        metavar="DIR",
        default=suppress(),
        help="project to open; repeat to switch between several with p (default: search upward)",
    )
    p.add_argument("--view", choices=("board", "list"), default="board", help="first view (default board)")
    p.add_argument("--theme", choices=("dark", "light"), default="dark", help="colour theme (ctrl+t toggles it)")
    p.set_defaults(func=cmd_tui)


def cmd_tui(ctx: Ctx, args: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput

    if ctx.json:
        raise InvalidInput("the TUI is interactive: --json has nothing to print", hint="use `lean-spec board --json`")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise InvalidInput("the TUI needs a terminal (stdin and stdout)", hint="use `lean-spec board` or `lean-spec list` in scripts")
    projects = open_projects(args)
    if getattr(args, "no_color", False):
        import os

        os.environ["NO_COLOR"] = "1"  # Textual reads it when the app starts
    from ..tui import run

    run(projects, view=args.view, theme=args.theme)
    return Outcome(data={"ok": True}, text="")
