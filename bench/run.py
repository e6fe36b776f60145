"""Benchmark runner: whole-process CLI timings, warm MCP calls and HTTP requests at
several corpus sizes, next to the I/O floor and bare interpreter start-up, optionally
side by side with another LeanSpec-compatible CLI (e.g. LeanSpec 0.3.0).

    python bench/run.py --sizes 100,1000,10000 --runs 7 \\
        --other /tmp/ls030/node_modules/@leanspec/cli-linux-x64/leanspec

Each tool gets its own copy of the same generated corpus (bench/gen.py, fixed seed),
because create/update change it. Every timing is a median, min and max over ``--runs``
runs after one warm-up run. Prints a markdown table per size (and writes it to --out).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

QUERY = "atomic cache"
# Targets from issue 15, by size: ("x", r) = at most r times the other tool's median,
# ("+pass", ms) = at most ms more than `python -c pass`, ("ms", ms) = absolute.
TARGETS: dict[int, dict[str, tuple[str, float]]] = {
    1000: {"list": ("x", 0.5), "search": ("x", 0.5), "board": ("x", 0.5), "create": ("x", 1.0)},
    10000: {"search": ("x", 0.3), "board": ("x", 0.3), "list (cold, no cache)": ("x list", 1.5)},
}
for _n in (100, 1000, 10000):
    TARGETS.setdefault(_n, {}).update({"view": ("+pass", 30), "update": ("+pass", 30), "mcp initialize": ("ms", 300)})
VERSION_TARGET = 40


def ours_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "lean-spec"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "leanspec"]


def time_runs(fn: Callable[[int], None], runs: int, warmup: int = 1) -> list[float]:
    for i in range(warmup):
        fn(-1 - i)
    out = []
    for i in range(runs):
        t = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - t) * 1000)
    return out


SLOW_S = 120.0  # a run slower than this is stopped, and the command is not repeated


def run_proc(argv: Sequence[str], cwd: Path, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> None:
    p = subprocess.run(list(argv), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=SLOW_S)
    if p.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode()[-500:]}")


def fmt(ts: list[float] | None) -> str:
    if not ts:
        return "–"
    return f"{statistics.median(ts):.0f} ({min(ts):.0f}–{max(ts):.0f})"


def read_floor(root: Path) -> None:
    """Just read every README (what any tool that re-reads everything pays)."""
    for d in (root / "specs", root / "specs" / "archived"):
        for de in os.scandir(d):
            if de.is_dir() and de.name != "archived":
                with open(os.path.join(de.path, "README.md"), "rb") as f:
                    f.read()


def cli_commands(tool: str, n: int) -> list[tuple[str, Callable[[int], list[str]]]]:
    """(label, run index -> argv tail). Spec 5 is toggled by update; create makes new specs."""
    num = "005"
    if tool == "ours":
        return [
            ("--version", lambda i: ["--version"]),
            ("list", lambda i: ["list"]),
            ("list --json", lambda i: ["list", "--json"]),
            ("search", lambda i: ["search", QUERY]),
            ("board", lambda i: ["board"]),
            ("stats", lambda i: ["stats"]),
            ("validate", lambda i: ["validate"]),
            ("view", lambda i: ["view", num]),
            ("update", lambda i: ["update", num, "--status", "in-progress" if i % 2 else "planned"]),
            ("create", lambda i: ["create", f"bench-created-{time.time_ns()}"]),
        ]
    return [
        ("--version", lambda i: ["--version"]),
        ("list", lambda i: ["list"]),
        ("list --json", lambda i: ["list", "-o", "json"]),
        ("search", lambda i: ["search", QUERY]),
        ("board", lambda i: ["board"]),
        ("stats", lambda i: ["stats"]),
        ("validate", lambda i: ["validate"]),
        ("view", lambda i: ["view", num]),
        ("update", lambda i: ["update", num, "--status", "in-progress" if i % 2 else "planned"]),
        ("create", lambda i: ["create", f"bench-created-{time.time_ns()}"]),
    ]


# ------------------------------------------------------------------- MCP (stdio)
class McpClient:
    """Minimal JSON-RPC over stdio (newline-delimited, as the MCP stdio transport)."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.p = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.id = 0
        self.call(
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
        )
        self.notify("notifications/initialized")

    def notify(self, method: str) -> None:
        assert self.p.stdin
        self.p.stdin.write((json.dumps({"jsonrpc": "2.0", "method": method}) + "\n").encode())
        self.p.stdin.flush()

    def call(self, method: str, params: dict) -> dict:
        assert self.p.stdin and self.p.stdout
        self.id += 1
        self.p.stdin.write(
            (json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params}) + "\n").encode()
        )
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("MCP server closed its output")
            msg = json.loads(line)
            if msg.get("id") == self.id:
                if "error" in msg:
                    raise RuntimeError(f"MCP error: {msg['error']}")
                return msg["result"]

    def tool(self, name: str, args: dict) -> dict:
        r = self.call("tools/call", {"name": name, "arguments": args})
        if r.get("isError"):
            raise RuntimeError(f"tool {name} failed: {str(r)[:300]}")
        return r

    def close(self) -> None:
        if self.p.stdin:
            self.p.stdin.close()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as r:
        return bytes(r.read())


