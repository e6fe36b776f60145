"""Web UI at scale, measured in Debian's headless Chromium (issue 12's targets).

Generates the deterministic corpus (bench/gen.py, default 2,000 specs), serves it with
the real app on uvicorn (as ``lean-spec ui`` does, warm listing), and drives the pages
with Playwright:

- board: navigation start -> first render done (``performance.mark("board-ready")``),
  the longest main-thread task during the load, and DOM size;
- typing in the board filter (one key every 120 ms): the longest main-thread task
  (Long Tasks API; every task over 50 ms is reported);
- board badges: board ready -> the token/validation badges drawn (``/api/badges``,
  fetched after the first draw), and that request's own time on a warm server;
- a live change: a write through the store (as the CLI does) -> the changed card
  shown with its new version on the open board (MutationObserver timestamp; the board
  fetches only the changed cards, ``/api/board/cards``);
- list, graph: navigation start -> ready, longest task; graph: the longest task of
  *Fit* (zoomed-out overview) and of panning at 100 % (12 arrow-key steps);
- payloads: ``/api/board`` full vs ``?compact=true``.

    python bench/web_bench.py [--n 2000] [--runs 5] [--work /tmp/lsweb] [--out results.md]

Needs Chromium (``apt-get install chromium``) and the ``playwright`` package; never
``playwright install``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

CHROMIUM = next(
    (
        c
        for c in ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
        if os.access(c, os.X_OK)
    ),
    "chromium",
)
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions", "--no-first-run"]

LONGTASKS = """
window.__long = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); })
  .observe({ type: "longtask", buffered: true });
