"""What every command gets: the parsed options, the project (opened on first use),
terminal facts, and ``Outcome`` — the one thing a command returns.

Commands never print JSON or exit themselves; ``cli.main`` renders the outcome, so
``--json`` output and exit codes are uniform across commands.
"""

from __future__ import annotations

import os
import sys

from ..core.values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process

if TYPE_CHECKING:
    import argparse
    from typing import Any, TextIO

    from ..project import Project

_CODES = {
    "bold": "1",
    "dim": "2",
    "red": "31",
    "green": "32",
    "yellow": "33",
    "blue": "34",
    "magenta": "35",
    "cyan": "36",
    "gray": "90",
}


class Outcome(Value):
    """A command's result: ``data`` for --json, ``text`` for people, an exit code."""

    # A plain class, not a @dataclass: building a dataclass costs ~0.3-1 ms at import
    # (exec of generated code), on every run. Same init, repr and equality.
    __match_args__ = ("data", "text", "code", "stderr", "json_text")
    _FIELDS = __match_args__
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        data: Any = None,
        text: str | list[str] = "",
        code: int = 0,
        stderr: list[str] | None = None,
        json_text: str | None = None,
    ) -> None:
        self.data = data
        self.text = text
        self.code = code
        self.stderr: list[str] = [] if stderr is None else stderr  # warnings, shown in text and JSON modes
        # ``data`` already encoded as compact JSON (what ``cli._main`` writes when the
        # output is not a terminal); data may then be None (decoded from it if needed).
        self.json_text = json_text


class Ctx:
    def __init__(self, args: argparse.Namespace, stdout: TextIO | None = None) -> None:
        self.args = args
        self.stdout = stdout or sys.stdout
        self.json = bool(getattr(args, "json", False)) or getattr(args, "output", None) == "json"
        self.quiet = bool(getattr(args, "quiet", False))
        tty = hasattr(self.stdout, "isatty") and self.stdout.isatty()
        self.color = (
            tty
            and not os.environ.get("NO_COLOR")
            and not getattr(args, "no_color", False)
            and os.environ.get("TERM") != "dumb"
        ) or bool(os.environ.get("FORCE_COLOR"))
        self.tty = tty
        self._project: Project | None = None

    @property
    def project(self) -> Project:
        if self._project is None:
            from ..project import Project

            self._project = Project.open(
                getattr(self.args, "project", None), specs_dir=getattr(self.args, "specs_dir", None)
            )
        return self._project

    def c(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles if s in _CODES)
        return f"\x1b[{codes}m{text}\x1b[0m"


def resume_gc() -> None:
    """Turn the cyclic GC back on after a whole-project command, with the objects it
    allocated moved out of its view first (``gc.freeze``): they were counted while the
    collector was off, so the first allocation after ``enable`` (printing the output)
    would start a collection that walks all of them (~3.5 ms at 10,000 specs). Frozen
    objects are still freed by reference counting when unreachable; only cyclic
    garbage among them would stay (a CLI process ends right after)."""
    import gc

    gc.freeze()
    gc.enable()


def width() -> int:
    try:
        return max(40, os.get_terminal_size().columns)
    except OSError:
        return 100


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, ctx: Ctx, label: str) -> None:
        self.on = sys.stderr.isatty() and not ctx.quiet
        self.label = label
        self.shown = False

    def __call__(self, i: int, total: int, name: str) -> None:
        if not self.on:
            return
        count = f"{i}/{total}" if total else str(i)
        sys.stderr.write(f"\r\x1b[K{self.label} {count} {name[:50]}")
        sys.stderr.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def open_projects(args: argparse.Namespace) -> list[Any]:
    """The projects ``--project`` names (repeatable; default: search upward), each once:
    what the long-running front ends (``ui``, ``tui``) serve."""
    from ..project import Project

    raw = getattr(args, "project", None)
    dirs: list[str | None] = [raw] if isinstance(raw, str) else list(raw or []) or [None]
    out = []
    seen = set()
    for d in dirs:
        p = Project.open(d, specs_dir=getattr(args, "specs_dir", None))
        if p.root not in seen:
            seen.add(p.root)
            out.append(p)
    return out
