"""Durable file primitives: the project lock and atomic writes.

Only the store calls these. The order of operations follows git's lockfile API and
python-atomicwrites: unique temp file beside the target, write, fsync, rename,
fsync the directory (docs/reliability.md lists the sources).
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from ..core import confine
from ..core.ctxmanager import contextmanager
from ..core.errors import Busy, WriteFailed

TMP_MARK = ".lstmp-"  # every temp name contains this; loaders skip such names


def tmp_name(target_name: str) -> str:
    # os.urandom(4).hex() is secrets.token_hex(4) without importing secrets (and
    # random, hmac, base64 with it) on every write.
    return f".{target_name}{TMP_MARK}{os.getpid()}-{os.urandom(4).hex()}"


def is_tmp(name: str) -> bool:
    return TMP_MARK in name


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _os_error(exc: OSError, path: Path) -> WriteFailed:
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENAMETOOLONG:
        reason = "file name too long"
    return WriteFailed(f"cannot write {path}: {reason}", details={"path": str(path)})


def atomic_write(path: Path, data: bytes, *, folder: str, base: str | None = None) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never
    a mix, and the new content is on disk before this returns.

    ``path`` must resolve inside ``folder`` (whose real path is inside ``base``; None:
    ``folder`` is real): ``confine.check_write_target``, the containment rule. A
    symlinked target inside is replaced at its real path (the link stays a link); one
    leading out is refused. The file's permission bits are kept.
    """
    try:
        target = Path(confine.check_write_target(str(path), folder, base))
    except OSError as exc:  # ENAMETOOLONG, a symlink out of the project, ...
        raise _os_error(exc, path) from None
    directory = target.parent
    mode: int | None = None
    try:
        st = target.stat()
        mode = stat.S_IMODE(st.st_mode)
        # No write bit at all means "do not edit" even for root (os.access is always
        # true for root, and the rename below would bypass the mode anyway).
        if not mode & 0o222 or not os.access(target, os.W_OK):
            raise WriteFailed(
                f"cannot write {path}: the file is read-only",
                hint="change its permissions if the edit is intended",
                details={"path": str(path)},
            )
    except FileNotFoundError:
        pass
    except OSError as exc:  # ENAMETOOLONG, EACCES on the folder, ...
        raise _os_error(exc, path) from None
    tmp = directory / tmp_name(target.name)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644 if mode is None else mode)
    except OSError as exc:
        raise _os_error(exc, path) from None
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # umask may have narrowed the create mode
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except OSError as exc:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise _os_error(exc, path) from None
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    fsync_dir(directory)


def write_new_file(path: Path, data: bytes) -> None:
    """Write a file inside a private (not yet visible) folder and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename a folder into place, refusing to replace anything already there.

    ``os.rename`` would silently replace an empty folder; we hold the project lock, so
    the existence check cannot race with our own writers.
    """
    if dst.exists() or dst.is_symlink():
        raise FileExistsError(errno.EEXIST, "exists", str(dst))
    os.rename(src, dst)


# ---------------------------------------------------------------------- locking
if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            pass

else:
    # fcntl is imported by the first lock, not by every (read-only) command.

    def _try_lock(fd: int) -> bool:
        import fcntl

        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def file_lock(lock_path: Path, timeout: float) -> Iterator[None]:
    """An exclusive advisory lock (flock). The kernel releases it when the holder dies,
    so a ``kill -9`` never leaves a stale lock; the lock file itself stays (harmless)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        # O_NOFOLLOW: a lock file that is a symlink (from a cloned repository) must not
        # create or touch a file elsewhere. The lock file is local state: such a link
        # is replaced by a plain file (its target is never touched).
        try:
            fd = os.open(lock_path, flags, 0o644)
        except OSError as exc:
            if exc.errno != errno.ELOOP or not os.path.islink(lock_path):
                raise
            try:
                os.unlink(lock_path)
            except FileNotFoundError:
                pass
            fd = os.open(lock_path, flags, 0o644)
    except OSError as exc:
        raise WriteFailed(f"cannot open lock file {lock_path}: {exc.strerror}", details={"path": str(lock_path)}) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WriteFailed(f"cannot open lock file {lock_path}: not a regular file", details={"path": str(lock_path)})
    try:
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise Busy(
                    f"another process is writing specs (waited {timeout:g}s for {lock_path})",
                    hint="try again in a moment; raise LEANSPEC_LOCK_TIMEOUT to wait longer",
                    details={"lock": str(lock_path), "timeout": timeout},
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.02)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def rmtree(path: str | os.PathLike[str]) -> None:
    # shutil (and the compression modules it imports) only on the rare paths that
    # remove a folder: one-spec commands never pay for the import.
    import shutil

    shutil.rmtree(path)


# ------------------------------------------------- the file system's own clock
# The metadata cache (cache.py) and the persisted spec-folder listing (scan.py) both
# decide when a stat stamp may be trusted: a file or folder whose ctime is below the
# ctime of a probe file touched BEFORE it was read (or listed), minus CLOCK_GUARD_NS,
# was last changed in an earlier timestamp tick than the read, so any later change
# gives it another ctime (git compares with its index file's mtime the same way). Both
# ctimes come from the file system's own clock at its own granularity; the guard
# covers a coarse clock that is not strictly monotonic between inodes. Where no probe
# can be written (read-only project, another device), the wall clock decides: a stamp
# is trusted once it is WALL_RACY_NS old.
CACHE_DIR = ".lean-spec/cache"
PROBE_FILE = "probe"
CLOCK_GUARD_NS = 20_000_000
# Two seconds covers the coarsest common timestamp granularity (FAT: 2 s) and the
# kernel's coarse clock; NFS attribute caching is the user's problem as for git.
WALL_RACY_NS = 2_000_000_000


def cache_enabled() -> bool:
    """False when ``LEANSPEC_NO_CACHE`` is set: no cache file, no probe, no persisted listing."""
    return os.environ.get("LEANSPEC_NO_CACHE", "").strip() not in ("1", "true", "yes", "on")


def make_cache_dir(d: str) -> bool:
    """Create the cache folder (if needed) with the ``.gitignore`` that hides it from
    git. False when ``.lean-spec/`` or ``cache/`` is a symlink: never write through it."""
    os.makedirs(d, exist_ok=True)
    if os.path.realpath(d) != os.path.abspath(d):
        return False
    gi = os.path.join(d, ".gitignore")
    if not os.path.lexists(gi):
        fd = os.open(gi, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
        with open(fd, "w") as f:  # not-a-spec-file: the cache folder's own .gitignore
            f.write("# lean-spec metadata cache: local, rebuilt on demand\n*\n")
    return True


def read_only(cache_dir: str) -> bool:
    """A folder whose mode has no write bit at all is read-only by intent, even for
    root (who bypasses permission checks): never create the cache inside it."""
    d = cache_dir
    for _ in range(3):  # the cache folder, .lean-spec/, the project root
        try:
            return not (os.stat(d).st_mode & 0o222)
        except FileNotFoundError:
            d = os.path.dirname(d)
        except OSError:
            return True
    return True


def probe_fs_time(cache_dir: str) -> tuple[int, int] | None:
    """(st_dev, ctime_ns) of ``cache_dir/probe`` touched now: "now" on the file
    system's own clock, at its own timestamp granularity (the folder is created as
    the cache's save would). None when it cannot be written (the wall clock is used then)."""
    if read_only(cache_dir):
        return None
    try:
        if not make_cache_dir(cache_dir):
            return None
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(os.path.join(cache_dir, PROBE_FILE), flags, 0o644)  # not-a-spec-file: the cache's clock probe
    except (OSError, AttributeError):  # no O_NOFOLLOW (Windows): the wall clock
        return None
    try:
        os.utime(fd)  # sets mtime, and so ctime, to the kernel's current file time
        st = os.fstat(fd)
    except (OSError, NotImplementedError):
        return None
    finally:
        os.close(fd)
    return st.st_dev, st.st_ctime_ns


