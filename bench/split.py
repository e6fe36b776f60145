"""Where one CLI process spends its time: the interpreter, the imports, the command.

    python bench/split.py --project /tmp/c1000 --runs 21 list
    python bench/split.py --project /tmp/c1000 --runs 21 search "atomic cache"

Three programs, run interleaved ``--runs`` times each (medians, wall ms):

1. ``python -c pass``: the interpreter with ``site`` (what every Python CLI pays);
2. the same interpreter importing exactly the modules the command imports, in the order
   it imports them (read from ``sys.modules`` after one run), with the CLI's start-up
   stand-ins (``cli.pathlib_without_urllib``) — so 2 - 1 = the imports;
3. the console script running the command: 3 - 2 = the command's own work (reading the
   cache, ``lstat`` per spec, building and printing the rows) and the exit.

Then the imports that cost most (``-X importtime`` self times, median of 5 runs) and a
``cProfile`` of the command's work in a fresh process (top functions by own time).
This is the profile bench/README.md gives for a missed target.
"""

from __future__ import annotations

import argparse
import ast
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROBE = (
    "import sys, io, contextlib\n"
    "from leanspec.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main(sys.argv[1:])\n"
    "print(repr(list(sys.modules)), file=sys.stderr)\n"
)
IMPORTS = (
    "import sys, gc\n"
    "from leanspec.cli import pathlib_without_urllib, ONE_SHOT_GC_THRESHOLD\n"
    "gc.set_threshold(ONE_SHOT_GC_THRESHOLD, *gc.get_threshold()[1:])  # as cli.run does\n"
    "pathlib_without_urllib()\n"
    "for m in sys.argv[1].split(','):\n"
    "    __import__(m)\n"
)
PROFILE = (
    "import sys, io, contextlib, cProfile, pstats, gc\n"
    "from leanspec.cli import pathlib_without_urllib, main, ONE_SHOT_GC_THRESHOLD\n"
    "gc.set_threshold(ONE_SHOT_GC_THRESHOLD, *gc.get_threshold()[1:])\n"
    "pathlib_without_urllib()\n"
    "for m in sys.argv[1].split(','):\n"
    "    __import__(m)\n"
    "pr = cProfile.Profile()\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    pr.enable(); main(sys.argv[2:]); pr.disable()\n"
    "pstats.Stats(pr, stream=sys.stderr).sort_stats('tottime').print_stats(12)\n"
)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--project", required=True)
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--src", help="leanspec source tree to measure (PYTHONPATH), default: the installed one")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    env = dict(os.environ)
    if a.src:
        env["PYTHONPATH"] = os.path.abspath(a.src)
    py = sys.executable
    exe = Path(py).parent / "lean-spec"
    script = [str(exe)] if exe.exists() else [py, "-m", "leanspec"]
    cwd = a.project

    def run(argv: list[str]) -> tuple[float, str]:
        t = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        return (time.perf_counter() - t) * 1000, r.stderr

    _, err = run([py, "-c", PROBE, *a.command])
    # The leanspec modules, in import order; each brings its own stdlib imports along.
    loaded = ast.literal_eval(err.strip().splitlines()[-1])
    joined = ",".join(m for m in loaded if m.startswith("leanspec"))
    programs = {
        "python -c pass": [py, "-c", "pass"],
        "+ imports": [py, "-c", IMPORTS, joined],
        "+ command": [*script, *a.command],
    }
    times: dict[str, list[float]] = {k: [] for k in programs}
    for i in range(a.runs + 1):
        for k, argv in programs.items():
            w, _ = run(argv)
            if i:
                times[k].append(w)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"## `lean-spec {' '.join(a.command)}` in {a.project} (median of {a.runs}, wall ms)\n")
    print("| part | ms |\n| --- | --- |")
    print(f"| interpreter (`python -c pass`) | {med['python -c pass']:.1f} |")
    print(f"| imports ({len(joined.split(','))} leanspec modules and their stdlib) | {med['+ imports'] - med['python -c pass']:.1f} |")
    print(f"| the command's work and exit | {med['+ command'] - med['+ imports']:.1f} |")
    print(f"| total | {med['+ command']:.1f} |\n")

    _, err = run([py, "-X", "importtime", "-c", "pass"])
    startup = {x.split("|")[-1].strip() for x in err.splitlines() if x.startswith("import time:")}
    selfs: dict[str, list[int]] = {}
    for _ in range(5):
        _, err = run([py, "-X", "importtime", "-c", IMPORTS, joined])
        for line in err.splitlines():
            if line.startswith("import time:") and "|" in line:
                parts = line[len("import time:") :].split("|")
                if parts[0].strip().isdigit() and parts[2].strip() not in startup:
                    selfs.setdefault(parts[2].strip(), []).append(int(parts[0]))
    top = sorted(((statistics.median(v), k) for k, v in selfs.items()), reverse=True)[:15]
    print("Costliest imports (self µs, `-X importtime`, median of 5; the tool's overhead inflates them):\n")
    print(", ".join(f"{k} {us:.0f}" for us, k in top) + "\n")
    _, err = run([py, "-c", PROFILE, joined, *a.command])
    print("The command's work, first run in a fresh process (`cProfile`, own time):\n")
    print("```\n" + "\n".join(x for x in err.splitlines() if x.strip()) + "\n```")


if __name__ == "__main__":
    main()
