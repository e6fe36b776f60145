"""The CLI builds only the sub-parser of the command it runs; that must never change
what a command line means, and the command -> module map must match the modules."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from leanspec.cli import _main


def _sub_choices(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_command_map_matches_register() -> None:
    registered: dict[str, str] = {}
    for mod_name in _main.COMMAND_MODULES:
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        importlib.import_module(mod_name).register(sub, _main.common_options())
        for name in _sub_choices(parser):
            assert name not in registered, f"{name} registered twice"
            registered[name] = mod_name
    assert registered == _main.COMMANDS


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["list"], "list"),
        (["--json", "list", "--status", "planned"], "list"),
        (["-C", "list", "view", "1"], "view"),  # "list" is -C's value here
        (["--project=x", "-o", "json", "-q", "board"], "board"),
        (["--output=json", "merge-driver"], "merge-driver"),
        (["-qC", "x", "list"], None),  # bundled short flags: let argparse decide
        (["--proj", "x", "list"], None),  # abbreviation
        (["--help"], None),
        ([], None),
        (["nope"], None),
        (["--", "list"], None),
    ],
)
def test_command_of(argv: list[str], expected: str | None) -> None:
    assert _main.command_of(argv) == expected


CASES = [
    ["list", "--json"],
    ["--json", "list", "--status", "planned"],
    ["-o", "json", "board", "--group-by", "priority"],
    ["view", "001", "--json", "--bogus"],
    ["--json", "stats", "--nope"],
    ["list", "--status"],
    ["-C", "somewhere", "--json", "view"],
    ["list", "--help"],
    ["ui", "--help"],
    ["merge-driver", "--help"],
    ["-o", "xml", "list"],
]


# Every command's help and a usage error on every command, besides the cases above.
CASES += [[name, "--help"] for name in sorted(_main.COMMANDS)]
CASES += [["--json", name, "--definitely-bogus"] for name in sorted(_main.COMMANDS)]


@pytest.mark.parametrize("argv", CASES, ids=[" ".join(a) for a in CASES])
def test_partial_parser_parses_like_full(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Same namespace, or the same usage error / help text, with one sub-parser or all."""

    def outcome(parser: argparse.ArgumentParser) -> tuple[object, str, str]:
        _main._CURRENT_ARGV[:] = argv
        try:
            ns = parser.parse_args(argv)
            result: object = {k: v for k, v in vars(ns).items() if k != "func"}
            result = (result, getattr(getattr(ns, "func", None), "__name__", None))
        except SystemExit as exc:
            result = ("exit", exc.code)
        out, err = capsys.readouterr()
        return result, out, err

    full = outcome(_main.build_parser())
    partial = outcome(_main.build_parser(argv))
    assert partial == full


def test_real_process_usage_error_and_help(tmp_path: Path) -> None:
    # A real run: a usage error after a global option still answers JSON on stdout.
    r = subprocess.run(
        [sys.executable, "-m", "leanspec", "--json", "list", "--bogus"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(tmp_path),
    )
    assert r.returncode == 2
    assert json.loads(r.stdout)["error"]["code"] == "usage"
    h = subprocess.run([sys.executable, "-m", "leanspec", "--help"], capture_output=True, text=True, timeout=120)
    assert h.returncode == 0
    for name in _main.COMMANDS:
        assert name in h.stdout


def test_list_imports_one_command_module_and_yaml_only_to_parse(fixture_project: Path) -> None:
    code = (
        "import sys, io, contextlib\n"
        "import leanspec.project, leanspec.store.cache, leanspec.core.frontmatter\n"
        "assert 'yaml' not in sys.modules, 'yaml imported by the core modules'\n"
        "from leanspec.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['--project', {str(fixture_project)!r}, 'list']) == 0\n"
        "import json; print(json.dumps(sorted(sys.modules)))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    mods = set(json.loads(r.stdout.strip().splitlines()[-1]))
    # This first listing parsed every spec, all with the fast subset reader: the real
    # fixture's frontmatter never needs PyYAML (tests/test_yaml_subset.py).
    assert "leanspec.core.yamlsubset" in mods and "yaml" not in mods
    assert {m for m in mods if m.startswith("leanspec.cli.cmd_")} == {"leanspec.cli.cmd_specs"}
