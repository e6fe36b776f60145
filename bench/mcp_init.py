"""Time ``lean-spec mcp`` from process start to its answer to ``initialize`` (and to
the first ``tools/list``), over real stdio, as an MCP client sees it.

    python bench/mcp_init.py --runs 7 [--cwd PROJECT] [--show] [-- CMD...]

CMD defaults to this interpreter's ``lean-spec mcp``. Prints median (min–max) in ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROTOCOL = "2025-06-18"


def default_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "lean-spec"
    return [str(exe), "mcp"] if exe.exists() else [sys.executable, "-m", "leanspec", "mcp"]


def one(cmd: list[str], cwd: str, show: bool = False) -> tuple[float, float]:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert p.stdin and p.stdout

    def send(msg: dict) -> None:
        assert p.stdin
        p.stdin.write((json.dumps(msg) + "\n").encode())
        p.stdin.flush()

    def wait_for(id_: int) -> dict:
        assert p.stdout
        while True:
            line = p.stdout.readline()
            if not line:
                raise RuntimeError("server closed its output")
            msg = json.loads(line)
            if msg.get("id") == id_:
                return msg

    try:
        send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
            }
        )
        init = wait_for(1)
        t1 = time.perf_counter()
        send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        send({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}})
        tools = wait_for(2)
        t2 = time.perf_counter()
        if show:
            print(json.dumps(init, indent=1)[:3000])
            print(len(tools.get("result", {}).get("tools", [])), "tools")
        if "result" not in init or "result" not in tools:
            raise RuntimeError(f"bad answer: {init} {str(tools)[:300]}")
    finally:
        p.stdin.close()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
    return (t1 - t0) * 1000, (t2 - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cwd", default=os.getcwd())
    ap.add_argument("--show", action="store_true", help="print the initialize answer")
    ap.add_argument("cmd", nargs="*")
    a = ap.parse_args()
    cmd = a.cmd or default_cmd()
    one(cmd, a.cwd, a.show)  # warm-up
    inits, lists = [], []
    for _ in range(a.runs):
        i, t = one(cmd, a.cwd)
        inits.append(i)
        lists.append(t)
    f = lambda xs: f"{statistics.median(xs):.0f} ({min(xs):.0f}–{max(xs):.0f})"  # noqa: E731
    print(f"initialize answered: {f(inits)} ms; first tools/list answered: {f(lists)} ms")


if __name__ == "__main__":
    main()
