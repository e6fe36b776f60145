"""Project files: config, templates, AGENTS.md, ``.gitattributes``, the agent-tool
links. Written, linked, read and removed under the containment rule (core/confine.py,
docs/security.md), each write in the store's transaction."""

from __future__ import annotations

import os
from pathlib import Path

from ..core import confine
from ..core.config import CONFIG_DIR
from ..core.errors import ConfigError, InvalidInput, WriteFailed
from . import fsutil

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2.5 ms per process
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Protocol

    class ProjectStore(Protocol):
        """What project files need of the store (``store.Store`` is one)."""

        root: Path

        def transaction(self) -> AbstractContextManager[None]: ...
        def rel(self, p: Path) -> str: ...


# ------------------------------------------------------------ project files
# Config, templates, AGENTS.md, .gitattributes, the agent-tool links: the
# containment rule (core/confine.py, docs/security.md). A file under
# ``.lean-spec/`` resolves inside ``.lean-spec/`` (a real folder of the project);
# any other project file resolves inside the project. A symlink that stays inside
# is followed; one that leads out (``.lean-spec/templates`` -> /elsewhere, an
# ``AGENTS.md`` -> ~/.bashrc) is never read, written through, or removed through.
def _project_target(store: ProjectStore, rel: str) -> tuple[Path, str]:
    """(the lexical path of ``rel``, the real folder it must stay in)."""
    parts = rel.replace("\\", "/").split("/")
    if not rel or os.path.isabs(rel) or any(x in ("", ".", "..") for x in parts):
        raise InvalidInput(f"path escapes the project: {rel}")
    root = str(store.root)
    if parts[0] == CONFIG_DIR and len(parts) > 1:
        folder = os.path.join(root, CONFIG_DIR)
        if os.path.realpath(folder) != folder:
            raise WriteFailed(
                f"{CONFIG_DIR} is a symlink; {rel} is neither read nor written",
                hint=f"replace {folder} by a folder inside the project",
                details={"path": CONFIG_DIR},
            )
        return store.root.joinpath(*parts), folder
    return store.root.joinpath(*parts), root

def _project_parent(store: ProjectStore, p: Path, folder: str, *, create: bool) -> None:
    """Check (and with ``create``, make) ``p``'s parent folders one by one: each
    existing one must resolve inside ``folder``, so that ``mkdir`` never creates a
    folder through a symlink that leads out."""
    d = Path(folder)
    for part in p.parent.relative_to(folder).parts:
        d = d / part
        if os.path.lexists(d):
            if not confine.inside(os.path.realpath(d), folder):
                raise _escaped(store.rel(d), "nothing was changed")
        elif create:
            d.mkdir()
        else:
            return

def write_project_file(store: ProjectStore, rel: str, data: bytes, *, overwrite: bool = True) -> bool:
    """Atomically write a file under the project root (config, templates, AGENTS.md).
    Returns False if it exists and ``overwrite`` is False."""
    p, folder = _project_target(store, rel)
    with store.transaction():
        _project_parent(store, p, folder, create=False)
        if os.path.lexists(p) and not overwrite:
            return False
        _project_parent(store, p, folder, create=True)
        try:
            confine.check_write_target(str(p), folder)
        except confine.Escape:
            raise _escaped(rel, "nothing was written") from None
        fsutil.atomic_write(p, data, folder=folder)
        return True

def symlink_project_file(store: ProjectStore, rel: str, target: str) -> bool:
    """Create ``rel`` as a symlink to ``target`` (relative, resolving inside the
    project), unless ``rel`` exists (a dangling link counts)."""
    p, folder = _project_target(store, rel)
    if os.path.isabs(target) or not confine.inside(
        os.path.normpath(os.path.join(str(p.parent), target)), str(store.root)
    ):
        raise InvalidInput(f"link target escapes the project: {target}")
    with store.transaction():
        _project_parent(store, p, folder, create=False)
        if os.path.lexists(p):
            return False
        _project_parent(store, p, folder, create=True)
        tmp = p.parent / fsutil.tmp_name(p.name)
        os.symlink(target, tmp)
        os.replace(tmp, p)
        fsutil.fsync_dir(p.parent)
        return True

def read_project_file(store: ProjectStore, rel: str) -> str | None:
    """The text of a project file (None if missing), under the containment rule; a
    symlink out (of the file or of a folder on the way) is ``InvalidInput``."""
    p, folder = _project_target(store, rel)
    try:
        data = confine.read_file(str(p), folder, None, MAX_PROJECT_FILE_BYTES)[0]
    except FileNotFoundError:
        return None
    except confine.Escape:
        raise ConfigError(
            f"{rel} leads outside the project; it is not read",
            hint="replace the symlink by a plain file inside the project",
            details={"path": rel},
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {rel}: {exc.strerror or exc}", details={"path": rel}) from None
    if len(data) > MAX_PROJECT_FILE_BYTES:
        raise ConfigError(f"{rel} is too large (over {MAX_PROJECT_FILE_BYTES} bytes)", details={"path": rel})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{rel} is not UTF-8 text", details={"path": rel}) from None

def remove_project_file(store: ProjectStore, rel: str) -> bool:
    """Remove a project file or folder. A symlink is removed itself (its target is
    never touched); a folder on the way that leads out is refused."""
    p, folder = _project_target(store, rel)
    with store.transaction():
        _project_parent(store, p, folder, create=False)
        if os.path.islink(p):
            p.unlink()
        elif p.is_dir():
            fsutil.rmtree(p)  # shutil.rmtree removes links inside, never follows them
        elif os.path.lexists(p):
            p.unlink()
        else:
            return False
        fsutil.fsync_dir(p.parent)
        return True


#: Project files (AGENTS.md, templates) are read whole; like config and templates, at most this.
MAX_PROJECT_FILE_BYTES = 1024 * 1024


def _escaped(rel: str, outcome: str) -> WriteFailed:
    """The refusal of a project file (or a folder on its way) that leads outside."""
    return WriteFailed(
        f"{rel} is a symlink that leads outside the project; {outcome}",
        hint="replace the symlink by a plain file or folder inside the project",
        details={"path": rel},
    )
