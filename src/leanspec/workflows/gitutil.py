"""Small helpers around the ``git`` binary (no pygit2/dulwich: the binary is on every
machine, and one ``git log`` pass beats both libraries; see docs/commands/backfill.md).

Every failure becomes a ``GitError`` with the command and git's own message, so the
CLI can say what went wrong instead of printing a traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import LeanSpecError
from ..core.refs import SPEC_DIR


class GitError(LeanSpecError):
    """git is missing, the folder is not a repository, or a git command failed."""

    code = "git_error"


class NotARepo(GitError):
    """The folder is not inside a git work tree."""


# Plumbing output must not depend on the user's locale, pager or quoting settings.
_BASE = ("-c", "core.quotepath=off", "-c", "color.ui=false", "-c", "log.showSignature=false")


def git_binary() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise GitError("git is not installed (or not on PATH)", hint="install git to use this command")
    return exe


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["LC_ALL"] = "C"
    env["GIT_PAGER"] = "cat"
    return env


def run(root: Path, *args: str, check: bool = True, input: bytes | None = None) -> str:
    """Run ``git <args>`` in ``root`` and return stdout as text (UTF-8, lenient)."""
    cmd = [git_binary(), *_BASE, *args]
    try:
        p = subprocess.run(cmd, cwd=root, input=input, capture_output=True, env=_env())
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    if check and p.returncode != 0:
        msg = p.stderr.decode("utf-8", "replace").strip() or f"exit status {p.returncode}"
        if "not a git repository" in msg.lower():
            raise NotARepo(f"{root} is not inside a git repository", hint="run `git init` first")
        raise GitError(f"git {' '.join(args[:2])} failed: {msg}", details={"command": ["git", *args]})
    return p.stdout.decode("utf-8", "replace")


def is_repo(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    try:
        return run(root, "rev-parse", "--is-inside-work-tree").strip() == "true"
    except GitError:
        return False


def require_repo(root: Path) -> Path:
    """The top level of the repository holding ``root``; a clear error otherwise."""
    git_binary()
    top = run(root, "rev-parse", "--show-toplevel").strip()
    return Path(top)


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD or an unborn repository."""
    out = run(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    return out or None


def local_branches(root: Path) -> list[str]:
    out = run(root, "for-each-ref", "--format=%(refname:short)", "refs/heads")
    return [b for b in out.splitlines() if b.strip()]


def repo_relative(root: Path, path: Path) -> str:
    """``path`` relative to the repository top level, with forward slashes."""
    top = require_repo(root).resolve()
    rel = path.resolve().relative_to(top).as_posix()
    return "" if rel == "." else rel


def spec_folders_on(root: Path, branch: str, specs_rel: str) -> list[tuple[str, str]]:
    """(folder name, path) of every spec folder under ``specs_rel`` on ``branch``,
    found with ``git ls-tree`` (nothing is checked out). Same layout rules as the
    store: spec folders at the top, under ``archived/`` or under group folders."""
    prefix = specs_rel.rstrip("/") + "/" if specs_rel else ""
    out = run(root, "ls-tree", "-r", "-d", "--name-only", "-z", branch, "--", prefix or ".", check=False)
    dirs = [d for d in out.split("\x00") if d]
    found: list[tuple[str, str]] = []
    spec_paths: list[str] = []
    for d in sorted(dirs):
        if prefix and not d.startswith(prefix):
            continue
        rel = d[len(prefix) :]
        parts = rel.split("/")
        # Inside a spec folder nothing else counts (assets/, 01-images/, ...).
        if any(d.startswith(sp + "/") for sp in spec_paths):
            continue
        name = parts[-1]
        if SPEC_DIR.match(name) and len(parts) <= 4:
            spec_paths.append(d)
            found.append((name, d))
    return found


# ===================================================================== history
@dataclass
class FileChange:
    """One README's diff inside one commit."""

    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def added(self) -> list[str]:
        return [ln for h in self.hunks for ln in h.added]

    @property
    def removed(self) -> list[str]:
        return [ln for h in self.hunks for ln in h.removed]


@dataclass
class Hunk:
    """One zero-context hunk: where it starts in the new file, what left, what came."""

    new_start: int
    removed: list[str] = field(default_factory=list)  # '-' lines, without the '-'
    added: list[str] = field(default_factory=list)  # '+' lines, without the '+'


@dataclass
class Commit:
    sha: str
    author_date: str  # ISO 8601 with offset (%aI)
    author_name: str
    author_email: str
    changes: list[FileChange] = field(default_factory=list)


_MARK = "\x1e\x1eCOMMIT\x1f"


def history(root: Path, pathspec: str, *, extra: Sequence[str] = ()) -> Iterator[Commit]:
    """Every commit touching ``pathspec``, oldest first, with its zero-context patch.

    ONE ``git log`` process for the whole project (one process per file is ~100x
    slower on a real history). Renames are detected (``--find-renames``) so a spec
    moved into ``archived/`` or renumbered keeps its history.
    """
    args = [
        "log",
        "--reverse",
        "--date-order",
        "--no-merges",
        "--find-renames",
        "--no-ext-diff",
        "--no-textconv",
        "-p",
        "--unified=0",
        f"--format={_MARK}%H%x1f%aI%x1f%an%x1f%ae",
        *extra,
        "--",
        pathspec,
    ]
    try:
        out = run(root, *args)
    except NotARepo:
        raise
    except GitError as exc:
        if "does not have any commits" in exc.message:
            return  # a fresh repository: no history yet
        raise
    yield from parse_log(out)


def parse_log(out: str) -> Iterator[Commit]:
    commit: Commit | None = None
    change: FileChange | None = None
    in_hunk = False
    for line in out.split("\n"):
        if line.startswith(_MARK):
            if commit is not None:
                yield commit
            sha, date, name, email = (line[len(_MARK) :].split("\x1f") + ["", "", "", ""])[:4]
            commit = Commit(sha, date, name, email)
            change = None
            in_hunk = False
            continue
        if commit is None:
            continue
        if line.startswith("diff --git "):
            change = FileChange(None, None)
            commit.changes.append(change)
            in_hunk = False
            continue
        if change is None:
            continue
        if not in_hunk:
            if line.startswith("rename from "):
                change.old_path = _unquote(line[len("rename from ") :])
            elif line.startswith("rename to "):
                change.new_path = _unquote(line[len("rename to ") :])
            elif line.startswith("--- "):
                p = line[4:]
                change.old_path = None if p == "/dev/null" else _strip_ab(p)
            elif line.startswith("+++ "):
                p = line[4:]
                change.new_path = None if p == "/dev/null" else _strip_ab(p)
            elif line.startswith("@@"):
                in_hunk = True
                change.hunks.append(Hunk(_hunk_start(line)))
            elif line.startswith("new file mode"):
                change.old_path = None
            continue
        if line.startswith("@@"):
            change.hunks.append(Hunk(_hunk_start(line)))
            continue
        if not change.hunks:
            continue
        if line.startswith("+"):
            change.hunks[-1].added.append(line[1:])
        elif line.startswith("-"):
            change.hunks[-1].removed.append(line[1:])
    if commit is not None:
        yield commit


def _hunk_start(header: str) -> int:
    """``@@ -3,2 +5,4 @@`` -> 5 (the hunk's first line in the new file)."""
    try:
        plus = header.split("+", 1)[1].split(" ", 1)[0]
        return int(plus.split(",", 1)[0])
    except (IndexError, ValueError):
        return 0


def _unquote(p: str) -> str:
    """git C-quotes paths with quotes, backslashes or control characters."""
    if len(p) >= 2 and p.startswith('"') and p.endswith('"'):
        raw = p[1:-1].encode("utf-8").decode("unicode_escape")
        return raw.encode("latin-1", "replace").decode("utf-8", "replace")
    return p


def _strip_ab(p: str) -> str:
    p = _unquote(p.rstrip("\t"))
    return p[2:] if p[:2] in ("a/", "b/") else p


def show_file(root: Path, rev: str, path: str) -> str | None:
    """The text of ``path`` at ``rev``, or None if it does not exist there."""
    cmd = [git_binary(), *_BASE, "show", f"{rev}:{path}"]
    p = subprocess.run(cmd, cwd=root, capture_output=True, env=_env())
    if p.returncode != 0:
        return None
    return p.stdout.decode("utf-8", "replace")


def set_config(root: Path, key: str, value: str) -> None:
    run(root, "config", "--local", key, value)


def get_config(root: Path, key: str) -> str | None:
    out = run(root, "config", "--local", "--get", key, check=False).strip()
    return out or None


# ============================================================ branch collisions
WORKTREE = "(working tree)"


def _merged_into_head(root: Path) -> set[str]:
    out = run(root, "for-each-ref", "--merged=HEAD", "--format=%(refname:short)", "refs/heads", check=False)
    return {b for b in out.splitlines() if b.strip()}


def branch_spec_names(root: Path, specs_dir: Path, local: Sequence[tuple[str, int]]) -> dict[str, dict[str, str]]:
    """{branch: {folder name: path}} for the working tree (labelled with the current
    branch) and every local branch not already merged into HEAD. A merged branch adds
    nothing new, and skipping it keeps a renumbered spec from being flagged forever
    against the branch it came from."""
    top = require_repo(root)
    specs_rel = repo_relative(top, specs_dir) if specs_dir.exists() else repo_relative(top, specs_dir.parent)
    current = current_branch(top)
    here = current or WORKTREE
    out: dict[str, dict[str, str]] = {here: {name: "" for name, _n in local}}
    merged = _merged_into_head(top)
    for b in local_branches(top):
        if b == current or b in merged:
            continue
        out[b] = dict(spec_folders_on(top, f"refs/heads/{b}", specs_rel))
    return out


def branch_conflicts(
    root: Path, specs_dir: Path, local: Sequence[tuple[str, int]]
) -> tuple[list[dict[str, Any]], set[int]]:
    """Numbers used with different folder names on different branches.

    Returns (conflicts as ``{number, entries[{branch, name}]}``, every number in use on
    any branch). A number whose names are the same on every branch is fine; two names
    on the SAME branch are a local duplicate, reported by ``check`` separately."""
    by_branch = branch_spec_names(root, specs_dir, local)
    numbers: set[int] = set()
    by_number: dict[int, dict[str, list[str]]] = {}
    for branch, names in by_branch.items():
        for name in names:
            m = SPEC_DIR.match(name)
            if not m:
                continue
            n = int(m.group(2))
            numbers.add(n)
            by_number.setdefault(n, {}).setdefault(name, []).append(branch)
    conflicts: list[dict[str, Any]] = []
    for n in sorted(by_number):
        where = by_number[n]
        if len(where) < 2:
            continue
        branch_sets = {frozenset(nm for nm in where if b in where[nm]) for bs in where.values() for b in bs}
        if len(branch_sets) < 2:
            continue  # every branch sees the same names: a plain local duplicate
        entries = [{"branch": b, "name": nm} for nm in sorted(where) for b in where[nm]]
        conflicts.append({"number": n, "entries": entries})
    return conflicts, numbers


def _age_key(text: str | None, name: str) -> tuple[str, str, str]:
    from ..core.frontmatter import Document
    from ..core.model import jsonable

    fm: dict[str, Any] = {}
    if text is not None:
        try:
            fm = Document.parse(text).data
        except LeanSpecError:
            fm = {}
    at = str(jsonable(fm.get("created_at")) or "")
    day = str(jsonable(fm.get("created")) or at[:10] or "9999")
    return (day, at or "~", name)


def branch_losers(
    root: Path,
    specs_dir: Path,
    conflicts: Sequence[dict[str, Any]],
    local_readmes: dict[str, str],
    default_file: str = "README.md",
) -> list[str]:
    """Working-tree specs that should move to a new number: for each clash, the OLDER
    spec keeps the number (by ``created``, then ``created_at``, then name). Every
    branch computes the same answer, so only the newer side renumbers itself."""
    top = require_repo(root)
    here = current_branch(top) or WORKTREE
    losers: list[str] = []
    paths = branch_spec_names(root, specs_dir, []) if conflicts else {}
    for c in conflicts:
        entries = c["entries"]
        assert isinstance(entries, list)
        ours = {e["name"] for e in entries if e["branch"] == here}
        theirs = [(e["branch"], e["name"]) for e in entries if e["branch"] != here and e["name"] not in ours]
        if not ours or not theirs:
            continue
        for name in sorted(ours):
            try:
                mine = _age_key(Path(local_readmes[name]).read_text(encoding="utf-8"), name)
            except (KeyError, OSError, UnicodeDecodeError):
                mine = _age_key(None, name)
            for branch, other in theirs:
                folder = paths.get(branch, {}).get(other)
                text = show_file(top, f"refs/heads/{branch}", f"{folder}/{default_file}") if folder else None
                if _age_key(text, other) < mine:
                    losers.append(name)
                    break
    return losers
