"""Time `lean-spec tui`'s first screen: from process start to the board drawn, headless
(Textual's test harness at 120x40), on a project given on the command line.

    PYTHONPATH=src .venv/bin/python bench/tui_first_screen.py PROJECT [--runs 3]

Run it once first on a fresh corpus (bench/gen.py) to build the metadata cache: issue 13's
target is the warm first screen (<= 1 s at 10,000 specs).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

ONE_RUN = """
import asyncio, sys, time
t0 = time.perf_counter()
from leanspec.project import Project
from leanspec.tui.app import LeanSpecApp

async def main() -> None:
    app = LeanSpecApp([Project.open(sys.argv[1])], poll_interval=3600)
    async with app.run_test(size=(120, 40)):
        await app.ready.wait()
        print((time.perf_counter() - t0) * 1000)

asyncio.run(main())
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("project")
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    times = []
    for _ in range(a.runs):
        out = subprocess.run([sys.executable, "-c", ONE_RUN, a.project], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    print(f"first screen: median {statistics.median(times):.0f} ms (runs: {', '.join(f'{t:.0f}' for t in times)})")


if __name__ == "__main__":
    main()
