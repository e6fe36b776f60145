"""Shared fixtures: real projects in temp folders, the real CLI in-process and as a
subprocess. No test reads the developer's home or the repository's own specs."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURE = (REPO.parent / "shared" / "fixtures" / "leanspec-dec2025").resolve()


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture(autouse=True)
def _isolate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LEANSPEC_PROJECT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def fixture_project(tmp_path: Path) -> Path:
    """A copy of the real LeanSpec fixture project (never modify the original)."""
    if not FIXTURE.is_dir():
        pytest.skip(f"fixture not found at {FIXTURE}")
    dest = tmp_path / "fx"
    shutil.copytree(FIXTURE, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)  # shared/ is read-only
    return dest


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "specs").mkdir(parents=True)
    (root / ".lean-spec").mkdir()
    return root


def cli_inprocess(root: Path | None, *args: str) -> Run:
    """Run the CLI in this process (fast). For concurrency use ``cli_subprocess``."""
    from leanspec.cli import main

    argv = list(args)
    if root is not None:
        argv = ["--project", str(root), *argv]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


def cli_subprocess(root: Path | None, *args: str, input: str | None = None, timeout: float = 60) -> Run:
    argv = [sys.executable, "-m", "leanspec"]
    if root is not None:
        argv += ["--project", str(root)]
    env = {**os.environ, "NO_COLOR": "1"}
    p = subprocess.run([*argv, *args], capture_output=True, text=True, input=input, timeout=timeout, env=env)
    return Run(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def cli():
    return cli_inprocess


@pytest.fixture
def cli_proc():
    return cli_subprocess


def run_on_tty(argv: list[str], *, stream: str = "stderr", timeout: float = 120) -> tuple[int, bytes, bytes]:
    """Run ``argv`` with ``stream`` ("stdout" or "stderr") on a pseudo-terminal; the other
    one is piped. Returns (exit code, what the terminal showed, the piped output)."""
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        kw = {"stdout": slave, "stderr": subprocess.PIPE} if stream == "stdout" else {"stdout": subprocess.PIPE, "stderr": slave}
        proc = subprocess.Popen(argv, env=env, **kw)
        os.close(slave)
        slave = -1
        # Drain the piped stream on a thread: a child blocked on a full pipe would never
        # close the terminal we are reading.
        import threading

        pipe = proc.stderr if stream == "stdout" else proc.stdout
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(pipe.read()))  # type: ignore[union-attr]
        reader.start()
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=timeout)
        reader.join(timeout)
        piped = got[0] if got else b""
    finally:
        if slave != -1:
            os.close(slave)
        os.close(master)
    return code, b"".join(chunks), piped
