"""Start-up is a feature: the commands agents call most (list, board, search, view,
update) must not pull in modules that cost milliseconds per process and that they do not
need. Each command runs in a real process, twice (the second run is the warm one that
matters); the process prints what it imported.

The banned list is what earlier rounds took out of these paths (bench/README.md): a
stray ``from typing import TYPE_CHECKING`` costs ~2.5 ms on every run.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from leanspec.cli import quickparse

BANNED = {
    "typing",
    "json",
    "threading",
    "subprocess",
    "yaml",
    "dataclasses",
    "inspect",
    "asyncio",
    "shutil",
    "urllib.parse",
    "ipaddress",  # pathlib imports them for as_uri() only (cli.pathlib_without_urllib)
}
# The usual command lines are parsed without argparse (cli.quickparse), on the Pythons
# whose argparse it was checked against; on any other it stands aside and every command
# line goes to argparse, which imports both.
if quickparse.SUPPORTED:
    BANNED |= {"argparse", "gettext"}

PROBE = (
    "import sys\n"
    "from leanspec.cli import main\n"
    "rc = main(sys.argv[1:])\n"
    "sys.stdout.flush()\n"
    "print('MODULES=' + repr(sorted(sys.modules)), file=sys.stderr)\n"
    "raise SystemExit(rc)\n"
)


def imported(project: Path, *argv: str) -> set[str]:
    out: set[str] = set()
    for _ in range(2):  # the first run may fill the caches; the second is the warm path
        r = subprocess.run(
            [sys.executable, "-c", PROBE, "--project", str(project), *argv],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        line = next(x for x in r.stderr.splitlines() if x.startswith("MODULES="))
        out = set(ast.literal_eval(line[len("MODULES=") :]))
    return out


@pytest.mark.parametrize(
    "argv",
    [
        ("list",),
        ("board",),
        ("search", "json"),
        ("view", "147"),
        ("update", "147", "--priority", "high"),
    ],
    ids=lambda a: a[0],
)
def test_hot_commands_skip_costly_modules(fixture_project: Path, argv: tuple[str, ...]) -> None:
    mods = imported(fixture_project, *argv)
    assert not (mods & BANNED), f"`{argv[0]}` imported {sorted(mods & BANNED)}"


# A warm scan (list, board, a plain search) compiles no regex, reads no date through
# the datetime module, unpickles through _pickle and hashes few enough bytes for the
# built-in SHA-256: ``re`` and ``enum`` alone are ~5 ms per process (issue 15).
SCAN_BANNED = {"re", "enum", "datetime", "pickle", "hashlib", "locale", "contextlib"}


@pytest.mark.skipif(not quickparse.SUPPORTED, reason="argparse (and so re) parses every command line on this Python")
@pytest.mark.parametrize("argv", [("list",), ("board",), ("search", "json"), ("search", "cache", "atomic")], ids=" ".join)
def test_warm_scans_need_no_regex_engine(fixture_project: Path, argv: tuple[str, ...]) -> None:
    mods = imported(fixture_project, *argv)
    banned = BANNED | (SCAN_BANNED - pathlib_imports())
    assert not (mods & banned), f"`{' '.join(argv)}` imported {sorted(mods & banned)}"


def pathlib_imports() -> set[str]:
    """What importing pathlib (the CLI's way) loads on this Python: not ours to avoid
    (3.13's pathlib imports glob, which imports contextlib)."""
    code = "import sys\nfrom leanspec.cli import pathlib_without_urllib\npathlib_without_urllib()\nprint(repr(sorted(sys.modules)))\n"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    return set(ast.literal_eval(r.stdout))


def test_pathlib_still_makes_uris_after_the_start_up_shortcut() -> None:
    code = (
        "import sys\n"
        "from leanspec.cli import pathlib_without_urllib\n"
        "pathlib_without_urllib()\n"
        "assert 'urllib.parse' not in sys.modules\n"
        "import pathlib\n"
        "print(pathlib.PurePosixPath('/a b/ü').as_uri())\n"
        "import urllib.parse\n"
        "print(urllib.parse.quote('a b'), urllib.parse.urlsplit('http://h/p').netloc)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["file:///a%20b/%C3%BC", "a%20b", "h"]


def test_pathlib_globs_and_matches_after_the_re_stand_in(tmp_path: Path) -> None:
    """pathlib and fnmatch are imported with a stand-in ``re`` (cli.pathlib_without_urllib);
    their pattern methods still work and load the real module on first use."""
    code = (
        "import sys, os\n"
        "from leanspec.cli import pathlib_without_urllib\n"
        "pathlib_without_urllib()\n"
        "assert 're' not in sys.modules and 'enum' not in sys.modules, sorted(sys.modules)\n"
        "import pathlib, fnmatch\n"
        "d = sys.argv[1]\n"
        "for n in ('a.md', 'b.txt', 'C.MD'): open(os.path.join(d, n), 'w').close()\n"
        "print(sorted(p.name for p in pathlib.Path(d).glob('*.md')))\n"
        "print(pathlib.PurePosixPath('x/y.md').match('*.md'), fnmatch.fnmatch('q.txt', '*.md'))\n"
        "import re\n"
        "print(fnmatch.re.compile is re.compile, 'enum' in sys.modules)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["['a.md']", "True False", "True True"]


def test_core_datetimes_are_the_datetime_module_classes() -> None:
    import datetime

    from leanspec.core import datetimes

    for name in ("date", "datetime", "time", "timedelta", "timezone"):
        assert getattr(datetimes, name) is getattr(datetime, name)
    assert datetimes.UTC is datetime.UTC


def test_cache_unpickler_reads_dates_and_refuses_every_other_global() -> None:
    import datetime
    import io
    import pickle

    from leanspec.core.pickling import PROTOCOL, DataUnpickler, UnpicklingError, dumps

    value = {"created": datetime.date(2025, 1, 2), "at": datetime.datetime(2025, 1, 2, 3, 4, tzinfo=datetime.UTC)}
    assert DataUnpickler(io.BytesIO(dumps(value, protocol=PROTOCOL))).load() == value
    assert dumps(value, protocol=PROTOCOL) == pickle.dumps(value, protocol=PROTOCOL)
    for planted in (pickle.dumps(print), pickle.dumps(Path("x")), b"cos\nsystem\n(S'true'\ntR."):
        with pytest.raises(UnpicklingError, match="forbidden in cache"):
            DataUnpickler(io.BytesIO(planted)).load()


def test_lazy_contextmanager_is_contextlibs_own_on_first_call() -> None:
    code = (
        "import sys\n"
        "from leanspec.core.ctxmanager import contextmanager\n"
        "log = []\n"
        "@contextmanager\n"
        "def held(name):\n"
        "    log.append('enter ' + name)\n"
        "    try:\n"
        "        yield name.upper()\n"
        "    finally:\n"
        "        log.append('exit ' + name)\n"
        "assert 'contextlib' not in sys.modules\n"
        "with held('a') as v:\n"
        "    log.append(v)\n"
        "try:\n"
        "    with held('b'):\n"
        "        raise KeyError('k')\n"
        "except KeyError as exc:\n"
        "    log.append('raised ' + str(exc))\n"
        "import contextlib\n"
        "log.append(type(held('c')).__name__)\n"
        "print(log, held.__name__)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        "['enter a', 'A', 'exit a', 'enter b', 'exit b', \"raised 'k'\", '_GeneratorContextManager'] held"
    )