def wait_http(url: str, proc: subprocess.Popen, limit: float = 120) -> None:
    end = time.time() + limit
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}")
        try:
            http_get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no answer from {url}")


# ------------------------------------------------------------------------ driver
def bench_size(n: int, args: argparse.Namespace, notes: list[str]) -> dict[str, dict[str, list[float] | None]]:
    work = Path(args.work)
    tools: dict[str, list[str]] = {"ours": ours_cmd()}
    if args.other:
        tools["other"] = [args.other]
    res: dict[str, dict[str, list[float] | None]] = {}
    for tool, base in tools.items():
        root = work / f"{n}-{tool}"
        info = gen.generate(root, n, args.seed)
        print(f"# N={n} {tool}: {info}", file=sys.stderr, flush=True)
        r: dict[str, list[float] | None] = {}
        res[tool] = r
        env = {**os.environ, "NO_COLOR": "1"}
        if tool != "ours":
            # LeanSpec's ui registers projects in ~/.lean-spec: keep that out of the real home.
            env["npm_config_cache"] = env.get("npm_config_cache") or str(Path.home() / ".npm")
            env["HOME"] = str(work / "home")
            (work / "home").mkdir(exist_ok=True)
        if tool == "ours":
            # Cold first run: no cache (deleted before each run).
            cache_file = root / ".lean-spec" / "cache" / "specs.pickle"

            def cold(
                i: int,
                root: Path = root,
                cache_file: Path = cache_file,
                base: list[str] = base,
                env: dict[str, str] = env,
            ) -> None:
                cache_file.unlink(missing_ok=True)
                run_proc([*base, "list"], root, env)

            r["list (cold, no cache)"] = time_runs(cold, args.runs)
        for label, tail in cli_commands(tool, n):
            runs = args.runs
            # Our validate exits 1 when it reports problems: still a complete run.
            ok = (0, 1) if (tool == "ours" and label == "validate") else (0,)
            try:
                r[label] = time_runs(
                    lambda i, tail=tail, root=root, base=base, env=env, ok=ok: run_proc(
                        [*base, *tail(i)], root, env, ok
                    ),
                    runs,
                )
            except subprocess.TimeoutExpired:
                r[label] = None
                notes.append(f"N={n} {tool} `{label}`: one run took longer than {SLOW_S:.0f} s; stopped, not repeated")
            except Exception as exc:  # report, keep going
                r[label] = None
                notes.append(f"N={n} {tool} `{label}`: {exc}")
            print(f"  {tool:5} {label:24} {fmt(r[label])}", file=sys.stderr, flush=True)
        if tool == "ours":
            r.update(bench_mcp(base, root, args, notes, n))
            r.update(bench_http(base, root, args, notes, n, ours=True, env=env))
        elif args.other_http:
            r.update(bench_http(base, root, args, notes, n, ours=False, env=env))
    r0 = res["ours"]
    root = work / f"{n}-ours"
    r0["I/O floor (read every README, in-process)"] = time_runs(lambda i: read_floor(root), args.runs)
    r0["python -c pass"] = time_runs(lambda i: run_proc([sys.executable, "-c", "pass"], root), args.runs)
    if not args.keep:
        for tool in tools:
            shutil.rmtree(work / f"{n}-{tool}", ignore_errors=True)
    return res


