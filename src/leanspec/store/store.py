"""The store: the only code that reads or writes spec files.

Reads are lock-free (writers replace files atomically, so a reader sees the old or
the new file). Every write runs in ``Store.transaction()``: take the project lock,
re-read, change, validate, write atomically and durably, release. The read path goes
through ``load_entry`` so a metadata cache can slot in behind it without callers
noticing.
"""

from __future__ import annotations

import _thread
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from ..core import confine, refs, untrusted
from ..core import datetimes as _dt
from ..core.clock import iso_ms, utc_now
from ..core.config import CONFIG_DIR, Config, find_root, load_config
from ..core.ctxmanager import contextmanager
from ..core.errors import (
    ConfigError,
    FileNotFoundInSpec,
    InvalidInput,
    LeanSpecError,
    MalformedSpec,
    ProjectNotFound,
    WriteFailed,
)
from ..core.model import ListResult, LoadProblem, Spec, WriteResult
from ..core.refs import Entry
from . import fsutil, specfile
from .scan import Scanner
from .specfile import MAX_SPEC_BYTES, content_hash

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

    from ..core.frontmatter import Document
    from ..rules.update import UpdateOps

LOCK_NAME = "write.lock"
# Lookups by exact folder name stat "container/name"; on a case-insensitive file system
# that would also find "001-Foo" for "001-foo", so they list folders there instead.
_CASE_SENSITIVE_FS = sys.platform.startswith("linux")