"""


class Server:
    def __init__(self, root: Path) -> None:
        from leanspec.web.app import create_app
        from leanspec.web.server import UIServer

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = UIServer(create_app([root]))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()


def med(xs: list[float]) -> str:
    if not xs:
        return "–"
    return f"{statistics.median(xs):.0f} ({min(xs):.0f}–{max(xs):.0f})"


def page_load(ctx: Any, url: str, mark: str, ready: str) -> tuple[float, float, int]:
    pg = ctx.new_page()
    pg.add_init_script(LONGTASKS)
    pg.goto(url)
    pg.wait_for_selector(ready)
    deadline = time.monotonic() + 60
    while not pg.evaluate(f"performance.getEntriesByName('{mark}').length") and time.monotonic() < deadline:
        time.sleep(0.02)
    pg.wait_for_timeout(300)  # let trailing tasks report
    t = pg.evaluate(f"performance.getEntriesByName('{mark}')[0].startTime")
    longest = pg.evaluate("Math.max(0, ...window.__long)")
    nodes = pg.evaluate("document.getElementsByTagName('*').length")
    pg.close()
    return float(t), float(longest), int(nodes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", default="/tmp/lsweb")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from leanspec.project import Project, UpdateOps

    work = Path(a.work)
    root = work / f"corpus-{a.n}"
    if root.exists():
        shutil.rmtree(root)
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, str(HERE / "gen.py"), "--n", str(a.n), "--out", str(root)], check=True, capture_output=True
    )
    srv = Server(root)
    res: dict[str, list[float]] = {}
    extra: dict[str, Any] = {}
    try:
        full = urllib.request.urlopen(srv.url + "/api/board").read()
        compact = urllib.request.urlopen(srv.url + "/api/board?compact=true").read()
        extra["board_full_bytes"] = len(full)
        extra["board_compact_bytes"] = len(compact)
        extra["board_compact_gzip"] = len(gzip.compress(compact))
        project = Project.open(root)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            ctx = b.new_context(viewport={"width": 1440, "height": 900})
            # warm-up (server caches, browser module cache)
            page_load(ctx, srv.url + "/board", "board-ready", ".card")
            for _ in range(a.runs):
                t0 = time.perf_counter()
                urllib.request.urlopen(srv.url + "/api/badges").read()
                res.setdefault("`/api/badges`, warm server (ms)", []).append((time.perf_counter() - t0) * 1000)
                pg = ctx.new_page()
                pg.goto(srv.url + "/board")
                pg.wait_for_selector(".card-badges")
                res.setdefault("board ready -> badges drawn (ms)", []).append(
                    float(pg.evaluate("performance.now() - performance.getEntriesByName('board-ready')[0].startTime"))
                )
                pg.close()
                t, lt, nodes = page_load(ctx, srv.url + "/board", "board-ready", ".card")
                res.setdefault("board ready (ms)", []).append(t)
                res.setdefault("board: longest task during load (ms)", []).append(lt)
                extra["board_dom_elements"] = nodes
                t, lt, _n = page_load(ctx, srv.url + "/specs", "list-ready", "table.specs")
                res.setdefault("list ready (ms)", []).append(t)
                res.setdefault("list: longest task during load (ms)", []).append(lt)
                t, lt, nodes = page_load(ctx, srv.url + "/graph", "graph-ready", ".gnode")
                res.setdefault("graph ready (ms)", []).append(t)
                res.setdefault("graph: longest task during load (ms)", []).append(lt)
                extra["graph_dom_elements"] = nodes
                pg = ctx.new_page()
                pg.add_init_script(LONGTASKS)
                pg.goto(srv.url + "/graph")
                pg.wait_for_selector(".gnode")
                pg.wait_for_timeout(400)
                pg.evaluate("window.__long = []")
                pg.focus("#graph")
                for _k in range(12):
                    pg.keyboard.press("ArrowDown")
                    pg.wait_for_timeout(40)
                pg.wait_for_timeout(300)
                res.setdefault("graph: pan at 100 %, longest task (ms)", []).append(float(pg.evaluate("Math.max(0, ...window.__long)")))
                pg.evaluate("window.__long = []")
                pg.click("#zoom-fit")
                pg.wait_for_selector("#graph.overview")
                pg.wait_for_timeout(300)
                res.setdefault("graph: Fit (overview), longest task (ms)", []).append(float(pg.evaluate("Math.max(0, ...window.__long)")))
                extra["graph_overview_elements"] = int(pg.evaluate("document.querySelectorAll('#graph *').length"))
                pg.close()

            pg = ctx.new_page()
            pg.add_init_script(LONGTASKS)
            pg.goto(srv.url + "/board")
            pg.wait_for_selector(".card")
            pg.wait_for_selector("#live.on")
            for _r in range(a.runs):
                pg.fill("input[data-filter]", "")
                pg.wait_for_timeout(400)
                pg.evaluate("window.__long = []")
                pg.click("input[data-filter]")
                pg.keyboard.type("atomic cache", delay=120)
                pg.wait_for_timeout(500)
                res.setdefault("filter typing: longest task (ms)", []).append(
                    float(pg.evaluate("Math.max(0, ...window.__long)"))
                )
            pg.fill("input[data-filter]", "")
            pg.wait_for_timeout(400)
            # live change -> visible on the open board
            for r in range(a.runs):
                # a card on screen (the first of the in-progress column) gets a new tag
                name = pg.evaluate(
                    "(i) => document.querySelectorAll('.column[data-status=\"in-progress\"] .card')[i].dataset.name", r
                )
                tag = f"live-{r}"
                pg.evaluate(
                    """([name, tag]) => { window.__seen = 0;
                    const old = document.querySelector(`.card[data-name="${name}"]`).dataset.hash;
                    const mo = new MutationObserver(() => { const c = document.querySelector(`.card[data-name="${name}"]`);
                      if (c && c.dataset.hash !== old) { window.__seen = Date.now(); mo.disconnect(); } });
                    mo.observe(document.getElementById('board'), { childList: true, subtree: true }); }""",
                    [name, tag],
                )
                t0 = time.time() * 1000
                project.update(name, UpdateOps(tags=[tag]))
                deadline = time.monotonic() + 10
                while not pg.evaluate("window.__seen") and time.monotonic() < deadline:
                    time.sleep(0.01)
                seen = pg.evaluate("window.__seen")
                res.setdefault("live change visible (ms)", []).append(seen - t0 if seen else 10000.0)
                pg.wait_for_timeout(700)
            pg.close()
            ctx.close()
            b.close()
    finally:
        srv.stop()

    lines = [
        f"Corpus: bench/gen.py --n {a.n} (seed 1); {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{subprocess.run([CHROMIUM, '--version'], capture_output=True, text=True).stdout.strip()}; "
        f"{a.runs} runs after one warm-up; median (min–max).",
        "",
        "| measure | result |",
        "| --- | --- |",
    ]
    for k, v in res.items():
        lines.append(f"| {k} | {med(v)} |")
    lines.append(
        f"| `/api/board` payload | full {extra['board_full_bytes'] / 1e6:.2f} MB, `?compact=true` {extra['board_compact_bytes'] / 1e3:.0f} kB "
        f"({extra['board_compact_gzip'] / 1e3:.0f} kB gzipped) |"
    )
    lines.append(
        f"| DOM elements | board {extra['board_dom_elements']:,}, graph {extra['graph_dom_elements']:,} "
        f"(page, at 100 %), graph overview {extra['graph_overview_elements']:,} (inside the drawing) |"
    )
    text = "\n".join(lines)
    print(text)
    if a.out:
        Path(a.out).write_text(text + "\n")
    print(json.dumps({"results": res, **extra}))


if __name__ == "__main__":
    main()
