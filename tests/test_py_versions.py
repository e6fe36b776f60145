"""What the start-up shortcuts assume of the interpreter, on every supported Python
(3.11, 3.12, 3.13): pathlib imported with a stand-in ``re`` still globs, matches,
escapes and translates exactly as with the real one (3.12's pathlib escapes at import,
3.13's glob compiles at import), and nothing of that loads ``re`` early."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CODE = (
    "import sys, os\n"
    "from leanspec.cli import pathlib_without_urllib\n"
    "pathlib_without_urllib()\n"
    "import pathlib, fnmatch\n"
    "print('re' in sys.modules, 'enum' in sys.modules)\n"
    "import glob\n"
    "d = sys.argv[1]\n"
    "for n in ('a.md', 'b[1].md', 'x*y.md', 'c.txt'): open(os.path.join(d, n), 'w').close()\n"
    "out = [glob.has_magic('a*'), glob.has_magic('ab'), glob.escape('x*y[1]'), glob.escape(b'q?')]\n"
    "out += [fnmatch.translate('a_b.c*'), fnmatch.fnmatch('x.md', '*.MD'), fnmatch.re.escape('a b'), fnmatch.re.escape('_é1')]\n"
    "out += [sorted(p.name for p in pathlib.Path(d).glob('*.md')), sorted(glob.glob(glob.escape(d + '/x*y') + '.md'))]\n"
    "out += [pathlib.PurePosixPath('x/y.md').match('*.md'), pathlib.PurePath('/a b').as_uri()]\n"
    "print(repr(out))\n"
)


def run(code: str, *args: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_pathlib_after_the_stand_ins_is_pathlib(tmp_path: Path) -> None:
    (tmp_path / "quick").mkdir()
    (tmp_path / "real").mkdir()
    quick = run(CODE, str(tmp_path / "quick"))
    real = run(CODE.replace("pathlib_without_urllib()\n", "import re\n"), str(tmp_path / "real"))
    assert quick[0] == "False False"  # pathlib's import loaded neither re nor enum
    assert real[0] == "True True"
    assert quick[1] == real[1].replace("/real", "/quick")
