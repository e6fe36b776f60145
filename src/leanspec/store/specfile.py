"""Reading one spec folder: its README parsed into a ``Spec``, its sub-spec files, and
a file in it by path, with the store's read rules (size limit, strict UTF-8). Every
read of a spec file from disk goes through here (the store, the metadata cache and
the warm listing call it), so a rule added here holds on every read path.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..core.errors import FileNotFoundInSpec, MalformedSpec
from ..core.frontmatter import Document
from ..core.model import Spec
from ..core.refs import Entry
from . import fsutil

MAX_SPEC_BYTES = 64 * 1024 * 1024


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rel_path(root: Path, p: Path) -> str:
    """``p`` relative to the project root, with forward slashes (what errors name)."""
    return p.relative_to(root).as_posix()


def sub_files(d: Path, default_file: str) -> list[str]:
    """The other files of a spec folder (hidden and temp files skipped), markdown first."""
    try:
        names = [
            de.name
            for de in os.scandir(d)
            if de.is_file() and not de.name.startswith(".") and not fsutil.is_tmp(de.name) and de.name != default_file
        ]
    except OSError:
        return []
    return sorted(names, key=lambda n: (not n.lower().endswith(".md"), n))


def parse_spec(e: Entry, rel: str, data: bytes, size: int, mtime: float, sub_specs: list[str]) -> Spec:
    """The ``Spec`` of README bytes ``data`` (``rel``: its root-relative path)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedSpec(f"{rel}: not UTF-8 text (binary file?)", details={"path": rel}) from None
    doc = Document.parse(text, path=rel, has_nul=b"\x00" in data)
    return Spec(
        name=e.name,
        number=e.number,
        path=rel,
        frontmatter=doc.data,
        body=doc.body,
        content_hash=content_hash(data),
        archived_dir=e.archived,
        group=e.group,
        sub_specs=sub_specs,
        size=size,
        mtime=mtime,
    )


def load_spec(root: Path, default_file: str, e: Entry) -> Spec:
    """Read and parse one spec folder's README; every failure is ``MalformedSpec``."""
    path = e.dir / default_file
    try:
        data = path.read_bytes()
        st = path.stat()
    except FileNotFoundError:
        raise MalformedSpec(f"{rel_path(root, e.dir)}: no {default_file} in the spec folder") from None
    except IsADirectoryError:
        raise MalformedSpec(f"{rel_path(root, path)}: is a folder, not a file") from None
    except OSError as exc:
        raise MalformedSpec(f"{rel_path(root, path)}: cannot read: {exc.strerror}") from None
    return parse_spec(e, rel_path(root, path), data, st.st_size, st.st_mtime, sub_files(e.dir, default_file))


def read_spec_file(root: str, rel: str, spec: str, name: str) -> tuple[bytes, str]:
    """(bytes, text) of a file in a spec folder, by its root-relative path, with the
    store's read rules (size limit, strict UTF-8). The path comes from the store's own
    scan (``Spec.path``, ``Spec.sub_specs``), so no folder scan per file is needed."""
    p = os.path.join(root, rel)
    try:
        if not stat.S_ISREG(os.stat(p).st_mode):  # a folder, a FIFO (would block), ...
            raise FileNotFoundInSpec(f"{spec} has no file {name}")
        with open(p, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundInSpec(f"{spec} has no file {name}") from None
    except OSError as exc:
        raise MalformedSpec(f"{rel}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise MalformedSpec(f"{rel}: file too large")
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedSpec(f"{rel}: not UTF-8 text (binary file?)") from None
