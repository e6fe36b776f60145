"""Containment: every file read or written resolves inside its allowed folder.

The one rule (docs/security.md): a spec file resolves inside its spec folder, whose
real path is inside the specs folder; a project file (config, templates, the lock,
``.gitignore``, the cache) resolves inside ``.lean-spec/``, whose real path is inside
the project. A symlink that stays inside is followed; one that leads out is refused,
for reads and writes alike, in every front end (they all read and write through the
store, which calls these functions).

Reads open with ``O_NOFOLLOW`` (the last component cannot be swapped for a symlink
between the check and the open) and check the real path of the open descriptor
(``/proc/self/fd``, else ``realpath``). A refusal is an ``Escape``, an ``OSError``
(errno ELOOP) so that every caller's existing "cannot read/write X: reason" handling
words it; the store turns it into ``malformed_spec`` (a load problem, never content).
"""

from __future__ import annotations

import errno
import os
import stat

_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_PROC_FD = os.path.isdir("/proc/self/fd")


class Escape(OSError):
    """A path that resolves outside the folder it must stay in."""

    def __init__(self, path: str, reason: str = "is a symlink that leads outside the project") -> None:
        super().__init__(errno.ELOOP, reason, path)


def inside(real: str, base: str) -> bool:
    """``real`` is ``base`` or below it (both real, absolute paths)."""
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def real_dir(path: str, base: str) -> str:
    """The real path of folder ``path``, which must be inside ``base`` (a real path)."""
    real = os.path.realpath(path)
    if not inside(real, base):
        raise Escape(path, "leads outside the project (symlinked folder)")
    return real


def _fd_path(fd: int, fallback: str) -> str:
    if _PROC_FD:
        try:
            return os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    return os.path.realpath(fallback)


def open_read(path: str, folder: str, base: str | None = None) -> int:
    """An fd open for reading on regular file ``path``, which must resolve inside
    ``folder``; ``base``: the real folder ``folder`` itself must resolve inside (None:
    ``folder`` is already real). A symlink inside is followed; FIFOs and devices are
    refused without blocking."""
    try:
        fd = os.open(path, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK)
    except OSError as exc:
        if exc.errno != errno.ELOOP or not os.path.islink(path):
            raise
        # A symlink: follow it only if its target is inside the folder.
        target = os.path.realpath(path)
        fd = os.open(target, os.O_RDONLY | _O_NOFOLLOW | _O_CLOEXEC | _O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", path)
            raise Escape(path, "is not a regular file")
        real = _fd_path(fd, path)
        parent = os.path.dirname(real)
        if parent != folder:  # the usual case: the file sits in its (real) folder
            allowed = real_dir(folder, base) if base is not None else folder
            if not inside(real, allowed):
                raise Escape(path)
        if _O_NONBLOCK:
            os.set_blocking(fd, True)
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_file(path: str, folder: str, base: str | None = None, limit: int | None = None) -> tuple[bytes, os.stat_result]:
    """(bytes, stat) of ``path`` under ``open_read``'s rule; at most ``limit`` bytes
    (+1, so that callers can tell a file too large)."""
    fd = open_read(path, folder, base)
    try:
        st = os.fstat(fd)
        chunks = []
        left = (limit + 1) if limit is not None else -1
        if st.st_size > 0 and (left < 0 or st.st_size < left):
            # A regular file's size is known: take it in one read (then read on to EOF,
            # as below, in case it grew). One chunk is joined without a copy.
            b = os.read(fd, st.st_size)
            chunks.append(b)
            if left >= 0:
                left -= len(b)
        while True:
            b = os.read(fd, 1 << 20 if left < 0 else min(left, 1 << 20))
            if not b:
                break
            chunks.append(b)
            if left >= 0:
                left -= len(b)
                if left <= 0:
                    break
        return b"".join(chunks), st
    finally:
        os.close(fd)


def check_write_target(path: str, folder: str, base: str | None = None) -> str:
    """The path a write of ``path`` must replace: ``path`` itself, or the real path of
    a symlink whose target is inside ``folder`` (the link stays a link). ``folder``
    must resolve inside ``base`` (None: ``folder`` is real). ``Escape`` otherwise."""
    allowed = real_dir(folder, base) if base is not None else folder
    if not inside(os.path.realpath(os.path.dirname(path)), allowed):
        raise Escape(path)
    if os.path.islink(path):
        target = os.path.realpath(path)
        if not inside(target, allowed):
            raise Escape(path)
        return target
    return path
