"""``lean-spec tui``: the terminal UI (Textual).

What belongs here: the Textual app, its screens and widgets (``app.py``, ``screens.py``,
``widgets.py``), the key table every screen, the help screen and the docs share
(``keys.py``), and ``backend.py``, which turns ``Project`` listings into what the
screens show and runs every core call on one worker thread.

Rules (docs/architecture.md):

- This package may import only the core's public API: ``leanspec.project`` (``Project``,
  ``UpdateOps``), ``leanspec.board``, ``leanspec.search`` / ``leanspec.searchindex``,
  ``leanspec.graph``, ``leanspec.listing`` (filters and sorts), ``leanspec.model`` (the
  ``Spec`` value and its constants) and ``leanspec.errors``. It never opens a spec file:
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
