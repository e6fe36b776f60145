"""What the ``lean-spec`` command line is made of, without argparse: the command ->
module map, the shared options and the root parser's declarations.

Two parsers are built from these same declarations (and from ``register()`` in each
``cli/cmd_*.py``): the quick parser (``cli/quickparse.py``) records them to parse the
usual command lines without importing argparse, and argparse (``cli/fullparse.py``)
builds the real parser, the authority for help, errors and anything unusual.
"""

from __future__ import annotations

import sys

from .. import __version__

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from collections.abc import Sequence
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
GLOBAL_FLAGS = frozenset(("--json", "-q", "--quiet", "--no-color", "--traceback"))
GLOBAL_VALUED = frozenset(("-o", "--output", "-C", "--project", "-d", "--specs-dir"))

# The command line being parsed: argparse's usage errors answer JSON when it asks for
# JSON (cli.fullparse). One list, updated in place.
CURRENT_ARGV: list[str] = []

_SUPPRESS = "==SUPPRESS=="


def suppress() -> str:
    """``argparse.SUPPRESS``. argparse compares it by identity (``is``), so a real
    parser must get argparse's own object; argparse is loaded whenever a real parser
    exists. Without argparse only the quick parser's recorder reads the declarations,
    and it compares by value."""
    argparse = sys.modules.get("argparse")
    return argparse.SUPPRESS if argparse is not None else _SUPPRESS  # type: ignore[no-any-return]


def add_common_options(p: Any) -> None:
    """The options every command takes (``parents=[common]``), also before the command."""
    S = suppress()
    p.add_argument("--json", action="store_true", default=S, help="print JSON on stdout")
    p.add_argument("-o", "--output", choices=("text", "json"), default=S, help="output format")
    p.add_argument("-C", "--project", metavar="DIR", default=S, help="project root (default: search upward)")
    p.add_argument("-d", "--specs-dir", metavar="DIR", default=S, help="specs folder, relative to the root")
    p.add_argument("-q", "--quiet", action="store_true", default=S, help="print less")
    p.add_argument("--no-color", action="store_true", default=S, help="no ANSI colours")
    p.add_argument("--traceback", action="store_true", default=S, help=S)


def private_common(common: Any) -> Any:
    """A fresh copy of the shared options, of the kind ``common`` is (an argparse parser
    or the quick parser's recorder), for a command that redefines one of them with
    ``conflict_handler="resolve"`` (which changes the parent's actions in place)."""
    p = type(common)(add_help=False, formatter_class=common.formatter_class)
    add_common_options(p)
    return p


def declare_root(new_parser: Any, common: Any) -> tuple[Any, Any]:
    """The root parser and its sub-parsers object: ``new_parser`` is argparse's parser
    class (cli.fullparse) or the quick parser's recorder."""
    parser = new_parser(
        prog="lean-spec",
        description="Spec-driven development with LeanSpec-compatible specs: atomic, durable, concurrency-safe.",
        parents=[common],
    )
    parser.add_argument("-V", "--version", action="version", version=f"lean-spec {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser, sub


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, if that is certain without argparse; else None.

    Only the global options spelled exactly (``--output=json`` too) may come before
    it; anything else (help, abbreviations, bundled short flags, ``--``) gives None,
    and the caller builds the full parser, so behaviour never depends on this guess.
    """
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok in GLOBAL_FLAGS:
            i += 1
        elif tok in GLOBAL_VALUED:
            i += 2
        elif tok.startswith(("--output=", "--project=", "--specs-dir=")):
            i += 1
        elif tok.startswith("-"):
            return None
        else:
            return tok if tok in COMMANDS else None
    return None


def register_commands(sub: Any, common: Any, only: str | None = None) -> bool:
    """Call the ``register()`` of every command module, or with ``only`` of the one
    module that adds that command (just its sub-parser when the module can). False
    when ``only`` is not a command."""
    if only is not None and only not in COMMANDS:
        return False
    for mod_name in (COMMANDS[only],) if only else COMMAND_MODULES:
        try:
            __import__(mod_name)
        except ModuleNotFoundError as exc:
            if exc.name == mod_name:
                continue  # a command group not built yet
            raise
        mod = sys.modules[mod_name]
        if only is not None and getattr(mod, "REGISTER_ONE", False):
            mod.register(sub, common, only=only)  # just the sub-parser this run needs
        else:
            mod.register(sub, common)
    return True