def bench_mcp(
    base: list[str], root: Path, args: argparse.Namespace, notes: list[str], n: int
) -> dict[str, list[float] | None]:
    out: dict[str, list[float] | None] = {}
    import mcp_init

    try:
        # From process start to the initialize answer (not to the process's exit).
        mcp_init.one([*base, "mcp"], str(root))  # warm-up
        out["mcp initialize"] = [mcp_init.one([*base, "mcp"], str(root))[0] for _ in range(args.runs)]
    except Exception as exc:
        out["mcp initialize"] = None
        notes.append(f"N={n} MCP initialize: {exc}")
    try:
        c = McpClient([*base, "mcp"], root)
    except Exception as exc:
        notes.append(f"N={n} MCP server did not start: {exc}")
        return {"mcp list": None, "mcp search": None}
    try:
        for label, name, a in (("mcp list", "list", {}), ("mcp search", "search", {"query": QUERY})):
            try:
                out[label] = time_runs(lambda i, name=name, a=a: c.tool(name, a), max(args.runs, 20), warmup=2)
            except Exception as exc:
                out[label] = None
                notes.append(f"N={n} `{label}`: {exc}")
    finally:
        c.close()
    return out


def bench_http(
    base: list[str], root: Path, args: argparse.Namespace, notes: list[str], n: int, *, ours: bool, env: dict[str, str]
) -> dict[str, list[float] | None]:
    """Ours: GET /api/specs. LeanSpec 0.3.0's `ui` (fetched by npx on first use) serves
    the same list at /api/projects/{id}/specs, the id being listed by /api/projects."""
    import signal

    port = free_port()
    argv = [*base, "ui", "--port", str(port), "--no-open"]
    label = "http GET /api/specs"
    p = subprocess.Popen(
        argv, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env
    )
    try:
        if ours:
            url = f"http://127.0.0.1:{port}/api/specs"
            wait_http(url, p)
        else:
            wait_http(f"http://127.0.0.1:{port}/health", p, limit=300)
            projects = json.loads(http_get(f"http://127.0.0.1:{port}/api/projects"))["projects"]
            pid = next(x["id"] for x in projects if Path(x["path"]).resolve() == root.resolve())
            url = f"http://127.0.0.1:{port}/api/projects/{pid}/specs"
            total = json.loads(http_get(url)).get("total")
            if total is not None and total < n * 0.9:
                raise RuntimeError(f"{url} listed {total} specs, expected about {n}")
        return {label: time_runs(lambda i: http_get(url), max(args.runs, 20), warmup=2)}
    except Exception as exc:
        notes.append(f"N={n} {'ours' if ours else 'other'} HTTP: {exc}")
        return {label: None}
    finally:
        # The other tool's ui is a tree of processes (npm exec, node, the server).
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except OSError:
            pass
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def _med(ts: list[float] | None) -> float | None:
    return statistics.median(ts) if ts else None


