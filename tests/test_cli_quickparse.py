"""The quick parser (cli/quickparse.py) parses the usual command lines without argparse.
It must never change what a command line means: for every generated command line of
every command its answer is None ("not certain, ask argparse") or exactly argparse's
namespace; the common command lines must be answered; and the hot commands, run for
real, never import argparse or gettext."""

from __future__ import annotations

import ast
import contextlib
import io
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from leanspec.cli import _main, quickparse
from leanspec.cli.commands import COMMANDS, add_common_options, declare_root, register_commands
from leanspec.cli.quickparse import Recorder, Unsure
from test_startup_imports import PROBE  # the same probe: run main, print sys.modules

# The quick parser follows the argparse of the versions it was checked against
# (quickparse.SUPPORTED) and stands aside on the others.
pytestmark = pytest.mark.skipif(not quickparse.SUPPORTED, reason=f"the quick parser stands aside on Python {sys.version.split()[0]}")

_FULL: list[Any] = []


def full_parser() -> Any:
    """The full argparse parser, built once (parsing leaves it unchanged)."""
    if not _FULL:
        _FULL.append(_main.build_parser())
    return _FULL[0]


def argparse_result(argv: list[str]) -> dict[str, Any] | tuple[str, object]:
    _main._CURRENT_ARGV[:] = argv
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            return dict(vars(full_parser().parse_args(argv)))
        except SystemExit as exc:
            return ("exit", exc.code)


def quick_result(argv: list[str]) -> dict[str, Any] | None:
    ns = quickparse.parse(argv)
    return None if ns is None else dict(vars(ns))


def recorded(command: str) -> tuple[Recorder, Recorder]:
    """The root and the command's sub-parser, as the quick parser records them."""
    common = Recorder(add_help=False)
    add_common_options(common)
    root, sub = declare_root(Recorder, common)
    register_commands(sub, common, command)
    return root, sub.parsers[command]


# ------------------------------------------------------------ generated command lines
WORDS = [
    "x", "12", "001", "147", "atomic cache", "planned", "in-progress", "json", "text", "ü日本語", "", "a=b",
    "KEY=", "a,b", "-", "3", "0", "list", "view", "F:1-2", "  spaced ", "١٢", "0x1f", "status:planned", "é", "- [ ] a step",
]  # fmt: skip
INTS = ["3", "0", "12", "1_000", " 7 ", "x", "", "-1", "2.5"]
HOSTILE_VALUES = ["-x", "--json", "-1", "--", "-h", "--status", "-s", "-C", "- [ ] item", "-s x", "--a b", "-1 x", "--st x=y"]


def _value(rng: random.Random, action: Any, parser: Recorder, hostile: bool) -> str:
    if hostile and rng.random() < 0.3:
        return rng.choice([*HOSTILE_VALUES, *parser.options])
    if action.choices is not None and rng.random() < 0.85:
        return str(rng.choice(list(action.choices)))
    if action.type is int:
        return rng.choice(INTS)
    if rng.random() < 0.1:
        return rng.choice(list(parser.options))  # a value equal to an option name
    return rng.choice(WORDS)


def _option_units(rng: random.Random, parser: Recorder, hostile: bool, k: int) -> list[list[str]]:
    opts = [a for a in parser.actions if a.option_strings and a.kind not in ("help", "version")]
    units: list[list[str]] = []
    chosen = rng.sample(opts, min(k, len(opts)))
    if not hostile or rng.random() < 0.7:
        chosen += [a for a in opts if a.required and a not in chosen]
    for action in chosen:
        for _ in range(rng.choice((1, 1, 1, 2, 3)) if action.kind in ("append", "count") else 1):
            name = rng.choice(action.option_strings)
            if action.max == 0:
                units.append([name + "=x"] if hostile and name.startswith("--") and rng.random() < 0.2 else [name])
            elif action.nargs == "?" and rng.random() < 0.4:
                units.append([name])
            else:
                n = action.min if action.min == action.max else rng.choice((action.min, action.min + 1, 2))
                if hostile and rng.random() < 0.15:
                    n = max(0, n - 1)
                values = [_value(rng, action, parser, hostile) for _ in range(n)]
                if n == 1 and name.startswith("--") and rng.random() < 0.4:
                    units.append([f"{name}={values[0]}"])
                else:
                    units.append([name, *values])
    return units


def _positional_tokens(rng: random.Random, parser: Recorder, hostile: bool) -> list[str]:
    toks: list[str] = []
    for action in (a for a in parser.actions if not a.option_strings):
        lo, hi = action.min, min(action.max, 3)
        n = rng.randint(lo, hi)
        if hostile and rng.random() < 0.2:
            n = max(0, n + rng.choice((-1, 1)))
        for _ in range(n):
            if action.choices is not None and rng.random() < 0.85:
                toks.append(str(rng.choice(list(action.choices))))
            else:
                toks.append(rng.choice(WORDS))
    return toks


