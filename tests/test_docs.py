"""Docs live with the code: every CLI command has a page that names each of its options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from leanspec.cli import build_parser, common_options

DOCS = Path(__file__).resolve().parents[1] / "docs"
COMMON = {o for a in common_options()._actions for o in a.option_strings} | {"-h", "--help"}


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


COMMANDS = _commands()


def test_core_commands_registered() -> None:
    for name in ("init", "create", "update", "view", "list", "archive", "link", "unlink", "rel", "files", "templates"):
        assert name in COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_documented(name: str) -> None:
    page = DOCS / "commands" / f"{name}.md"
    assert page.is_file(), f"docs/commands/{name}.md is missing"
    text = page.read_text(encoding="utf-8")
    missing = [
        opt
        for action in COMMANDS[name]._actions
        for opt in action.option_strings
        if opt.startswith("--") and opt not in COMMON and opt not in text
    ]
    assert not missing, f"docs/commands/{name}.md does not mention {missing}"


def test_cli_index_lists_every_command() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [n for n in COMMANDS if f"commands/{n}.md" not in text]
    assert not missing, f"docs/cli.md does not link {missing}"


def test_readme_quick_start_commands_exist() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "pytest" in readme and "lean-spec init --example" in readme


def test_config_fields_documented() -> None:
    from leanspec.core.config import FIELDS

    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name, _d, _h in FIELDS if f"`{name}`" not in text]
    assert not missing, f"docs/configuration.md misses {missing}"