def table(n: int, res: dict[str, dict[str, list[float] | None]], other_name: str) -> str:
    ours, other = res["ours"], res.get("other", {})
    labels = list(ours) + [k for k in other if k not in ours]
    head = (
        f"| N = {n:,} | leanspec (Python) ms | {other_name} ms | ours / other | target | met |\n"
        "| --- | --- | --- | --- | --- | --- |"
    )
    rows = []
    pass_ms = _med(ours.get("python -c pass"))
    for k in labels:
        mine, theirs = _med(ours.get(k)), _med(other.get(k)) if other else None
        ratio = f"{mine / theirs:.2f}" if mine and theirs else ""
        tgt_s, met = "", ""
        kind, val = TARGETS.get(n, {}).get(k, ("", 0.0))
        if k == "--version":
            kind, val = "ms", VERSION_TARGET
        if kind == "x" and mine and theirs:
            tgt_s, met = f"≤ {val:g} × other", "yes" if mine <= val * theirs else "**no**"
        elif kind == "x list" and mine and other and _med(other.get("list")):
            peer = _med(other.get("list")) or 0.0
            tgt_s, met = f"≤ {val:g} × other's list ({val * peer:.0f})", "yes" if mine <= val * peer else "**no**"
        elif kind == "+pass" and mine and pass_ms:
            tgt_s, met = f"≤ pass + {val:g} ({pass_ms + val:.0f})", "yes" if mine <= pass_ms + val else "**no**"
        elif kind == "ms" and mine:
            tgt_s, met = f"≤ {val:g}", "yes" if mine <= val else "**no**"
        rows.append(f"| {k} | {fmt(ours.get(k))} | {fmt(other.get(k)) if other else '–'} | {ratio} | {tgt_s} | {met} |")
    return "\n".join([head, *rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per command (after one warm-up), at least 5")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--other", help="path to another LeanSpec-compatible CLI (e.g. LeanSpec 0.3.0's binary)")
    ap.add_argument("--other-name", default="LeanSpec 0.3.0")
    ap.add_argument("--other-http", action="store_true", help="also time the other tool's `ui` HTTP GET /api/specs")
    ap.add_argument("--work", default="/tmp/leanspec-bench", help="scratch folder for the corpora")
    ap.add_argument("--keep", action="store_true", help="keep the corpora")
    ap.add_argument("--out", help="also write the markdown here")
    a = ap.parse_args()
    if a.runs < 5:
        ap.error("--runs must be at least 5")
    Path(a.work).mkdir(parents=True, exist_ok=True)
    # A pip install (non-editable) writes .pyc files; an editable install under
    # PYTHONDONTWRITEBYTECODE=1 never does, and every run would then recompile every
    # module (60-100 ms). Compile once, as an installed package would be.
    import compileall

    # force: compileall skips a .pyc whose recorded mtime (whole seconds) matches, even
    # when the source changed size within that second; the import would then recompile.
    compileall.compile_dir(str(HERE.parent / "src" / "leanspec"), quiet=1, force=True)
    notes: list[str] = []
    load0 = os.getloadavg()
    other_ver = ""
    if a.other:
        other_ver = subprocess.run([a.other, "--version"], capture_output=True, text=True).stdout.strip()
    parts = [
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"other tool: {other_ver or 'none'}; runs: {a.runs} after 1 warm-up (MCP/HTTP: max(runs, 20) after 2); "
        f"load average at start {load0[0]:.2f}."
    ]
    for n in [int(x) for x in a.sizes.split(",")]:
        res = bench_size(n, a, notes)
        t = table(n, res, a.other_name)
        print(t + "\n", flush=True)
        parts.append(t)
        if a.out:  # write as we go: the 10k run is long
            Path(a.out).write_text("\n\n".join(parts) + "\n")
    load1 = os.getloadavg()
    parts.append(f"Load average at end {load1[0]:.2f}. Cells: median (min–max) in ms.")
    if notes:
        parts.append("Notes:\n" + "\n".join(f"- {x}" for x in notes))
    text = "\n\n".join(parts) + "\n"
    if a.out:
        Path(a.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