def _hostile_token(rng: random.Random, parser: Recorder) -> str:
    longs = [o for o in parser.options if o.startswith("--") and len(o) > 4]
    shorts = [o for o in parser.options if not o.startswith("--")]
    choices = ["-h", "--help", "--", "--bogus", "-Z", "-V", "--version", "", "ü", "-1", "-", "--json=1", "-o=json"]
    if longs:
        o = rng.choice(longs)
        choices.append(o[: rng.randint(3, len(o) - 1)])  # an abbreviation
        choices.append(o[: rng.randint(3, len(o) - 1)] + "=x")
    if len(shorts) >= 2:
        a, b = rng.sample(shorts, 2)
        choices.append(a + b[1:])  # bundled short options
        choices.append(a + "VALUE")  # -sVALUE
        choices.append(a + "=v")
    return rng.choice(choices)


def generate(command: str, seed: int, level: int) -> list[str]:
    """A command line: level 0 ordinary, 1 with odd values ('-x', '- [ ] item', option
    names, wrong counts), 2 also with hostile tokens (help, abbreviations, '--', ...)."""
    rng = random.Random(f"{command}-{seed}-{level}")
    hostile = level >= 1
    root, parser = recorded(command)
    before = [t for u in _option_units(rng, root, hostile, rng.choice((0, 0, 1, 2))) for t in u]
    units = _option_units(rng, parser, hostile, rng.randint(0, 4))
    units += [[t] for t in _positional_tokens(rng, parser, hostile)]
    if rng.random() < 0.4:  # global options after the command too
        units += _option_units(rng, root, hostile, rng.randint(1, 2))
    if rng.random() < 0.5:
        rng.shuffle(units)  # positionals interleaved with options
    else:  # positionals in order, options around them
        pos = [u for u in units if not u[0].startswith("-") or u[0] == "-"]
        opts = [u for u in units if u not in pos]
        units = opts[: len(opts) // 2] + pos + opts[len(opts) // 2 :]
    body = [t for u in units for t in u]
    argv = [*before, command, *body]
    if level >= 2:
        for _ in range(rng.randint(1, 2)):
            argv.insert(rng.randint(0, len(argv)), _hostile_token(rng, parser))
    return argv


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_quick_parse_is_argparse_or_none(command: str) -> None:
    mismatches = []
    handled = 0
    for seed in range(150):
        for level in (0, 1, 2):
            argv = generate(command, seed, level)
            quick = quick_result(argv)
            if quick is None:
                continue
            handled += level == 0
            full = argparse_result(argv)
            if quick != full:
                mismatches.append((argv, quick, full))
    assert not mismatches, "\n".join(f"{a}: quick {q} != argparse {f}" for a, q, f in mismatches[:5])
    # Not vacuous: most ordinary command lines of every command are answered.
    assert handled >= 25, f"`{command}`: only {handled} of 150 ordinary command lines parsed quickly"


COMMON_CASES = [
    ["list"],
    ["list", "--json"],
    ["board"],
    ["search", "atomic cache"],
    ["view", "12"],
    ["update", "12", "--status", "in-progress"],
    ["create", "foo", "--tags", "a,b"],
    ["-C", "DIR", "list", "--status", "planned"],
    ["--json", "list", "--status", "planned", "--status=complete", "-t", "x"],
    ["-o", "json", "board", "--group-by", "priority"],
    ["--project=/p", "view", "045/DESIGN.md", "--raw"],
    ["search", "cache", "AND", "atomic", "--limit", "5", "-s", "planned"],
    ["update", "12", "13", "--add-tags", "a", "--replace", "old", "new", "--replace", "a", "b", "--match-all"],
    ["update", "12", "--section", "Plan", "--append", "- [ ] step"],  # a value starting with '-' and a space
    ["create", "foo", "-f", "-"],  # '-' (stdin) is an argument
    ["-C", "a", "list", "-C", "b"],  # the sub-command's value wins
    ["--json", "list", "--json"],
    ["link", "a", "b", "c", "--depends-on", "d"],
    ["rel", "rm", "12", "--parent"],
    ["tokens", "--all", "--sort-by", "lines"],
    ["claim", "--as", "bot", "--lease", "1h"],
    ["ui", "-C", "a", "-C", "b", "--port", "0"],
    ["-C", "x", "tui"],
    ["split", "12", "--output", "DESIGN.md:1-5", "-o", "json"],
    ["check", "--no-branches"],
    ["cache", "rebuild"],
    ["deps", "12", "-D", "2", "--upstream"],
]


@pytest.mark.parametrize("argv", COMMON_CASES, ids=[" ".join(a) for a in COMMON_CASES])
def test_common_command_lines_are_parsed_quickly(argv: list[str]) -> None:
    quick = quick_result(argv)
    assert quick is not None, f"{argv} fell back to argparse"
    assert quick == argparse_result(argv)


UNCERTAIN = [
    ["list", "-h"],
    ["--help"],
    ["-V"],
    [],
    ["--json"],
    ["nope"],
    ["list", "--stat", "planned"],  # an abbreviation
    ["--proj", "x", "list"],
    ["list", "--", "x"],
    ["-qC", "x", "list"],  # bundled short options
    ["list", "-splanned"],
    ["list", "-s=planned"],
    ["list", "--json=yes"],  # a flag with a value: an error
    ["list", "--limit", "x"],  # type error
    ["list", "--limit", "-1"],  # a value starting with '-'
    ["-o", "xml", "list"],  # invalid choice
    ["view"],  # missing argument
    ["view", "1", "2"],  # extra argument
    ["deps", "1", "--upstream", "--downstream"],  # mutually exclusive
    ["check", "--branches", "--no-branches"],
    ["claim"],  # required --as
    ["templates", "show", "--json", "foo"],  # argparse's greedy positionals: an error
    ["link", "a", "--depends-on", "x", "b"],
    ["update", "1", "--replace", "a"],
    ["list", "--bogus"],
]


@pytest.mark.parametrize("argv", UNCERTAIN, ids=[" ".join(a) or "(none)" for a in UNCERTAIN])
def test_uncertain_command_lines_go_to_argparse(argv: list[str]) -> None:
    assert quickparse.parse(argv) is None


def test_unknown_declarations_make_a_command_unsupported() -> None:
    p = Recorder("x")
    p.add_argument("--a", action="extend", nargs="+")  # an action the recorder does not know
    assert p.problem
    with pytest.raises(Unsure):
        p.parse([])
    p = Recorder("x")
    p.add_argument("--a", metavar="A", fancy=True)  # a keyword it does not know
    assert p.problem
    p = Recorder("x", allow_abbrev=False)
    assert p.problem
    p = Recorder("x")
    p.add_argument_group("g").add_mutually_exclusive_group()  # a call it does not know
    assert p.problem
    p = Recorder("x")
    p.whatever(1)  # any other call
    assert p.problem
    ok = Recorder("x")
    ok.add_argument("n", nargs="+", type=int)
    ok.add_argument("-v", action="count")
    ok.add_argument("--k", action="append_const", const=1)
    assert vars(ok.parse(["1", "2", "-v", "-v", "--k"])) == {"n": [1, 2], "v": 2, "k": [1]}


@pytest.mark.parametrize("argv", [[], ["a"], ["a", "b"], ["c"]])
def test_empty_star_positional_with_choices_as_this_pythons_argparse(argv: list[str]) -> None:
    """3.11 checks the [] of an empty nargs='*' positional against its choices (an
    error); 3.12 and 3.13 do not. The quick parser answers as the running argparse."""
    import argparse

    real = argparse.ArgumentParser(prog="x")
    real.add_argument("words", nargs="*", choices=["a", "b"])
    quick = Recorder("x")
    quick.add_argument("words", nargs="*", choices=["a", "b"])
    try:
        got: dict[str, Any] | None = vars(quick.parse(argv))
    except Unsure:
        got = None
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            want: dict[str, Any] | None = vars(real.parse_args(argv))
        except SystemExit:
            want = None
    assert got == want
    if argv == []:
        assert (want is None) == (sys.version_info[:2] == (3, 11))


def test_parse_imports_nothing() -> None:
    """The quick parser brings no module of its own: no argparse, re, typing, enum."""
    code = (
        "import sys\n"
        "import leanspec.cli.quickparse as q, leanspec.cli.cmd_specs, leanspec.cli.cmd_insight, leanspec.cli.cmd_analysis\n"
        "before = set(sys.modules)\n"
        "for argv in (['list', '--json'], ['-C', 'd', 'update', '1', '--status', 'x'], ['board'], ['search', 'a b']):\n"
        "    assert q.parse(argv) is not None, argv\n"
        "print(sorted(set(sys.modules) - before))\n"
        "print(sorted({'argparse', 'gettext', 'typing'} & set(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["[]", "[]"]


def _run(argv: list[str], cwd: Path) -> tuple[int, str, set[str]]:
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120, cwd=str(cwd))
    line = next((x for x in r.stderr.splitlines() if x.startswith("MODULES=")), "MODULES=[]")
    return r.returncode, r.stdout, set(ast.literal_eval(line[len("MODULES=") :]))


def test_hot_commands_never_import_argparse(empty_project: Path, tmp_path: Path) -> None:
    code, out, _ = _run(["-C", str(empty_project), "create", "quick-parse", "--tags", "a,b"], tmp_path)
    assert code == 0, out
    runs = [
        ["list"],
        ["list", "--json", "--status", "planned"],
        ["board"],
        ["search", "quick"],
        ["view", "1"],
        ["update", "1", "--status", "in-progress"],
    ]
    for argv in runs:
        for where in ("before", "after"):  # the global option before and after the command
            full = ["-C", str(empty_project), *argv] if where == "before" else [*argv, "-C", str(empty_project)]
            code, out, mods = _run(full, tmp_path)
            assert code == 0, (full, out)
            assert not mods & {"argparse", "gettext"}, f"{full} imported {sorted(mods & {'argparse', 'gettext'})}"
    # What the quick parser does not answer still works, through argparse.
    code, out, _ = _run(["list", "--help"], tmp_path)
    assert code == 0 and "usage: lean-spec list" in out
    code, out, _ = _run(["-C", str(empty_project), "--json", "list", "--stat", "planned"], tmp_path)
    assert code == 0 and '"total":0' in out.replace(" ", "")  # --stat abbreviates --status
