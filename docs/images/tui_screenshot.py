"""Regenerate the TUI screenshots in docs/images (Textual's SVG export).

    PYTHONPATH=src python docs/images/tui_screenshot.py

Builds the api-refactor demo project in a temporary folder, drives the app headless at
80x24 and writes tui-board.svg (the board) and tui-spec.svg (a spec page).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


async def shoot(root: Path) -> None:
    from leanspec.project import Project
    from leanspec.tui.app import LeanSpecApp

    app = LeanSpecApp([Project.open(root)], poll_interval=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.ready.wait()
        await pilot.press("l")  # the in-progress column
        await pilot.pause(0.5)
        (HERE / "tui-board.svg").write_text(app.export_screenshot(title="lean-spec tui"), encoding="utf-8")
        await pilot.press("enter")
        await pilot.pause(1.0)
        (HERE / "tui-spec.svg").write_text(app.export_screenshot(title="lean-spec tui"), encoding="utf-8")


def main() -> None:
    from leanspec.cli import main as cli

    os.environ.pop("NO_COLOR", None)
    with tempfile.TemporaryDirectory() as tmp:
        with contextlib.chdir(tmp), contextlib.redirect_stdout(io.StringIO()):
            cli(["init", "--example", "api-refactor", "--name", "demo"])
        asyncio.run(shoot(Path(tmp) / "demo"))
    print("wrote", HERE / "tui-board.svg", "and", HERE / "tui-spec.svg")


if __name__ == "__main__":
    main()
