"""Atomic claims with leases: ``claim``, ``release``, ``next``, ``claims``.

A claim is ONE critical section: under the claims lock (shared by the checkout and
every ``git worktree`` of the clone, store/leases.py) and the project write lock,
read every spec and every lease, pick or check the spec, set it ``in-progress`` with
``assignee: HOLDER`` (store.update) and write the lease. Two claimants can never both
see a spec as free.

Across clones (machines), a claim is also published to a git remote as the ref
``refs/leanspec/claims/<spec>`` pointing to a small blob (the lease JSON). Publishing
is a compare-and-swap push: ``git push --atomic --force-with-lease=<ref>:<expected>``,
expected being empty for a new claim or the expired lease's blob id; git's
receive-pack checks the old value under its ref lock, so of two clones claiming the
same spec exactly one push succeeds. The loser fetches again and takes the next ready
spec. In remote mode the remote's refs are the truth (local lease files mirror them
for display). Opt-in: ``claims.remote`` in the config or ``--remote NAME``.

Readiness (docs/claims.md): a spec is *ready* when it is ``planned`` (or
``in-progress`` with an expired lease: abandoned work), every ``depends_on`` is
``complete`` or archived, and no live lease holds it. A missing dependency is open.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from ..core import datetimes as _dt
from ..core.errors import Blocked, Conflict, InvalidInput, LeanSpecError, NothingReady
from ..core.facts import card_key
from ..core.lazyre import LazyRe
from ..core.model import Spec
from ..core.values import Value
from ..store.leases import Lease, LeaseStore, claims_now, iso
from ..store.store import Store

# Board, list and view only read leases: git (subprocess, dataclasses, ...), json and
# typing are imported by the paths that need them.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..project import Project

DONE = ("complete", "archived")
DEFAULT_LEASE = "30m"
REF_PREFIX = "refs/leanspec/claims/"
SEEN_PREFIX = "refs/leanspec/remotes/"  # local copies of a remote's claim refs
MAX_ATTEMPTS = 20  # remote claims: lost races before giving up (each loss = one spec taken by another clone)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = LazyRe(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(text: str | float | int) -> float:
    """Seconds in ``30m``, ``1h30m``, ``45s``, ``2d``, ``1w`` or a plain number of seconds."""
    if isinstance(text, int | float):
        secs = float(text)
    else:
        import re

        t = str(text).strip().lower().replace(" ", "")
        if re.fullmatch(r"\d+(?:\.\d+)?", t):
            secs = float(t)
        elif t and re.fullmatch(r"(?:\d+(?:\.\d+)?[smhdw])+", t):
            secs = sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(t))
        else:
            raise InvalidInput(f"invalid lease duration {text!r}: use e.g. 30m, 1h, 45s, 2h30m")
    if not secs > 0:
        raise InvalidInput(f"invalid lease duration {text!r}: must be more than 0 seconds")
    return secs


def check_holder(holder: str | None) -> str:
    h = (holder or "").strip()
    if not h:
        raise InvalidInput("name the claimant: --as AGENT (MCP/HTTP: holder)")
    if len(h) > 200 or any(c in h for c in "\r\n\x00"):
        raise InvalidInput(f"invalid holder name {h[:40]!r}: one line, at most 200 characters")
    return h


# ===================================================================== readiness
class Readiness:
    """Dependencies, leases and readiness of every spec of one listing (pure)."""

    def __init__(self, specs: Sequence[Spec], leases: dict[str, Lease], now: _dt.datetime) -> None:
        from ..insight.graph import Resolver

        self.specs = list(specs)
        self.leases = leases
        self.now = now
        self.resolver = Resolver(self.specs)
        self._deps: dict[str, list[dict[str, Any]]] = {}

    def deps(self, s: Spec) -> list[dict[str, Any]]:
        """``[{name, status, done}]`` for each ``depends_on`` (status ``missing`` when
        the reference names no spec)."""
        got = self._deps.get(s.name)
        if got is None:
            got = []
            get = self.resolver.get
            for ref in s.depends_on:
                try:
                    t = get(ref, suggestions=False)
                except LeanSpecError:
                    got.append({"name": ref, "status": "missing", "done": False})
                    continue
                st = t.status
                got.append({"name": t.name, "status": st, "done": st in DONE or t.archived})
            self._deps[s.name] = got
        return got

    def open_deps(self, s: Spec) -> list[dict[str, Any]]:
        return [d for d in self.deps(s) if not d["done"]]

    def lease(self, name: str) -> Lease | None:
        """The live lease on a spec, if any."""
        lease = self.leases.get(name)
        return lease if lease is not None and lease.live(self.now) else None

    def is_blocked(self, s: Spec) -> bool:
        return s.status not in DONE and not s.archived and bool(self.open_deps(s))

    def is_ready(self, s: Spec) -> bool:
        if s.archived or s.status not in ("planned", "in-progress"):
            return False
        lease = self.leases.get(s.name)
        if lease is not None and lease.live(self.now):
            return False
        if s.status == "in-progress" and lease is None:
            return False  # being worked on without a claim (or released as paused)
        return not self.open_deps(s)

    def ready(self) -> list[Spec]:
        """Ready specs, in claim order: highest priority first, then lowest number."""
        return sorted((s for s in self.specs if self.is_ready(s)), key=card_key)

    def blocked(self) -> list[Spec]:
        return [s for s in self.specs if self.is_blocked(s)]

    def warnings_for_start(self, s: Spec) -> list[str]:
        """The warning shown when ``s`` is set in-progress with open dependencies."""
        open_ = self.open_deps(s)
        if not open_:
            return []
        listed = ", ".join(f"{d['name']} ({d['status']})" for d in open_)
        return [f"{s.name} is in progress but depends on {len(open_)} open spec(s): {listed}"]


def annotate_board(board: dict[str, Any], r: Readiness) -> dict[str, Any]:
    """Mark the cards of a board (``insight.board.build_board``) in place: ``blocked:
    true`` and ``open_dependencies`` on a card with open dependencies, ``lease`` on a
    claimed one. Other cards are left as they are."""
    by_name = {s.name: s for s in r.specs}
    live = r.lease if r.leases else None  # no lease files: no lease to look up per card
    open_deps = r.open_deps
    for g in board.get("groups", []):
        for card in g.get("specs", []):
            name = card.get("name") if isinstance(card, dict) else None
            s = by_name.get(name) if isinstance(name, str) else None
            if s is None:
                continue
            _mark_card(card, s, open_deps, live, r.now)
    return board


def _mark_card(card: dict[str, Any], s: Spec, open_deps: Any, live: Any, now: Any) -> None:
    """The marks of one card: ``r.is_blocked(s)`` with the open dependencies it computes
    kept for the card, and the live lease (``live`` None: there are no lease files)."""
    if s.depends_on and s.status not in DONE and not s.archived:
        open_ = open_deps(s)
        if open_:
            card["blocked"] = True
            card["open_dependencies"] = open_
    if live is not None:
        lease = live(s.name)
        if lease is not None:
            card["lease"] = lease.to_dict(now)


def card_marker(r: Readiness) -> Callable[[dict[str, Any], Spec], None]:
    """``mark(card, spec)``: ``annotate_board``'s marks for one card, for a caller that
    marks each card as it builds it from its spec (the CLI's text board: no second pass
    over the cards, no name map of the whole listing). The same marks: the spec is
    looked up by name in the readiness' listing, as ``annotate_board`` does."""
    unique = r.resolver.by_name  # every name held by exactly one spec of the listing
    last: dict[str, Spec] = {}
    live = r.lease if r.leases else None
    open_deps = r.open_deps
    now = r.now

    def mark(card: dict[str, Any], spec: Spec) -> None:
        name = spec.name
        s = unique.get(name)
        if s is None:
            # A name on two specs (annotate_board takes the last one) or none.
            if not last:
                last.update((x.name, x) for x in r.specs)
            s = last.get(name)
            if s is None:
                return
        _mark_card(card, s, open_deps, live, now)

    return mark


