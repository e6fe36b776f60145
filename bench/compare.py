"""Interleaved side-by-side timing: each round runs every command once per tool in turn
(before / now / another CLI), so machine noise hits all columns alike. Cells: wall
median (min–max) / CPU (user+sys) median, in ms.

    python bench/compare.py --runs 7 --before-src /tmp/base/src --now-src src \\
        --other /tmp/ls030/node_modules/@leanspec/cli-linux-x64/leanspec \\
        --project-before P1 --project-now P2 --project-other P3

Each tool gets its own copy of the same corpus (bench/gen.py), made and left to settle
beforehand (create/update change it).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--before-src", required=True)
    ap.add_argument("--now-src", required=True)
    ap.add_argument("--other", required=True)
    ap.add_argument("--project-before", required=True)
    ap.add_argument("--project-now", required=True)
    ap.add_argument("--project-other", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument(
        "--commands",
        default="list,search,board,view,update,create",
        help="comma-separated subset, in this order (e.g. list,search,board: a settled corpus, no writes)",
    )
    a = ap.parse_args()
    exe = Path(sys.executable).parent / "lean-spec"
    ls = [str(exe)] if exe.exists() else [sys.executable, "-m", "leanspec"]
    # Absolute: each tool runs in its project folder, where a relative --now-src (say
    # `src`) names nothing and Python would silently import the installed copy. Set in
    # the child's environment, not through `env`: an extra exec is ~0.8 ms that only
    # our columns would pay.
    def with_path(src: str) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": os.path.abspath(src)}

    tools: dict[str, tuple[str, list[str], dict[str, str] | None]] = {
        "before": (a.project_before, ls, with_path(a.before_src)),
        "now": (a.project_now, ls, with_path(a.now_src)),
        "other": (a.project_other, [a.other], None),
    }
    cmds = [
        ("list", lambda i: ["list"]),
        ("search", lambda i: ["search", "atomic cache"]),
        ("board", lambda i: ["board"]),
        ("view", lambda i: ["view", "005"]),
        ("update", lambda i: ["update", "005", "--status", "in-progress" if i % 2 else "planned"]),
        ("create", lambda i: ["create", f"cmp-{time.time_ns()}"]),
    ]
    wanted = [c.strip() for c in a.commands.split(",") if c.strip()]
    cmds = [c for c in cmds if c[0] in wanted]

    def run(cwd: str, argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        w = (time.perf_counter() - t) * 1000
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        return w, (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000

    res: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for i in range(a.runs + 1):  # round 0 is the warm-up
        for name, tail in cmds:
            for tool, (cwd, base, env) in tools.items():
                w, c = run(cwd, base + tail(i), env)
                if i:
                    res.setdefault((name, tool), []).append((w, c))
        w, c = run("/", [sys.executable, "-c", "pass"])
        if i:
            res.setdefault(("python -c pass", "now"), []).append((w, c))

    def cell(xs: list[tuple[float, float]]) -> str:
        ws, cs = [x[0] for x in xs], [x[1] for x in xs]
        return f"{statistics.median(ws):.0f} ({min(ws):.0f}–{max(ws):.0f}) / {statistics.median(cs):.0f}"

    print(f"| {a.label} | before | now | other | now / other (wall) |\n| --- | --- | --- | --- | --- |")
    for name, _ in cmds:
        m = {t: statistics.median(x[0] for x in res[(name, t)]) for t in tools}
        print(
            f"| {name} | {cell(res[(name, 'before')])} | {cell(res[(name, 'now')])} | "
            f"{cell(res[(name, 'other')])} | {m['now'] / m['other']:.2f} |"
        )
    print(f"| python -c pass | | {cell(res[('python -c pass', 'now')])} | | |")
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
