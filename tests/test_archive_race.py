"""A listing taken while another process archives specs (moves their folders) never
misses a spec, never shows one twice and never reports a moved folder as broken."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from leanspec.store.store import Store

N = 25


@pytest.mark.slow
def test_listing_during_archive_moves(empty_project: Path) -> None:
    store = Store(empty_project)
    for i in range(N):
        store.create(f"spec-{i}")
    script = (
        "import sys\n"
        "from leanspec.store.store import Store\n"
        f"s = Store(__import__('pathlib').Path({str(empty_project)!r}))\n"
        f"for i in range(1, {N} + 1):\n"
        "    s.archive(str(i))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    seen = 0
    try:
        while proc.poll() is None or seen == 0:
            res = Store(empty_project).load_all(include_archived=True)
            names = [s.name for s in res.specs]
            assert res.problems == []
            assert len(names) == N and len(set(names)) == N
            seen += 1
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    final = Store(empty_project).load_all(include_archived=True)
    assert all(s.archived_dir for s in final.specs) and len(final.specs) == N
