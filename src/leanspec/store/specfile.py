"""Reading one spec folder: its README parsed into a ``Spec``, its sub-spec files, and
a file in it by path, with the store's read rules (size limit, strict UTF-8). Every
read of a spec file from disk goes through here (the store, the metadata cache and
the warm listing call it), so a rule added here holds on every read path.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core import confine
from ..core.digest import sha256_hex
from ..core.errors import FileNotFoundInSpec, InvalidInput, MalformedSpec
from ..core.model import Spec
from ..core.refs import Entry
from . import fsutil

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

MAX_SPEC_BYTES = 64 * 1024 * 1024


def content_hash(data: bytes) -> str:
    return sha256_hex(data)  # hashlib, or the built-in module on one-spec commands


def rel_path(root: Path, p: Path) -> str:
    """``p`` relative to the project root, with forward slashes (what errors name)."""
    return p.relative_to(root).as_posix()


def sub_files(d: Path, default_file: str) -> list[str]:
    """The other files of a spec folder (hidden and temp files skipped), markdown first."""
    try:
        names = [
            de.name
            for de in os.scandir(d)
            if de.is_file()
            and not de.name.startswith(".")
            and not fsutil.is_tmp(de.name)
            and de.name != default_file
            # a symlink that leads out of the folder is no sub-spec (docs/security.md)
            and (not de.is_symlink() or confine.inside(os.path.realpath(de.path), os.path.realpath(d)))
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
    from ..core.frontmatter import Document  # parsing only: a warm listing reads the cache

    doc = Document.parse(text, path=rel, has_nul=b"\x00" in data)
    if doc.has_frontmatter:
        check_loaded(doc.data, rel)
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


def check_loaded(data: dict[str, Any], rel: str) -> None:
    """Frontmatter read from a file holds no NUL and no lone surrogate (a YAML escape
    can make both): such a spec is a load problem, not a value that breaks every
    later JSON answer or write."""
    from ..core.untrusted import check_value

    try:
        check_value(data, "frontmatter value")
    except InvalidInput as exc:
        raise MalformedSpec(f"{rel}: {exc.message}", details={"path": rel}) from None


def load_spec(root: Path, default_file: str, e: Entry, base: str) -> Spec:
    """Read and parse one spec folder's README; every failure is ``MalformedSpec``.
    ``base``: the real path of the specs folder, which the spec folder must stay in."""
    path = e.dir / default_file
    try:
        data, st = confine.read_file(str(path), str(e.dir), base, MAX_SPEC_BYTES)
    except FileNotFoundError:
        raise MalformedSpec(f"{rel_path(root, e.dir)}: no {default_file} in the spec folder") from None
    except IsADirectoryError:
        raise MalformedSpec(f"{rel_path(root, path)}: is a folder, not a file") from None
    except OSError as exc:
        raise MalformedSpec(f"{rel_path(root, path)}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise MalformedSpec(f"{rel_path(root, path)}: file too large")
    return parse_spec(e, rel_path(root, path), data, st.st_size, st.st_mtime, sub_files(e.dir, default_file))


def read_spec_file(root: str, rel: str, spec: str, name: str) -> tuple[bytes, str]:
    """(bytes, text) of a file in a spec folder, by its root-relative path, with the
    store's read rules (size limit, strict UTF-8). The path comes from the store's own
    scan (``Spec.path``, ``Spec.sub_specs``), so no folder scan per file is needed."""
    p = os.path.join(root, rel)
    try:
        # Containment: inside the spec folder, whose real path is inside the project.
        data = confine.read_file(p, os.path.dirname(p), os.path.realpath(root), MAX_SPEC_BYTES)[0]
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise FileNotFoundInSpec(f"{spec} has no file {name}") from None
    except OSError as exc:
        raise MalformedSpec(f"{rel}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise MalformedSpec(f"{rel}: file too large")
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedSpec(f"{rel}: not UTF-8 text (binary file?)") from None
