"""Claim leases on disk: who is working on which spec, until when.

One small JSON file per claimed spec, ``<state>/leases/<spec-name>.json``, written
atomically and durably (fsutil), next to one lock file, ``<state>/claims.lock``.
``<state>`` is shared by everything that must see the same claims:

- inside a git repository: ``<git common dir>/leanspec/`` (``git rev-parse
  --git-common-dir``): the main checkout and every ``git worktree`` of the clone see
  the same leases and take the same lock;
- elsewhere: ``<project>/.lean-spec/`` (one checkout).

The git common dir is found without running git (start-up matters: ``list`` shows
lease holders): walk up to ``.git``; a ``.git`` file (a worktree) names its git dir,
whose ``commondir`` file names the common dir. ``GIT_COMMON_DIR`` / ``GIT_DIR`` in
the environment win, as they do for git.

A lease file is state, not a spec: only the claim engine (workflows/claims.py)
writes it, always under ``claims.lock``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..core import datetimes as _dt
from ..core.config import CONFIG_DIR
from ..core.ctxmanager import contextmanager
from ..core.errors import InvalidInput
from ..core.values import Value
from . import fsutil

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

LOCK_NAME = "claims.lock"
LEASES = "leases"


def git_common_dir(start: Path) -> Path | None:
    """The git common dir of the repository holding ``start`` (None outside git)."""
    env = os.environ.get("GIT_COMMON_DIR")
    if env:
        return Path(env).resolve()
    env = os.environ.get("GIT_DIR")
    if env:
        return _common_of(Path(env).resolve())
    cur = start.resolve()
    for d in (cur, *cur.parents):
        dot = d / ".git"
        try:
            if dot.is_dir():
                return dot
            if dot.is_file():
                text = dot.read_text(encoding="utf-8", errors="replace").strip()
                if text.startswith("gitdir:"):
                    gd = Path(text[len("gitdir:") :].strip())
                    return _common_of(gd if gd.is_absolute() else (d / gd).resolve())
        except OSError:
            continue
    return None


def _common_of(gitdir: Path) -> Path:
    try:
        rel = (gitdir / "commondir").read_text(encoding="utf-8").strip()
    except OSError:
        return gitdir
    p = Path(rel)
    return (p if p.is_absolute() else gitdir / p).resolve()


def state_dir(root: Path) -> Path:
    """Where the claim state of the project at ``root`` lives (see the module doc)."""
    common = git_common_dir(root)
    return common / "leanspec" if common is not None else root / CONFIG_DIR


CLOCK_OFFSET_ENV = "LEANSPEC_CLAIMS_CLOCK_OFFSET"


def claims_now(clock: Any) -> _dt.datetime:
    """The time claims use: ``clock()`` shifted by ``LEANSPEC_CLAIMS_CLOCK_OFFSET``
    seconds (default 0), so tests and drills can make leases expire without waiting."""
    t: _dt.datetime = clock()
    raw = os.environ.get(CLOCK_OFFSET_ENV)
    if raw:
        try:
            t += _dt.timedelta(seconds=float(raw))
        except ValueError:
            raise InvalidInput(f"{CLOCK_OFFSET_ENV} must be a number of seconds, got {raw!r}") from None
    return t


def iso(t: _dt.datetime) -> str:
    return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def parse_time(text: Any) -> _dt.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        t = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=_dt.UTC)


class Lease(Value):
    """One claim: ``holder`` works on ``spec`` until ``expires_at``.

    ``remote``/``oid``: for a claim published to a git remote, the remote's name and
    the object id of the lease blob its ref points to (the compare-and-swap value)."""

    __slots__ = ("spec", "holder", "acquired_at", "expires_at", "nonce", "remote", "oid")
    _FIELDS = __slots__
    __match_args__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        spec: str,
        holder: str,
        acquired_at: _dt.datetime,
        expires_at: _dt.datetime,
        nonce: str = "",
        remote: str | None = None,
        oid: str | None = None,
    ) -> None:
        self.spec = spec
        self.holder = holder
        self.acquired_at = acquired_at
        self.expires_at = expires_at
        self.nonce = nonce or os.urandom(6).hex()
        self.remote = remote
        self.oid = oid

    def live(self, now: _dt.datetime) -> bool:
        return self.expires_at > now

    def record(self) -> dict[str, Any]:
        """What is stored (in the file, or in the remote's lease blob)."""
        out: dict[str, Any] = {
            "spec": self.spec,
            "holder": self.holder,
            "acquired_at": iso(self.acquired_at),
            "expires_at": iso(self.expires_at),
            "nonce": self.nonce,
        }
        if self.remote:
            out["remote"] = self.remote
        if self.oid:
            out["oid"] = self.oid
        return out

    def to_dict(self, now: _dt.datetime | None = None) -> dict[str, Any]:
        """The JSON shape front ends show: ``{spec, holder, acquired_at, expires_at,
        expires_in (seconds, negative once expired), live, remote}``."""
        now = now or _dt.datetime.now(_dt.UTC)
        return {
            "spec": self.spec,
            "holder": self.holder,
            "acquired_at": iso(self.acquired_at),
            "expires_at": iso(self.expires_at),
            "expires_in": round((self.expires_at - now).total_seconds(), 3),
            "live": self.live(now),
            "remote": self.remote,
        }

    @classmethod
    def from_record(cls, data: Any, *, remote: str | None = None, oid: str | None = None) -> Lease | None:
        """A lease from its stored JSON; None when it is not one (ignored, never fatal)."""
        if not isinstance(data, dict):
            return None
        spec, holder = data.get("spec"), data.get("holder")
        acquired, expires = parse_time(data.get("acquired_at")), parse_time(data.get("expires_at"))
        if not isinstance(spec, str) or not isinstance(holder, str) or acquired is None or expires is None:
            return None
        return cls(
            spec,
            holder,
            acquired,
            expires,
            str(data.get("nonce") or ""),
            remote or (data.get("remote") if isinstance(data.get("remote"), str) else None),
            oid or (data.get("oid") if isinstance(data.get("oid"), str) else None),
        )

    def encode(self) -> bytes:
        import json

        return (json.dumps(self.record(), ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def check_spec_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name or len(name) > 240:
        raise InvalidInput(f"invalid spec name for a lease: {name!r}")
    return name


class LeaseStore:
    """The lease files of one project (one clone, all its worktrees)."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.dir = state / LEASES

    @classmethod
    def for_root(cls, root: Path) -> LeaseStore:
        return cls(state_dir(root))

    @property
    def lock_path(self) -> Path:
        return self.state / LOCK_NAME

    @contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """The claims lock: held by every claim, renewal and release across the
        checkout and all worktrees of the clone (flock; released if the holder dies)."""
        with fsutil.file_lock(self.lock_path, timeout):
            yield

    def _path(self, spec: str) -> Path:
        return self.dir / f"{check_spec_name(spec)}.json"

    def read(self, spec: str) -> Lease | None:
        try:
            import json

            data = json.loads(self._path(spec).read_bytes())
        except (OSError, ValueError):
            return None
        return Lease.from_record(data)

    def any(self) -> bool:
        """Whether any lease file exists (one ``listdir``): a command that only shows
        holders skips the claims machinery when there is none."""
        try:
            return any(n.endswith(".json") and not fsutil.is_tmp(n) for n in os.listdir(self.dir))
        except OSError:
            return False

    def all(self) -> list[Lease]:
        """Every lease on disk (expired ones too), by spec name."""
        try:
            names = sorted(os.listdir(self.dir))
        except OSError:
            return []
        out = []
        for n in names:
            if not n.endswith(".json") or fsutil.is_tmp(n):
                continue
            lease = self.read(n[: -len(".json")])
            if lease is not None:
                out.append(lease)
        return out

    def write(self, lease: Lease) -> None:
        """Write one lease file atomically and durably (call under ``lock``)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        # The lease folder is local state (.git or .lean-spec), never repository content.
        fsutil.atomic_write(self._path(lease.spec), lease.encode(), folder=os.path.realpath(self.dir))

    def delete(self, spec: str) -> bool:
        try:
            os.unlink(self._path(spec))
        except FileNotFoundError:
            return False
        fsutil.fsync_dir(self.dir)
        return True