# ====================================================================== results
class ClaimResult(Value):
    __slots__ = ("spec", "lease", "changed", "warnings", "renewed", "now")
    _FIELDS = __slots__
    __match_args__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self, spec: Spec, lease: Lease, changed: list[str], warnings: list[str], renewed: bool, now: _dt.datetime
    ) -> None:
        self.spec = spec
        self.lease = lease
        self.changed = changed
        self.warnings = warnings
        self.renewed = renewed
        self.now = now

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "spec": self.spec.to_dict(),
            "lease": self.lease.to_dict(self.now),
            "renewed": self.renewed,
            "changed": self.changed,
            "warnings": self.warnings,
        }


class ReleaseResult(Value):
    __slots__ = ("spec", "lease", "changed", "now")
    _FIELDS = __slots__
    __match_args__ = _FIELDS
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, spec: Spec, lease: Lease | None, changed: list[str], now: _dt.datetime) -> None:
        self.spec = spec
        self.lease = lease
        self.changed = changed
        self.now = now

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "spec": self.spec.to_dict(),
            "released": self.lease.to_dict(self.now) if self.lease is not None else None,
            "changed": self.changed,
        }


class _LostRace(Exception):
    """A remote compare-and-swap push was rejected: another clone got there first."""


# ======================================================================= engine
def configured_remote(store: Store) -> str | None:
    raw = store.config.raw
    claims = raw.get("claims") if isinstance(raw, dict) else None
    remote = claims.get("remote") if isinstance(claims, dict) else None
    return str(remote).strip() or None if isinstance(remote, str) else None


