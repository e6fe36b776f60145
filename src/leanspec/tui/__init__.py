"""``lean-spec tui``: the terminal UI (Textual).

What belongs here, by module (imports go down this list, never up):

- ``app.py``: the Textual app: start-up, live refresh, status bar, navigation,
  filters, sort, projects; ``edits.py``: its base class with every edit (move,
  priority, tags, checklist, claim, release).
- ``mainscreen.py`` (board and list), ``specpage.py`` (the spec page), ``finders.py``
  (filter and search dialogs), ``dialogs.py`` (help, pickers, confirmation, tags,
  checklist, table of contents, projects, the claimant's name).
- ``board.py`` (the board, its columns and cards), ``docview.py`` (rendered
  markdown); ``widgets.py``: the virtual list, the spec table, the status bar; ``bindings.py``: keys the full screens share;
  ``keys.py``: the key table the help screen and docs/commands/tui.md show.
- ``backend.py``: turns ``Project`` listings (and the claims' leases) into what the
  screens show, and runs every core call on one worker thread.

Rules (docs/architecture.md):

- This package may import only the core's public API: ``leanspec.project`` (``Project``,
  ``UpdateOps``), ``insight.board``, ``insight.search`` / ``insight.searchindex``,
  ``insight.graph``, ``core.listing`` (filters and sorts), ``core.model`` (the
  ``Spec`` value and its constants), ``core.errors``, ``workflows.claims`` (claim,
  release, leases) and ``store.leases`` (whether any lease exists: one ``listdir``). It never opens a spec file:
  reads are ``Project.load``/``read``, every edit is a ``Project.update`` call (one
  locked store transaction) carrying the content hash of the version on screen.
- ``textual`` is imported only inside this package, and this package is imported only
  by ``lean-spec tui`` (``cli/cmd_tui.py`` imports it inside the command function), so
  no other command pays for it. tests/test_layering.py checks both.
- Spec text is untrusted: titles, tags, names and bodies are shown as plain text
  (``rich.text.Text``, ``markup=False``), never parsed as Textual markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..project import Project


def run(projects: list[Project], *, view: str = "board", theme: str = "dark", **kw: Any) -> int:
    """Run the TUI on ``projects`` (the first one is shown) until the user quits."""
    from .backend import Backend

    first = Backend(projects[0]).prefetch()  # the listing loads while Textual imports
    from .app import LeanSpecApp

    app = LeanSpecApp(projects, view=view, theme_name=theme, backend=first, **kw)
    app.run()
    return app.return_code or 0