def stamp_settled(st: os.stat_result, probe: tuple[int, int] | None, now_ns: int) -> bool:
    """May ``st`` (a folder or file stat taken AFTER ``probe`` was touched) be kept as a
    stamp that any later change would alter? Yes when its ctime is below the probe's
    ctime minus ``CLOCK_GUARD_NS`` on the same device; without a usable probe, when its
    mtime and ctime are ``WALL_RACY_NS`` older than ``now_ns`` (the wall clock)."""
    if probe is not None and probe[0] == st.st_dev:
        return st.st_ctime_ns < probe[1] - CLOCK_GUARD_NS
    return now_ns - max(st.st_mtime_ns, st.st_ctime_ns) >= WALL_RACY_NS


def write_cache_file(path: str, *parts: bytes) -> bool:
    """Replace a cache file atomically (unique temp file + rename) and make sure the cache
    folder ignores itself in git. No fsync: a cache lost to a power cut is only a slower
    next run, never a wrong one (every entry is validated against the files). Any OS
    error (read-only project, full disk) gives False and leaves no temp file."""
    d = os.path.dirname(path)
    tmp = os.path.join(d, f".{os.path.basename(path)}.{os.getpid()}-{os.urandom(4).hex()}.tmp")
    try:
        if not make_cache_dir(d):
            return False
        with open(tmp, "wb") as f:  # not-a-spec-file: cache temp file
            for part in parts:
                f.write(part)
        os.replace(tmp, path)  # not-a-spec-file: atomic cache update
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False
    return True


# A cache file in a cloned repository was written by whoever pushed it. Every cache
# file's header carries this user's key (a random token kept outside any project, in
# the user's cache folder), so a file planted in a repository is "foreign" before a
# byte of it is unpickled or decoded: it costs a read of its magic, not its parsing.
_cache_keys: dict[str, bytes] = {}  # key file path -> key (HOME can change in a process: tests)


def cache_key() -> bytes:
    """``b"KEY <32 hex>\\n"``, this user's cache key (created on first use, mode 0600,
    in ``$XDG_CACHE_HOME/leanspec/`` or ``~/.cache/leanspec/``); ``b""`` where none can
    be kept (no home, read-only home): caches then work as without a key."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    d = os.path.join(base, "leanspec")
    path = os.path.join(d, "cache-key")
    got = _cache_keys.get(path)
    if got is not None:
        return got
    key = b""
    try:
        if os.path.isabs(base):
            try:
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except FileNotFoundError:
                os.makedirs(d, mode=0o700, exist_ok=True)
                # Written whole under a temp name, then linked into place: a process
                # starting at the same moment never reads a created-but-empty key
                # (it would run keyless and write cache files the others call foreign).
                tmp = os.path.join(d, f".cache-key.{os.getpid()}-{os.urandom(4).hex()}.tmp")
                tfd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
                try:
                    with open(tfd, "wb") as f:  # not-a-spec-file: the user's cache key
                        f.write(os.urandom(16).hex().encode())
                    try:
                        os.link(tmp, path)
                    except FileExistsError:
                        pass  # another process made it first: read theirs
                finally:
                    os.unlink(tmp)
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with open(fd, "rb") as f:
                token = f.read(64).strip()
            if len(token) == 32 and all(c in b"0123456789abcdef" for c in token):
                key = b"KEY " + token + b"\n"
    except (OSError, ValueError):
        key = b""
    _cache_keys[path] = key
    return key
