"""What an agent pays for MCP answers, in tokens: a real ``lean-spec mcp`` stdio server
over a generated project (bench/gen.py, fixed seed), each JSON-RPC ``result`` counted
with the tokenizer lean-spec ships (``leanspec.insight.tokens.count_tokens``,
cl100k_base) exactly as it travels: the compact JSON of the whole result object
(text blocks and ``structuredContent`` both, when both are sent).

    python bench/mcp_tokens.py [--n 150] [--work /tmp/lsbench-tokens] [--json]

Prints one markdown table (the rows bench/README.md records). The CLI's text board is
counted too, as the reference the MCP board is compared with.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen  # noqa: E402
from run import McpClient, ours_cmd  # noqa: E402

# Targets from issue 11 (tokens).
TARGETS = {"list (per spec)": 60, "tools/list": 3000, "board": 1500}


def tokens_of(obj: Any) -> int:
    from leanspec.insight.tokens import count_tokens

    return count_tokens(json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


def measure(root: Path) -> dict[str, int | float]:
    base = ours_cmd()
    c = McpClient([*base, "mcp", "--project", str(root)], root)
    out: dict[str, int | float] = {}
    try:
        out["tools/list"] = tokens_of(c.call("tools/list", {}))
        lst = c.tool("list", {"limit": 500})
        n = len(_payload(lst).get("specs", []))
        out["list (all, limit 500)"] = tokens_of(lst)
        out["list specs"] = n
        out["list (per spec)"] = round(out["list (all, limit 500)"] / max(n, 1), 1)
        out["list (default page)"] = tokens_of(c.tool("list", {}))
        out["search (default page)"] = tokens_of(c.tool("search", {"query": "atomic cache"}))
        out["board"] = tokens_of(c.tool("board", {}))
        out["view 005"] = tokens_of(c.tool("view", {"spec": "005"}))
        v = _payload(c.tool("view", {"spec": "007"}))
        h = v["spec"]["content_hash"]
        up = c.tool("update", {"spec": "007", "priority": "low", "expected_hash": h})
        out["update (priority)"] = tokens_of(up)
        out["resources/list"] = tokens_of(c.call("resources/list", {}))
        out["board://kanban"] = tokens_of(c.call("resources/read", {"uri": "board://kanban"}))
    finally:
        c.close()
    from leanspec.insight.tokens import count_tokens

    cli = subprocess.run([*base, "board"], cwd=root, capture_output=True, text=True, check=False)
    out["CLI `board` text (reference)"] = count_tokens(cli.stdout)
    return out


def _payload(result: dict[str, Any]) -> dict[str, Any]:
    if result.get("structuredContent") is not None:
        return dict(result["structuredContent"])
    return dict(json.loads(result["content"][0]["text"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=150, help="specs in the generated project")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="/tmp/lsbench-tokens", help="where the project is generated")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    a = ap.parse_args()
    root = Path(a.work) / f"p{a.n}"
    gen.generate(root, a.n, a.seed)
    res = measure(root)
    if a.json:
        print(json.dumps(res, indent=1))
        return
    print(f"| N = {a.n} | tokens | target |")
    print("| --- | --- | --- |")
    for k, v in res.items():
        t = TARGETS.get(k)
        print(f"| {k} | {v} | {'≤ ' + format(t, ',') if t else ''} |")


if __name__ == "__main__":
    main()