def configured_lease(store: Store) -> str:
    raw = store.config.raw
    claims = raw.get("claims") if isinstance(raw, dict) else None
    lease = claims.get("lease") if isinstance(claims, dict) else None
    return str(lease) if isinstance(lease, str | int | float) and str(lease).strip() else DEFAULT_LEASE


def ref_component(name: str) -> str:
    """A spec name as one ref path component (unusual characters %-encoded)."""
    out = []
    for ch in name:
        if ch.isascii() and (ch.isalnum() or ch in "-_"):
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


class Claims:
    """The claim engine of one project; ``remote`` (a git remote name) publishes
    claims there (None: this clone only; default from ``claims.remote``)."""

    def __init__(self, store: Store, *, remote: str | None = None, use_config: bool = True) -> None:
        self.store = store
        self.leases = LeaseStore.for_root(store.root)
        r = remote if remote is not None else (configured_remote(store) if use_config else None)
        if r is not None and not LazyRe(r"[A-Za-z0-9][A-Za-z0-9._/-]*").fullmatch(r):
            raise InvalidInput(f"invalid remote name {r!r}: name a configured git remote (git remote -v)")
        self.remote = r or None

    # ---------------------------------------------------------------- reading
    def now(self) -> _dt.datetime:
        return claims_now(self.store.clock)

    def local_leases(self) -> dict[str, Lease]:
        """Lease files of this clone (in remote mode: the last fetched mirror). No git."""
        return {lease.spec: lease for lease in self.leases.all()}

    def readiness(self, specs: Sequence[Spec] | None = None, leases: dict[str, Lease] | None = None) -> Readiness:
        if specs is None:
            specs = self.store.load_all(include_archived=True).specs
        return Readiness(specs, self.local_leases() if leases is None else leases, self.now())

    def _current_leases(self) -> dict[str, Lease]:
        return self._fetch() if self.remote else self.local_leases()

    def list(self, *, include_expired: bool = False) -> list[Lease]:
        with self.leases.lock(self.store.config.lock_timeout):
            leases = self._current_leases()
        now = self.now()
        return sorted(
            (lease for lease in leases.values() if include_expired or lease.live(now)),
            key=lambda lease: (lease.expires_at, lease.spec),
        )

    def peek(self) -> tuple[Spec | None, Readiness]:
        """The spec ``claim`` would take now (no claim), and the readiness it saw."""
        with self.leases.lock(self.store.config.lock_timeout):
            leases = self._current_leases()
        r = self.readiness(leases=leases)
        ready = r.ready()
        return (ready[0] if ready else None), r

    # ---------------------------------------------------------------- writing
    def claim(
        self,
        ref: str | None,
        holder: str,
        *,
        lease: str | float | None = None,
        force: bool = False,
        renew: bool = False,
    ) -> ClaimResult:
        holder = check_holder(holder)
        secs = parse_duration(lease if lease is not None else configured_lease(self.store))
        if renew and not ref:
            raise InvalidInput("--renew needs the spec whose lease to extend")
        with self.leases.lock(self.store.config.lock_timeout), self.store.transaction():
            for _attempt in range(MAX_ATTEMPTS):
                leases = self._current_leases()
                r = self.readiness(leases=leases)
                try:
                    if renew:
                        assert ref is not None
                        return self._renew(r, ref, holder, secs)
                    if ref:
                        return self._take(r, self._check_explicit(r, ref, holder, force), holder, secs, force)
                    ready = r.ready()
                    if not ready:
                        raise NothingReady(
                            "no spec is ready to claim (planned, dependencies complete, no live lease)",
                            hint="nothing to take now: see which specs are blocked (list, ready/blocked filters) and who holds the claims",
                            details={"blocked": [s.name for s in r.blocked()], "claimed": sorted(n for n in r.leases if r.lease(n) is not None)},
                        )
                    return self._take(r, ready[0], holder, secs, force)
                except _LostRace:
                    continue  # another clone won that spec: fetch again, look again
            raise Conflict(
                f"lost {MAX_ATTEMPTS} claim races on remote {self.remote!r} in a row",
                hint="try again; many clones are claiming at once",
            )

    def _check_explicit(self, r: Readiness, ref: str, holder: str, force: bool) -> Spec:
        e = self.store.resolve(ref)
        s = next((x for x in r.specs if x.name == e.name), None) or self.store.get(e.name)
        if s.archived or s.status in DONE:
            raise Blocked(
                f"{s.name} is {s.status if not s.archived else 'archived'}: there is nothing to claim",
                details={"spec": s.name, "status": s.status},
            )
        live = r.lease(s.name)
        if live is not None and live.holder != holder and not force:
            raise Conflict(
                f"{s.name} is claimed by {live.holder} until {iso(live.expires_at)}",
                hint="pick another spec (a claim without a spec takes the next ready one), or force the claim",
                details={"spec": s.name, "holder": live.holder, "expires_at": iso(live.expires_at)},
            )
        if live is None and s.status == "in-progress" and s.assignee and s.assignee != holder and not force:
            raise Conflict(
                f"{s.name} is in progress with assignee {s.assignee} (no lease)",
                hint="ask them, or force the claim",
                details={"spec": s.name, "holder": s.assignee, "expires_at": None},
            )
        open_ = r.open_deps(s)
        if not force and (open_ or s.status == "draft"):
            why = (
                f"{len(open_)} open dependenc{'y' if len(open_) == 1 else 'ies'}: "
                + ", ".join(f"{d['name']} ({d['status']})" for d in open_)
                if open_
                else "it is a draft (plan it first)"
            )
            raise Blocked(
                f"{s.name} is not ready: {why}",
                hint="finish the dependencies first, or force the claim",
                details={"spec": s.name, "status": s.status, "open_dependencies": open_},
            )
        return s

    def _take(self, r: Readiness, s: Spec, holder: str, secs: float, force: bool) -> ClaimResult:
        now = self.now()
        new = Lease(s.name, holder, now, now + _dt.timedelta(seconds=secs), remote=self.remote)
        old = r.leases.get(s.name)
        if self.remote:
            new.oid = self._publish(new, old.oid if old is not None else None)
        try:
            from ..rules.update import UpdateOps

            res = self.store.update(s.name, UpdateOps(status="in-progress", assignee=holder), force=force)
        except BaseException:
            if self.remote and new.oid:
                try:
                    self._unpublish(s.name, new.oid)
                except (LeanSpecError, _LostRace):
                    pass
            raise
        self.leases.write(new)
        warnings = r.warnings_for_start(res.spec)
        return ClaimResult(res.spec, new, res.changed, warnings, False, now)

    def _renew(self, r: Readiness, ref: str, holder: str, secs: float) -> ClaimResult:
        e = self.store.resolve(ref)
        old = r.leases.get(e.name)
        if old is None or old.holder != holder:
            who = f"{old.holder} holds it" if old is not None else "it is not claimed"
            raise Conflict(
                f"cannot renew {e.name}: {who}",
                hint="claim it first",
                details={
                    "spec": e.name,
                    "holder": old.holder if old else None,
                    "expires_at": iso(old.expires_at) if old else None,
                },
            )
        now = self.now()
        new = Lease(e.name, holder, old.acquired_at, now + _dt.timedelta(seconds=secs), remote=self.remote)
        if self.remote:
            new.oid = self._publish(new, old.oid)
        self.leases.write(new)
        spec = self.store.get(e.name)
        return ClaimResult(spec, new, [], [], True, now)

    def release(self, ref: str, holder: str, *, status: str | None = None, force: bool = False) -> ReleaseResult:
        holder = check_holder(holder)
        if status is not None and status not in ("planned", "complete"):
            raise InvalidInput(f"invalid release status {status!r}: use planned or complete")
        with self.leases.lock(self.store.config.lock_timeout), self.store.transaction():
            leases = self._current_leases()
            e = self.store.resolve(ref)
            lease = leases.get(e.name)
            if not force and (lease is None or lease.holder != holder):
                now = self.now()
                if lease is None:
                    msg = f"{e.name} is not claimed"
                else:
                    state = "until" if lease.live(now) else "expired"
                    msg = f"{e.name} is claimed by {lease.holder} ({state} {iso(lease.expires_at)})"
                raise Conflict(
                    f"cannot release {e.name} as {holder}: {msg}",
                    hint="only the holder releases a claim (or force the release)",
                    details={
                        "spec": e.name,
                        "holder": lease.holder if lease else None,
                        "expires_at": iso(lease.expires_at) if lease else None,
                    },
                )
            from ..rules.update import UpdateOps

            changed: list[str] = []
            if status == "planned":
                res = self.store.update(e.name, UpdateOps(status="planned", assignee=""), force=force)
                changed, spec = res.changed, res.spec
            elif status == "complete":
                res = self.store.update(e.name, UpdateOps(status="complete"), force=force)
                changed, spec = res.changed, res.spec
            else:
                spec = self.store.get(e.name)
            if lease is not None:
                if self.remote and lease.oid:
                    self._unpublish(e.name, lease.oid)
                self.leases.delete(e.name)
            return ReleaseResult(spec, lease, changed, self.now())

    # ------------------------------------------------------------ git remote
    def _git(self, *args: str, check: bool = True, input: bytes | None = None) -> str:
        from . import gitutil

        return gitutil.run(self.store.root, *args, check=check, input=input)

    def _seen_prefix(self) -> str:
        assert self.remote is not None
        return SEEN_PREFIX + ref_component(self.remote) + "/"

    def _fetch(self) -> dict[str, Lease]:
        """Fetch the remote's claim refs (pruning released ones) and read their leases.
        Mirrors them into this clone's lease files, so list/view/board show them."""
        import json

        prefix = self._seen_prefix()
        self._git("fetch", "--quiet", "--prune", "--no-tags", "--no-write-fetch-head", self.remote or "",
                  f"+{REF_PREFIX}*:{prefix}*")  # fmt: skip
        rows = self._git("for-each-ref", "--format=%(objectname) %(refname)", prefix).split("\n")
        pairs = [row.split(" ", 1) for row in rows if row.strip()]
        out: dict[str, Lease] = {}
        if pairs:
            batch = self._git("cat-file", "--batch", input="".join(f"{oid}\n" for oid, _ in pairs).encode())
            for oid, text in _batch_objects(batch):
                try:
                    data = json.loads(text)
                except ValueError:
                    continue
                lease = Lease.from_record(data, remote=self.remote, oid=oid)
                if lease is not None:
                    out[lease.spec] = lease
        self._mirror(out)
        return out

    def _mirror(self, remote_leases: dict[str, Lease]) -> None:
        for lease in self.leases.all():
            if lease.remote == self.remote and lease.spec not in remote_leases:
                self.leases.delete(lease.spec)
        for name, lease in remote_leases.items():
            if self.leases.read(name) != lease:
                self.leases.write(lease)

    def _push(self, *args: str) -> None:
        """``git push --porcelain --atomic ARGS``: returns on success, ``_LostRace`` when
        the remote rejected the compare-and-swap, ``GitError`` when git failed."""
        import subprocess

        from . import gitutil

        cmd = [gitutil.git_binary(), "-c", "color.ui=false", "push", "--porcelain", "--atomic", *args]
        env = {**os.environ, "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}
        try:
            p = subprocess.run(cmd, cwd=self.store.root, capture_output=True, env=env)
        except OSError as exc:
            raise gitutil.GitError(f"cannot run git: {exc.strerror or exc}") from None
        out = p.stdout.decode("utf-8", "replace")
        # --porcelain: "<flag>\t<from>:<to>\t<summary>" per ref; "!" = rejected.
        flags = [line.split("\t", 1)[0] for line in out.splitlines() if "\t" in line]
        if p.returncode == 0 and flags and all(f in ("*", "+", "-", " ", "=") for f in flags):
            return
        if "!" in flags:
            raise _LostRace()
        msg = p.stderr.decode("utf-8", "replace").strip() or out.strip() or f"exit status {p.returncode}"
        raise gitutil.GitError(
            f"cannot publish the claim to remote {self.remote!r}: {msg}",
            hint="check `git remote -v` and that you can push there",
            details={"command": ["git", "push", *args]},
        )

    def _publish(self, lease: Lease, expected: str | None) -> str:
        """Point the remote's claim ref at a blob holding ``lease`` if the ref is still
        ``expected`` (None: absent). Returns the blob id; ``_LostRace`` if another
        clone moved the ref first."""
        blob = self._git("hash-object", "-w", "--stdin", input=lease.encode()).strip()
        ref = REF_PREFIX + ref_component(lease.spec)
        self._push(f"--force-with-lease={ref}:{expected or ''}", self.remote or "", f"{blob}:{ref}")
        return blob

    def _unpublish(self, spec: str, expected: str) -> None:
        ref = REF_PREFIX + ref_component(spec)
        try:
            self._push(f"--force-with-lease={ref}:{expected}", self.remote or "", f":{ref}")
        except _LostRace:
            raise Conflict(
                f"the claim on {spec} changed on remote {self.remote!r} (someone forced it); "
                "the spec's status was changed, the remote claim was left as it is",
                hint="list the claims to see who holds it now",
                details={"spec": spec},
            ) from None


def _batch_objects(out: str) -> Iterator[tuple[str, str]]:
    """(oid, content) from ``git cat-file --batch`` output (small text blobs)."""
    data = out.encode("utf-8")
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        header = data[i:nl].decode().split()
        i = nl + 1
        if len(header) < 3 or header[1] == "missing":
            continue
        size = int(header[2])
        yield header[0], data[i : i + size].decode("utf-8", "replace")
        i += size + 1


# ================================================================ front-end API
# What the CLI, the MCP server and the web API call (with the Project they hold).
def _engine(project: Project, remote: str | None = None) -> Any:
    return Claims(project.store, remote=remote)


def claim(project: Project, ref: str | None = None,
    *,
    holder: str,
    lease: str | float | None = None,
    force: bool = False,
    renew: bool = False,
    remote: str | None = None,
) -> Any:
    """Claim ``ref`` (or, without it, the next ready spec) for ``holder`` in one
    locked transaction: status in-progress, assignee, lease (docs/claims.md).
    Returns a ``ClaimResult`` (``to_dict()``: ``{ok, spec, lease, renewed, changed,
    warnings}``). Errors: ``conflict`` (held by another), ``blocked`` (not ready),
    ``nothing_ready``."""
    return _engine(project, remote).claim(ref, holder, lease=lease, force=force, renew=renew)


def release(project: Project, ref: str,
    *,
    holder: str,
    status: str | None = None,
    force: bool = False,
    remote: str | None = None,
) -> Any:
    """End ``holder``'s claim on ``ref``; ``status`` planned (back to the queue,
    assignee cleared) or complete. Returns a ``ReleaseResult``."""
    return _engine(project, remote).release(ref, holder, status=status, force=force)


def next_ready(project: Project, *, remote: str | None = None) -> tuple[Spec | None, Any]:
    """(the spec ``claim`` would take now or None, the ``Readiness`` it saw). No claim."""
    return _engine(project, remote).peek()  # type: ignore[no-any-return]


def list_claims(project: Project, *, include_expired: bool = False, remote: str | None = None) -> list[Any]:
    """The live leases (``Lease``; with ``include_expired`` the expired ones too)."""
    return _engine(project, remote).list(include_expired=include_expired)  # type: ignore[no-any-return]


def claims_now_of(project: Project) -> Any:
    """The time leases are compared with (the store's clock, shifted by
    ``LEANSPEC_CLAIMS_CLOCK_OFFSET`` seconds when set)."""
    return claims_now(project.store.clock)


def leases(project: Project) -> dict[str, Any]:
    """Live leases this clone knows of, by spec name (lease files only: no git, no
    network; in remote mode the mirror of the last fetch). For list/view/board."""
    now = claims_now(project.store.clock)
    return {x.spec: x for x in LeaseStore.for_root(project.root).all() if x.live(now)}


def readiness(project: Project, specs: Sequence[Spec] | None = None) -> Any:
    """Dependencies, readiness and the leases this clone knows of (no git, no
    network): what ``list --ready/--blocked``, view and board show."""
    return Claims(project.store, use_config=False).readiness(specs)


def start_warnings(project: Project, spec: Spec) -> list[str]:
    """Warnings for a spec just set in-progress: its open dependencies."""
    if spec.status != "in-progress" or not spec.depends_on:
        return []
    return readiness(project).warnings_for_start(spec)  # type: ignore[no-any-return]
