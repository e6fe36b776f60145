"""Spec folder names, numbers, slugs, and deterministic reference resolution.

Resolution order: exact folder name -> number (leading zeros optional) -> unique slug
-> unique title. Anything matching more than one spec is an error listing the
candidates; we never pick silently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import AmbiguousSpec, InvalidInput, SpecNotFound
from .lazyre import LazyRe, compiled
from .values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re
    from typing import Any

SPEC_DIR = LazyRe(r"^(?:(\d{8})-)?(\d{2,})-(.+)$")  # parse_dir_name: the same, without re
MAX_SLUG_BYTES = 120


_set = object.__setattr__


class Entry(Value):
    """A spec folder found on disk (before its README is parsed).

    A plain class, not ``@dataclass(frozen=True, slots=True)``: importing
    ``dataclasses`` costs ~6-10 ms of every run. Same positional init, slots, repr,
    equality and hash (of the field tuple), pickling; assigning or deleting a field
    raises AttributeError (as FrozenInstanceError, its subclass, did)."""

    # ``dir`` is kept as given: a Path, or the folder's path string (a listing builds
    # thousands of entries and most never need a Path: ``dir_str`` serves the cache).
    # The Path is made on first use of ``dir`` and kept; fields, equality, hash, repr
    # and pickling see the Path either way.
    __slots__ = ("name", "number", "_dir", "rel", "archived", "group")
    __match_args__ = ("name", "number", "dir", "rel", "archived", "group")
    _FIELDS = __match_args__

    name: str
    number: int | None
    _dir: Path | str
    rel: str  # folder path relative to the specs dir, forward slashes
    archived: bool
    group: str | None

    def __init__(
        self, name: str, number: int | None, dir: Path | str, rel: str, archived: bool, group: str | None
    ) -> None:
        _set(self, "name", name)
        _set(self, "number", number)
        _set(self, "_dir", dir)
        _set(self, "rel", rel)
        _set(self, "archived", archived)
        _set(self, "group", group)

    @property
    def dir(self) -> Path:
        d = self._dir
        if d.__class__ is str:
            d = Path(d)
            _set(self, "_dir", d)
        return d  # type: ignore[return-value]

    @property
    def dir_str(self) -> str:
        """``str(self.dir)``, without making the Path."""
        d = self._dir
        return d if d.__class__ is str else str(d)  # type: ignore[return-value]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:  # type: ignore[override]  # frozen: hashable, as the frozen dataclass
        return hash(self._values())

    # Pickling and copy.copy set slots through __setattr__, which refuses: state is the
    # field list, restored past it (what the frozen dataclass did).
    def __getstate__(self) -> list[Any]:
        return list(self._values())

    def __setstate__(self, state: list[Any]) -> None:
        for name, value in zip(self.__slots__, state, strict=True):
            _set(self, name, value)

    @property
    def slug(self) -> str:
        return Entry.slug_of(self.name)

    @staticmethod
    def slug_of(name: str) -> str:
        parsed = parse_dir_name(name)
        return parsed[1] if parsed else name


def parse_dir_name(name: str) -> tuple[int, str] | None:
    """``(number, slug)`` of a spec folder name, as ``SPEC_DIR`` reads it, or None.

    String steps instead of the regex: every listing parses every folder name, and a
    warm ``list`` otherwise needs no ``re`` at all (``import re`` is ~5 ms per
    process). ``tests/test_refs.py`` checks it against ``SPEC_DIR`` on random names."""
    if len(name) > 9 and name[8] == "-" and name[:8].isdecimal():
        found = _number_dash_rest(name, 9)  # the optional date group, tried first
        if found is not None:
            return found
    return _number_dash_rest(name, 0)


def _number_dash_rest(name: str, at: int) -> tuple[int, str] | None:
    r"""``(\d{2,})-(.+)$`` at ``at``: ``\d`` is a decimal digit (``str.isdecimal``),
    ``.`` anything but a newline, ``$`` the end or a newline ending the string."""
    dash = name.find("-", at)
    if dash - at < 2 or not name[at:dash].isdecimal():
        return None  # the digits run up to the first "-", at least two of them
    rest = name[dash + 1 :]
    if rest.endswith("\n"):
        rest = rest[:-1]
    if not rest or "\n" in rest:
        return None
    return int(name[at:dash]), rest


# Finders for Scanner.lookup: each takes the names of one folder, each preceded by a
# newline (no name holds one), and returns a superset of the names it is after, by
# one regex pass in C. Callers re-check every name with parse_dir_name. The patterns
# start with a literal newline, which the regex engine skips to quickly.
_finders: dict[str, re.Pattern[str]] = {}


def _pattern(src: str) -> re.Pattern[str]:
    pat = _finders.get(src)
    if pat is None:
        pat = _finders[src] = compiled(src)
    return pat


# SPEC_DIR per line; the same groups, so the same backtracking picks the same number.
_SPEC_NUMBERS = r"\n(?:\d{8}-)?(\d{2,})-[^\n]"
_ANY_SPEC = r"\n((?:\d{8}-)?\d{2,}-[^\n]+)"
_NOT_SPEC = r"\n(?!(?:\d{8}-)?\d{2,}-[^\n])([^\n]+)"


def number_finder(n: int) -> Callable[[str], list[str]]:
    """Names that may be spec folders numbered ``n`` (leading zeros optional)."""
    # "0*" covers ASCII zeros only; int() also reads other scripts' digits, so a
    # listing that is not ASCII gets every spec-like name.
    ascii_src = rf"\n((?:\d{{8}}-)?0*{n}-[^\n]+)"

    def find(joined: str) -> list[str]:
        return _pattern(ascii_src if joined.isascii() else _ANY_SPEC).findall(joined)

    return find


def slug_finder(slug: str) -> Callable[[str], list[str]]:
    """Names that may be spec folders with this slug (any number, case-insensitive)."""
    import re

    src = r"(?i)\n((?:\d{8}-)?\d{2,}-" + re.escape(slug) + r")(?=\n|\Z)"
    return lambda joined: _pattern(src).findall(joined)


def name_finder(name: str) -> Callable[[str], list[str]]:
    """The names equal to ``name``."""
    import re

    src = r"\n(" + re.escape(name) + r")(?=\n|\Z)"
    return lambda joined: _pattern(src).findall(joined)


def top_names(joined: str) -> list[str]:
    """Names that may be spec folders with the highest number in the listing."""
    nums = _pattern(_SPEC_NUMBERS).findall(joined)
    if not nums:
        return []
    return number_finder(max(map(int, nums)))(joined)


def not_spec_names(joined: str) -> list[str]:
    """Names that are not spec folder names (possible group or archived folders)."""
    return _pattern(_NOT_SPEC).findall(joined)


def slugify(name: str) -> str:
    """A safe folder slug. Refuses path tricks rather than silently rewriting them."""
    raw = name.strip()
    if not raw:
        raise InvalidInput("the spec name is empty")
    if "/" in raw or "\\" in raw or raw.startswith("~") or ".." in raw or "\x00" in raw:
        raise InvalidInput(
            f"invalid spec name {name!r}: names cannot contain path separators or '..'",
            hint="use a plain name such as 'user-auth'",
        )
    import re

    s = _nfc(raw).lower()
    s = re.sub(r"[^\w]+", "-", s, flags=re.UNICODE).replace("_", "-")
    s = re.sub(r"-{2,}", "-", s).strip("-")
    m = re.match(r"^\d{2,}-(.+)$", s)  # `create 001-x` names the slug, not the number
    if m:
        s = m.group(1)
    if not s:
        raise InvalidInput(f"invalid spec name {name!r}: it has no letters or digits")
    if len(s.encode("utf-8")) > MAX_SLUG_BYTES:
        raise InvalidInput(
            f"spec name too long ({len(s.encode('utf-8'))} bytes, at most {MAX_SLUG_BYTES})",
            hint="use a shorter name; put the long form in --title",
        )
    return s


def _nfc(s: str) -> str:
    """NFC form; ASCII text already is, so the unicodedata module is loaded only for
    references and names that are not ASCII."""
    if s.isascii():
        return s
    import unicodedata

    return unicodedata.normalize("NFC", s)


def title_from_slug(slug: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in slug.split("-") if w)


def normalize_ref(ref: str) -> str:
    # NFC, as folder names are created (macOS input methods often produce NFD).
    r = _nfc(ref.strip()).replace("\\", "/")
    while r.startswith("./"):
        r = r[2:]
    r = r.rstrip("/")
    if r.lower().endswith("/readme.md"):
        r = r[: -len("/readme.md")]
    return r


def resolve(
    ref: str,
    entries: Sequence[Entry],
    title_of: Callable[[Entry], str] | None = None,
    *,
    suggestions: bool = True,
) -> Entry:
    r = normalize_ref(str(ref))
    if not r:
        raise InvalidInput("empty spec reference")
    last = r.rsplit("/", 1)[-1]
    # 1. exact folder name (or a path ending in it)
    hits = [e for e in entries if e.name == last and (r == last or r.endswith(e.rel) or "/" in r)]
    if not hits:
        hits = [e for e in entries if e.name == last]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        full = [e for e in hits if r.endswith(e.rel)]
        if len(full) == 1:
            return full[0]
        _ambiguous(ref, hits)
    # 2. number, leading zeros optional
    if last.isdigit():
        n = int(last)
        hits = [e for e in entries if e.number == n]
        if len(hits) == 1:
            return hits[0]
        if hits:
            _ambiguous(ref, hits)
        raise SpecNotFound(f"spec not found: {ref}", hint="run `lean-spec list` to see spec names")
    low = last.lower()
    # 3. slug
    hits = [e for e in entries if e.slug.lower() == low]
    if len(hits) == 1:
        return hits[0]
    if hits:
        _ambiguous(ref, hits)
    # 4. title
    if title_of is not None:
        hits = [e for e in entries if title_of(e).strip().lower() == r.lower()]
        if len(hits) == 1:
            return hits[0]
        if hits:
            _ambiguous(ref, hits)
    # Close spellings cost a difflib pass over every name: only for a person to read,
    # not for callers that only need "not found" (graph edges, readiness).
    near = suggest(low, entries) if suggestions else []
    raise SpecNotFound(
        f"spec not found: {ref}",
        hint=("did you mean: " + ", ".join(near)) if near else "run `lean-spec list` to see spec names",
        details={"suggestions": near} if near else None,
    )


def suggest(ref: str, entries: Sequence[Entry], limit: int = 8) -> list[str]:
    """Folder names a mistyped reference probably meant: the ones containing it, then
    close spellings of the slug or folder name (``rate-limitr`` -> ``012-rate-limiter``)."""
    low = ref.strip().lower()
    if not low:
        return []
    near = [e.name for e in entries if low in e.name.lower()][:limit]
    if len(near) < limit:
        import difflib

        by_key: dict[str, str] = {}
        for e in entries:
            by_key.setdefault(e.slug.lower(), e.name)
            by_key.setdefault(e.name.lower(), e.name)
        for key in difflib.get_close_matches(low, list(by_key), n=limit, cutoff=0.75):
            if by_key[key] not in near:
                near.append(by_key[key])
    return near[:limit]


def _ambiguous(ref: str, hits: Sequence[Entry]) -> None:
    names = sorted(e.rel for e in hits)
    raise AmbiguousSpec(
        f"spec reference {ref!r} is ambiguous: it matches {', '.join(names)}",
        hint="use the full folder name",
        details={"candidates": names},
    )