class Store:
    """One project on disk. Cheap to construct; holds no file handles."""

    def __init__(
        self,
        root: Path,
        config: Config | None = None,
        *,
        clock: Callable[[], _dt.datetime] = utc_now,
    ) -> None:
        self.root = root.resolve()
        self.config = config or load_config(self.root)
        self.specs_dir = self.root / self.config.specs_dir
        self.clock = clock
        # The folder listing and its shortcuts; its stamps go by the cache folder's clock probe.
        self.scanner = Scanner(self.specs_dir, os.path.join(self.root, fsutil.CACHE_DIR))

    @classmethod
    def open(cls, root: str | Path | None = None, *, specs_dir: str | None = None) -> Store:
        if root is None:
            env = os.environ.get("LEANSPEC_PROJECT")
            found = Path(env) if env else find_root(Path.cwd())
            if found is None:
                raise ProjectNotFound(
                    "no LeanSpec project here (no .lean-spec/ or specs/ folder in this or any parent folder)",
                    hint="run `lean-spec init` or pass --project DIR",
                )
            root = found
        p = Path(root)
        if not p.is_dir():
            raise ProjectNotFound(f"project folder does not exist: {p}")
        overrides = {"specsDir": specs_dir} if specs_dir else None
        return cls(p, load_config(p, overrides))

    # ================================================================ reading
    def entries(self) -> list[Entry]:
        """Every spec folder, including archived and group folders, sorted."""
        return self.scanner.collect(None)

    def collect(
        self, want: Callable[[str, int], bool] | None, *, watch: Callable[[str], bool] | None = None
    ) -> list[Entry]:
        """The spec folders ``want(name, number)`` accepts (all when None); see ``Scanner.collect``."""
        return self.scanner.collect(want, watch=watch)

    def max_number(self) -> int | None:
        """The highest spec number in use (archived and group folders included)."""
        return self.scanner.max_number()

    def with_slug(self, slug: str) -> list[Entry]:
        """The spec folders (archived ones too) whose slug is ``slug``, ignoring case."""
        low = slug.lower()

        def want(name: str, _num: int) -> bool:
            return refs.Entry.slug_of(name).lower() == low

        found = self.scanner.lookup(refs.slug_finder(slug), want)
        return found if found is not None else self.collect(want)

    def readme_path(self, e: Entry) -> Path:
        return e.dir / self.config.default_file

    def rel(self, p: Path) -> str:
        """``p`` relative to the project root (what messages and ``Spec.path`` use)."""
        return specfile.rel_path(self.root, p)

    def spec_base(self) -> str:
        """The real path of the specs folder, which must be inside the project: every
        spec folder must resolve inside it (docs/security.md, containment)."""
        base = self.__dict__.get("_spec_base")
        if base is None:
            base = os.path.realpath(self.specs_dir)
            if not confine.inside(base, str(self.root)):
                raise ConfigError(
                    f"specsDir: {self.config.specs_dir} is a symlink that leads outside the project",
                    hint="replace the symlink by a folder inside the project",
                    details={"key": "specsDir"},
                )
            self.__dict__["_spec_base"] = base
        return base

    def read_spec_bytes(self, e: Entry, path: Path) -> tuple[bytes, os.stat_result]:
        """(bytes, stat) of a file of spec folder ``e`` under the containment rule
        (``confine.read_file``): OSError (``confine.Escape`` for a symlink out)."""
        return confine.read_file(str(path), str(e.dir), self.spec_base(), MAX_SPEC_BYTES)

    def load_entry(self, e: Entry) -> Spec:
        """Read and parse one spec. The single place where the read path hits the disk
        (the metadata cache slots in behind ``load_all``, and calls this on a miss)."""
        return specfile.load_spec(self.root, self.config.default_file, e, self.spec_base())

    def parse(self, e: Entry, path: Path, data: bytes, size: int, mtime: float) -> Spec:
        """The ``Spec`` of README bytes just read (or written) at ``path``."""
        return specfile.parse_spec(e, self.rel(path), data, size, mtime, self.sub_files(e.dir))

    def sub_files(self, d: Path) -> list[str]:
        return specfile.sub_files(d, self.config.default_file)

    def load_all(self, *, include_archived: bool = True) -> ListResult:
        """Every loadable spec plus a problem report for each one that is not.

        One malformed spec never hides the others (LeanSpec 0.3.0 fails the whole list).
        """
        # A folder moved (archive, check --fix) while we scan can be missed, seen twice or
        # look unreadable; such a listing is retried (the move itself is one atomic rename).
        import gc

        # 10,000 spec objects (none of them garbage) would trigger dozens of cyclic
        # collections, each re-walking the young objects: ~10 % of a listing.
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for _attempt in range(3):
                res, moved = self._load_all_once(include_archived)
                if not moved:
                    break
        finally:
            if gc_was:
                gc.enable()
        return res

    def _load_all_once(self, include_archived: bool) -> tuple[ListResult, bool]:
        specs: list[Spec] = []
        problems: list[LoadProblem] = []
        failed: list[Entry] = []
        from . import cache  # metadata cache: re-reads only changed files (None when off)

        warm = self.__dict__.get("_warm")  # set by Project.keep_warm() (servers only)
        sess = cache.session(self, refresh=warm is None)
        if warm is not None and sess is not None:
            # The change journal says which folders changed since the last listing.
            res = warm.load(self, sess, include_archived)
            if res is not None:
                return res, False
            sess = cache.session(self)  # it could not vouch for this listing: plain path
        load = sess.load if sess is not None else self.load_entry
        entries = adopted = None
        if sess is not None and self.scanner.memo is None and sess.cache.listing is not None:
            entries = self.scanner.adopt_listing(sess.cache.listing)
            if entries is not None:
                adopted = sess.cache.listing
        if entries is None:
            entries = self.entries()
        for e in entries:
            if e.archived and not include_archived:
                continue
            try:
                s = load(e)
            except LeanSpecError as exc:
                moved_to = self.scanner.moved_to_archive(e)
                if moved_to is None:
                    problems.append(LoadProblem(self.rel(self.readme_path(e)), exc.code, exc.message))
                    failed.append(e)
                    continue
                try:
                    s = load(moved_to)  # archived while we were listing
                except LeanSpecError:
                    failed.append(e)
                    continue
                if not include_archived:
                    continue
            if not include_archived and s.status == "archived":
                continue
            specs.append(s)
        if sess is not None:
            # An adopted listing is still the persisted one unless a container changed.
            state = adopted if adopted is not None and self.scanner.fresh_memo() is not None else self.scanner.listing_state()
            sess.finish(entries, listing=state)
        moved = bool(failed) and any(not e.dir.exists() for e in failed)
        names = [s.name for s in specs]
        if not moved and len(set(names)) != len(names):
            # Seen before and after a move: keep the copy whose folder still exists.
            from collections import Counter

            twice = {n for n, k in Counter(names).items() if k > 1}
            specs = [s for s in specs if s.name not in twice or (self.root / s.path).exists()]
            moved = len({s.name for s in specs}) != len(specs)
        return ListResult(specs, problems), moved

    def resolve(self, ref: str, entries: Sequence[Entry] | None = None) -> Entry:
        if entries is None:
            cands = self.scanner.candidates(ref)
            if cands is not None:
                return refs.resolve(ref, cands)
        ents = list(entries) if entries is not None else self.entries()

        def title_of(e: Entry) -> str:
            try:
                return self.load_entry(e).title
            except LeanSpecError:
                return ""

        return refs.resolve(ref, ents, title_of)

    def get(self, ref: str) -> Spec:
        return self.load_entry(self.resolve(ref))

    def split_file_ref(self, ref: str) -> tuple[str, str | None]:
        """``045/DESIGN.md`` -> ("045", "DESIGN.md"); a plain ref -> (ref, None)."""
        r = refs.normalize_ref(ref)
        if "/" in r:
            head, tail = r.rsplit("/", 1)
            if "." in tail and not refs.SPEC_DIR.match(tail):
                return head, tail
        return r, None

    def safe_file(self, e: Entry, filename: str) -> Path:
        """A sub-spec file path inside the spec folder; path tricks are refused."""
        name = filename.strip()
        if (
            not name
            or "/" in name
            or "\\" in name
            or name in (".", "..")
            or name.startswith(".")
            or "\x00" in name
            or fsutil.is_tmp(name)
        ):
            raise InvalidInput(f"invalid file name {filename!r}: a plain file name inside the spec folder is required")
        if len(name.encode("utf-8")) > 200:  # leaves room for the temp suffix under NAME_MAX (255)
            raise InvalidInput(f"file name too long ({len(name.encode('utf-8'))} bytes, at most 200)")
        return e.dir / name

    def read_file(self, ref: str, filename: str | None) -> tuple[Entry, str, str]:
        """(entry, relative path, text) of a spec's README or one of its sub-spec files."""
        e = self.resolve(ref)
        p = self.readme_path(e) if filename is None else self.safe_file(e, filename)
        try:
            data = self.read_spec_bytes(e, p)[0]
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise FileNotFoundInSpec(
                f"{e.name} has no file {filename}",
                details={"files": self.sub_files(e.dir)},
            ) from None
        except OSError as exc:
            raise MalformedSpec(f"{self.rel(p)}: cannot read: {exc.strerror}", details={"path": self.rel(p)}) from None
        if len(data) > MAX_SPEC_BYTES:
            raise MalformedSpec(f"{self.rel(p)}: file too large")
        try:
            return e, self.rel(p), data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedSpec(f"{self.rel(p)}: not UTF-8 text (binary file?)") from None

    def children_of(self, name: str, specs: Sequence[Spec]) -> list[Spec]:
        from ..rules import update as update_rules

        return update_rules.children_of(name, specs)

    # ============================================================== transaction
    @property
    def lock_path(self) -> Path:
        return self.root / CONFIG_DIR / LOCK_NAME

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The project-wide write lock. Everything that writes runs inside it.

        Re-entrant within one thread (a write may call another write); other threads
        and processes wait, because each flock() is on its own open file description.
        """
        key = str(self.lock_path)
        held = _held_locks()
        if held.get(key):
            held[key] += 1
            try:
                yield
            finally:
                held[key] -= 1
            return
        cfg_dir = self.root / CONFIG_DIR
        cfg_dir.mkdir(exist_ok=True)
        if os.path.realpath(cfg_dir) != str(cfg_dir):
            raise WriteFailed(
                f"{CONFIG_DIR} is a symlink; nothing was written",
                hint=f"replace {self.root / CONFIG_DIR} by a folder inside the project",
                details={"path": CONFIG_DIR},
            )
        gi = cfg_dir / ".gitignore"
        if not os.path.lexists(gi):  # lexists: a (dangling) symlink is left alone
            # The lock file and the cache are local state; keep them out of git.
            try:
                fsutil.atomic_write(gi, b"*.lock\ncache/\n", folder=str(cfg_dir))
            except (LeanSpecError, OSError):
                pass
        with fsutil.file_lock(self.lock_path, self.config.lock_timeout):
            held[key] = 1
            # A writer killed mid-create leaves a hidden temp folder in specs/; the next
            # write of any kind removes it (safe: we hold the lock, no live writer owns it).
            swept = _swept_listings()
            swept[key] = self._cleanup_temps(self.specs_dir)
            try:
                yield
            finally:
                held.pop(key, None)
                swept.pop(key, None)

    def _cleanup_temps(self, *dirs: Path) -> list[str] | None:
        """Remove temp files and half-built folders left by killed writers. Safe only
        under the lock: every live writer holds it while its temp files exist.
        Returns the first folder's names as listed (temp names included), or None."""
        first: list[str] | None = None
        for i, d in enumerate(dirs):
            try:
                # The specs folder's names may come from the persisted names file
                # (store/names.py): an unchanged stamp means no folder, temp or not,
                # appeared since they were listed, so there is nothing to sweep.
                names = self.scanner.listdir(d, "") if d == self.specs_dir else os.listdir(d)
            except OSError:
                continue
            if i == 0:
                first = names
            # One C-level substring test over all names first: usually there is nothing
            # to remove, and a Python step per name costs ~5 ms in a 10,000-folder specs/.
            if fsutil.TMP_MARK not in "\n".join(names):
                continue
            for name in names:
                if fsutil.is_tmp(name):
                    path = os.path.join(d, name)
                    try:
                        if stat.S_ISDIR(os.lstat(path).st_mode):
                            fsutil.rmtree(path)
                        else:
                            os.unlink(path)
                    except OSError:
                        pass
        return first

    def write_doc(self, e: Entry, doc: Document, expected: dict[str, Any]) -> bytes:
        path = self.readme_path(e)
        doc.verify(expected, path=self.rel(path))
        data = doc.render().encode("utf-8")
        fsutil.atomic_write(path, data, folder=str(e.dir), base=self.spec_base())
        return data

    def _read_current(self, e: Entry, expected_hash: str | None) -> tuple[Path, bytes, Document]:
        """(README path, its bytes, its Document) re-read under the lock, after the
        ``expected_hash`` check: what every metadata write starts from."""
        path = self.readme_path(e)
        try:
            current = self.read_spec_bytes(e, path)[0]
        except FileNotFoundError:
            raise MalformedSpec(f"{self.rel(e.dir)}: no {self.config.default_file}") from None
        except OSError as exc:  # a folder named README.md, no read permission, a symlink out, ...
            raise MalformedSpec(f"{self.rel(path)}: cannot read: {exc.strerror}") from None
        self._check_hash(path, current, expected_hash)
        try:
            text = current.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedSpec(f"{self.rel(path)}: not UTF-8 text (binary file?)") from None
        from ..core.frontmatter import Document

        return path, current, Document.parse(text, path=self.rel(path))

    def _check_hash(self, path: Path, current: bytes, expected_hash: str | None) -> None:
        from ..core.guards import check_expected_hash

        check_expected_hash(content_hash(current), expected_hash, where=self.rel(path))

    # ================================================================== update
    def update(
        self,
        ref: str,
        ops: UpdateOps,
        *,
        expected_hash: str | None = None,
        force: bool = False,
        if_status: str | None = None,
        if_assignee: str | None = None,
    ) -> WriteResult:
        """Apply ``ops`` to one spec in one transaction. Field-level: concurrent updates
        of different fields (or tags) all land, because each re-reads under the lock.
        ``if_status`` / ``if_assignee``: compare-and-set preconditions (core/preconditions.py)."""
        from ..core import preconditions
        from ..rules import update as update_rules

        untrusted.check_update(ops)  # before anything is written (docs/security.md)
        with self.transaction():
            # Entered the lock here (not nested in another write), so its sweep just
            # listed specs/ and nothing ran since: the lookup uses that listing instead
            # of listing 10,000 names again (one use only).
            key = str(self.lock_path)
            root_names = _swept_listings().pop(key, None) if _held_locks().get(key) == 1 else None
            cands = self.scanner.candidates(ref, root_names) if root_names is not None else None
            e = refs.resolve(ref, cands) if cands is not None else self.resolve(ref)
            self._cleanup_temps(e.dir)
            path, current, doc = self._read_current(e, expected_hash)
            preconditions.check(doc.data, e.name, if_status=if_status, if_assignee=if_assignee)
            changed = update_rules.apply_update(self, doc, e, None, ops, force)
            if not changed:
                spec = self.parse(e, path, current, len(current), path.stat().st_mtime)
                return WriteResult(spec, [], False, "no changes")
            doc.set("updated_at", iso_ms(self.clock()))
            if "updated" in doc.data:
                doc.set("updated", self.clock().date().isoformat())
            data = self.write_doc(e, doc, dict(doc.data))
            spec = self.parse(e, path, data, len(data), time.time())
            return WriteResult(spec, changed, True, f"updated {e.name}: {', '.join(changed)}")

    # ================================================================== create
    def next_number(self, entries: Sequence[Entry] | None = None) -> int:
        if entries is None:
            top = self.max_number()
            return top + 1 if top is not None else 1
        nums = [e.number for e in entries if e.number is not None]
        return (max(nums) + 1) if nums else 1

    def create(
        self,
        name: str,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: Sequence[str] = (),
        priority: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        template: str | None = None,
        fields: dict[str, Any] | None = None,
        depends_on: Sequence[str] = (),
        parent: str | None = None,
        content: str | None = None,
        allow_duplicate: bool = False,
    ) -> WriteResult:
        """Create a spec all-or-nothing: the number is allocated under the project lock and
        the folder is built hidden, then renamed into place."""
        from ..core.guards import duplicate_slug_error
        from ..rules import update as update_rules

        untrusted.check_create(
            name, title=title, description=description, tags=tags, priority=priority, status=status,
            assignee=assignee, template=template, fields=fields, depends_on=depends_on, parent=parent,
            content=content,
        )
        from ..rules import create as create_rules  # only create pays for it

        req = create_rules.NewSpec(
            name,
            title=title,
            description=description,
            tags=tags,
            priority=priority,
            status=status,
            assignee=assignee,
            fields=fields,
            content=content,
        )
        files = self._template_files(template) if content is None else None
        raw_vars = self.config.raw.get("variables")
        variables = {str(k): str(v) for k, v in raw_vars.items()} if isinstance(raw_vars, dict) else {}
        self.specs_dir.mkdir(parents=True, exist_ok=True)
        with self.transaction(), self.scanner.names_save_deferred():
            # (The transaction swept killed writers' temp folders when it took the lock.)
            # Under the lock: every folder is seen. Only a create with links needs the
            # entries themselves; the number needs just the names.
            entries = self.entries() if (depends_on or parent) else None
            deps = update_rules.resolve_targets(self, depends_on, entries, None) if depends_on else []
            par = self.resolve(parent, entries).name if parent else None
            if not allow_duplicate and (same := self.with_slug(req.slug)):
                raise duplicate_slug_error(req.slug, [e.rel for e in same])
            number = self.next_number(entries)
            folder = f"{self.config.prefix}{number:0{self.config.sequence_digits}d}-{req.slug}"
            final = self.specs_dir / folder
            doc, extra = create_rules.build(
                req,
                folder=folder,
                number=number,
                now=self.clock(),
                project_name=self.root.name,
                variables=variables,
                template_files=files,
                depends_on=deps,
                parent=par,
                insert_header=self.config.status_header_insert,
            )
            readme = doc.render().encode("utf-8")
            tmp = self.specs_dir / fsutil.tmp_name(folder)
            try:
                tmp.mkdir()
                fsutil.write_new_file(tmp / self.config.default_file, readme)
                for fn, text in extra.items():
                    fsutil.write_new_file(tmp / fn, text.encode("utf-8"))
                fsutil.fsync_dir(tmp)
                fsutil.rename_noreplace(tmp, final)
            except OSError as exc:
                try:
                    fsutil.rmtree(tmp)
                except OSError:
                    pass
                raise WriteFailed(f"cannot create {self.rel(final)}: {exc.strerror or exc}") from None
            except BaseException:
                try:
                    fsutil.rmtree(tmp)
                except OSError:
                    pass
                raise
            fsutil.fsync_dir(self.specs_dir)
            e = Entry(folder, number, final, folder, False, None)
            spec = self.parse(e, self.readme_path(e), readme, len(readme), time.time())
            return WriteResult(spec, ["created"], True, f"created {self.rel(final)}")

    def templates_dir(self) -> Path:
        return self.root / CONFIG_DIR / "templates"

    def templates_base(self) -> str:
        """Template files resolve inside ``.lean-spec/`` (a real folder of the project)."""
        return str(self.root / CONFIG_DIR)

    def _template_files(self, template: str | None) -> dict[str, str]:
        from ..core import templates

        tdir = self.templates_dir()
        cfg_templates = self.config.templates
        if template:
            if template in templates.BUILTIN and not (tdir / template).exists() and template not in cfg_templates:
                return templates.builtin_files(template)
            ref = cfg_templates.get(template, template)
            files = templates.project_template_files(tdir, ref, self.templates_base())
            if files is None:
                files = templates.project_template_files(tdir, ref + ".md", self.templates_base()) if not ref.endswith(".md") else None
            if files is None:
                from ..core.errors import TemplateError

                raise TemplateError(
                    f"template not found: {template}",
                    hint="run `lean-spec templates` to list templates",
                )
            return files
        for cand in (cfg_templates.get("default"), self.config.template, "spec-template.md", "README.md"):
            if cand:
                files = templates.project_template_files(tdir, cand, self.templates_base())
                if files is not None:
                    return files
        return templates.builtin_files("standard")

    def set_fields(
        self,
        ref: str,
        values: dict[str, Any],
        *,
        expected_hash: str | None = None,
        touch_updated: bool = False,
    ) -> WriteResult:
        """Set raw frontmatter keys (``None`` deletes), for tools such as backfill and
        merge that own timestamps themselves. Same transaction as every other write."""
        for k, v in values.items():
            untrusted.check_line(k, "field name")
            untrusted.check_value(v, f"field {k}")
        with self.transaction():
            e = self.resolve(ref)
            self._cleanup_temps(e.dir)
            path, current, doc = self._read_current(e, expected_hash)
            changed: list[str] = []
            for k, v in values.items():
                if v is None:
                    if doc.delete(k):
                        changed.append(k)
                elif doc.set(k, v):
                    changed.append(k)
            if not changed:
                return WriteResult(self.parse(e, path, current, len(current), 0.0), [], False, "no changes")
            if touch_updated:
                doc.set("updated_at", iso_ms(self.clock()))
            data = self.write_doc(e, doc, dict(doc.data))
            return WriteResult(self.parse(e, path, data, len(data), time.time()), changed, True, f"updated {e.name}")

    # =========================================================== raw writes
    def write_file(self, ref: str, filename: str | None, text: str, *, expected_hash: str | None = None) -> WriteResult:
        """Replace a spec's README (validated) or write one of its sub-spec files."""
        from ..rules import update as update_rules

        untrusted.check_text(text, "content")
        with self.transaction():
            e = self.resolve(ref)
            target = self.readme_path(e) if filename is None else self.safe_file(e, filename)
            self._cleanup_temps(e.dir)
            try:
                current = self.read_spec_bytes(e, target)[0]
            except FileNotFoundError:
                current = b""
            except OSError as exc:  # a symlink out of the project, a folder, a FIFO, ...
                raise MalformedSpec(
                    f"{self.rel(target)}: cannot write: {exc.strerror}; nothing was written",
                    details={"path": self.rel(target)},
                ) from None
            if expected_hash is not None:
                self._check_hash(target, current, expected_hash)
            data = text.encode("utf-8")
            if filename is None:
                from ..core.frontmatter import Document

                doc = Document.parse(text, path=self.rel(target))
                st = doc.data.get("status")
                if st is not None:
                    update_rules.check_status(str(st))
                if doc.data.get("priority") is not None:
                    update_rules.check_priority(str(doc.data["priority"]))
            if data == current:
                spec = self.load_entry(e)
                return WriteResult(spec, [], False, "no changes")
            fsutil.atomic_write(target, data, folder=str(e.dir), base=self.spec_base())
            if filename is not None:
                fsutil.fsync_dir(e.dir)
            spec = self.load_entry(e)
            return WriteResult(spec, ["content" if filename is None else f"file:{target.name}"], True, f"wrote {self.rel(target)}")

    # ================================================================== archive
    def archive(self, ref: str, *, expected_hash: str | None = None) -> WriteResult:
        """Set status archived (with a transition) and move the folder into
        ``specs/archived/`` (config ``archive.mode: status`` keeps it in place)."""
        from ..rules import update as update_rules
        from ..rules.update import UpdateOps

        with self.transaction():
            e = self.resolve(ref)
            self._cleanup_temps(e.dir)  # do not carry a dead writer's temp file into archived/
            _path, _current, doc = self._read_current(e, expected_hash)
            moving = self.config.archive_mode == "move" and not e.archived
            if moving and (self.specs_dir / "archived" / e.name).exists():
                # Refuse before writing anything: the status must not change either.
                raise WriteFailed(f"cannot archive: {self.config.specs_dir}/archived/{e.name} already exists")
            changed: list[str] = []
            if doc.data.get("status") != "archived":
                changed = update_rules.apply_update(self, doc, e, None, UpdateOps(status="archived"), True)
                doc.set("updated_at", iso_ms(self.clock()))
                self.write_doc(e, doc, dict(doc.data))
            dest_dir = e.dir
            if self.config.archive_mode == "move" and not e.archived:
                adir = self.specs_dir / "archived"
                adir.mkdir(exist_ok=True)
                dest_dir = adir / e.name
                try:
                    fsutil.rename_noreplace(e.dir, dest_dir)
                except FileExistsError:
                    raise WriteFailed(f"cannot archive: {self.rel(dest_dir)} already exists") from None
                fsutil.fsync_dir(adir)
                fsutil.fsync_dir(e.dir.parent)
                changed.append("moved")
            ne = Entry(e.name, e.number, dest_dir, self.rel(dest_dir)[len(self.config.specs_dir) + 1 :], dest_dir.parent.name == "archived", None)
            spec = self.load_entry(ne)
            return WriteResult(spec, changed, bool(changed), f"archived {e.name}" if changed else "already archived")
    # ==================================================================== check
    def duplicates(self, entries: Sequence[Entry] | None = None) -> dict[int, list[Entry]]:
        from . import renumber

        return renumber.duplicates(self, entries)

    def duplicate_slugs(self, entries: Sequence[Entry] | None = None) -> dict[str, list[Entry]]:
        from . import renumber

        return renumber.duplicate_slugs(self, entries)

    def fix_duplicates(self, *, avoid: Sequence[int] | set[int] = (), also: Sequence[str] = ()) -> list[dict[str, str]]:
        """Renumber duplicates and rewrite the references to them (``store/renumber.py``)."""
        from . import renumber

        return renumber.fix_duplicates(self, avoid=avoid, also=also)

    # ============================================================ project files
    # (``store/projectfiles.py``: the containment rule for config, templates, AGENTS.md)
    def write_project_file(self, rel: str, data: bytes, *, overwrite: bool = True) -> bool:
        from . import projectfiles

        return projectfiles.write_project_file(self, rel, data, overwrite=overwrite)

    def symlink_project_file(self, rel: str, target: str) -> bool:
        from . import projectfiles

        return projectfiles.symlink_project_file(self, rel, target)

    def read_project_file(self, rel: str) -> str | None:
        from . import projectfiles

        return projectfiles.read_project_file(self, rel)

    def remove_project_file(self, rel: str) -> bool:
        from . import projectfiles

        return projectfiles.remove_project_file(self, rel)


# threading.local itself (threading.py re-exports it), without importing threading (~1 ms).
_tls = _thread._local()


def _swept_listings() -> dict[str, list[str] | None]:
    """Lock key -> the specs folder's names the lock's temp sweep listed (this thread)."""
    d = getattr(_tls, "swept", None)
    if d is None:
        d = _tls.swept = {}
    return d


def _held_locks() -> dict[str, int]:
    d = getattr(_tls, "held", None)
    if d is None:
        d = _tls.held = {}
    return d
