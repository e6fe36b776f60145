"""A fast reader for the YAML that spec frontmatter is made of, or a refusal.

Importing PyYAML costs 10-25 ms (its reader compiles a large Unicode regex) and its
C loader still spends ~0.1 ms per small document building events and nodes in Python.
Spec frontmatter is almost always a handful of ``key: scalar`` lines, flow lists
``[a, b]``, block lists ``- x`` and the ``transitions:`` list of two-key mappings.
``load`` reads exactly that and returns what ``yaml.load(text, CSafeLoader)`` returns
(same types: YAML 1.1 bools, ints, floats, dates, datetimes with PyYAML's tzinfo,
None); for anything else it raises ``Unsupported`` and the caller asks PyYAML.
A line that is not ``str.isprintable()`` (tabs, controls, NBSP, BOM, YAML 1.1 line
breaks: a superset of what YAML itself forbids or treats specially) is refused
whole, which also spares compiling a regex of YAML's printable ranges (~10 ms,
what PyYAML's reader does at import). When in doubt it refuses: anchors, tags, block scalars, multi-line scalars, nested
collections, escapes, tabs, odd indentation, comments after values, duplicate keys,
and anything that might be malformed (so PyYAML's error messages are kept).
tests/test_yaml_subset.py compares the two on the fixture, a generated corpus and
thousands of random frontmatters.
"""

from __future__ import annotations

from . import datetimes as _dt
from .lazyre import VERBOSE, compiled

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re
    from typing import Any


class Unsupported(Exception):
    """Not (certainly) in the subset: parse with PyYAML instead."""


# Compiled on first use: most processes never parse YAML at all (the metadata cache).
_RE: dict[str, re.Pattern[str]] = {}

_SOURCES = {
    "key": r"[A-Za-z_][A-Za-z0-9_-]*",
    # The implicit resolvers of PyYAML 6 (yaml/resolver.py), verbatim.
    "float": r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$""",
    "int": r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$""",
    # yaml/constructor.py's timestamp_regexp (a superset of the resolver's).
    "timestamp_resolver": r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
    "timestamp": r"""^(?P<year>[0-9][0-9][0-9][0-9])
                -(?P<month>[0-9][0-9]?)
                -(?P<day>[0-9][0-9]?)
                (?:(?:[Tt]|[ \t]+)
                (?P<hour>[0-9][0-9]?)
                :(?P<minute>[0-9][0-9])
                :(?P<second>[0-9][0-9])
                (?:\.(?P<fraction>[0-9]*))?
                (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)
                (?::(?P<tz_minute>[0-9][0-9]))?))?)?$""",
    "decimal": r"[-+]?(?:0|[1-9][0-9]*)",
}


def _re(name: str) -> re.Pattern[str]:
    pat = _RE.get(name)
    if pat is None:
        flags = VERBOSE if name in ("float", "int", "timestamp_resolver", "timestamp") else 0
        pat = _RE[name] = compiled(_SOURCES[name], flags)
    return pat


_TRUE = frozenset(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"))
_FALSE = frozenset(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"))
_NULL = frozenset(("~", "null", "Null", "NULL"))
# A plain scalar may not start with these (or PyYAML reads something else / fails).
_BAD_START = frozenset("&*!|>%@`{},]#?:'\"[")


def _timestamp(s: str) -> _dt.date:
    # yaml/constructor.py SafeConstructor.construct_yaml_timestamp, verbatim in effect.
    m = _re("timestamp").match(s)
    if m is None:  # pragma: no cover - the resolver regex matched, so this does too
        raise Unsupported(s)
    v = m.groupdict()
    try:
        year, month, day = int(v["year"]), int(v["month"]), int(v["day"])
        if not v["hour"]:
            return _dt.date(year, month, day)
        hour, minute, second = int(v["hour"]), int(v["minute"]), int(v["second"])
        fraction = 0
        tzinfo = None
        if v["fraction"]:
            fraction = int(v["fraction"][:6].ljust(6, "0"))
        if v["tz_sign"]:
            delta = _dt.timedelta(hours=int(v["tz_hour"]), minutes=int(v["tz_minute"] or 0))
            if v["tz_sign"] == "-":
                delta = -delta
            tzinfo = _dt.timezone(delta)
        elif v["tz"]:
            tzinfo = _dt.UTC  # the object PyYAML uses (datetime.timezone.utc)
        return _dt.datetime(year, month, day, hour, minute, second, fraction, tzinfo=tzinfo)
    except ValueError:  # 2025-02-30: PyYAML raises ValueError; let it say so
        raise Unsupported(s) from None


def plain(s: str) -> Any:
    """The value of the plain scalar ``s`` (non-empty, already stripped)."""
    c = s[0]
    if c in "yYnNtTfFoO":
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    if c in "-+0123456789.":
        if _re("float").match(s):
            if "_" in s or ":" in s or "n" in s.lower():  # sexagesimal, inf, nan
                raise Unsupported(s)
            value = s.lower()
            sign = -1 if value[0] == "-" else 1
            return sign * float(value[1:] if value[0] in "+-" else value)
        if c != "." and _re("int").match(s):
            if _re("decimal").fullmatch(s):
                return int(s)
            raise Unsupported(s)  # octal, hex, binary, sexagesimal, underscores
        if c in "0123456789" and _re("timestamp_resolver").match(s):
            return _timestamp(s)
    if c in "~nN" and s in _NULL:
        return None
    if s in ("<<", "=", "!", "&", "*"):  # merge key, value key, tag/anchor/alias marks
        raise Unsupported(s)
    return s


def _scalar(v: str, flow: bool) -> Any:
    """One scalar written on one line (``v`` stripped of surrounding spaces)."""
    c = v[0]
    if c == "'":
        inner = v[1:-1]
        if len(v) < 2 or v[-1] != "'" or "'" in inner.replace("''", ""):
            raise Unsupported(v)
        return inner.replace("''", "'")
    if c == '"':
        inner = v[1:-1]
        if len(v) < 2 or v[-1] != '"' or '"' in inner or "\\" in inner:
            raise Unsupported(v)
        return inner
    if c in _BAD_START or (c == "-" and (len(v) == 1 or v[1] == " ")):
        raise Unsupported(v)
    if " #" in v or ": " in v or v[-1] == ":":
        raise Unsupported(v)
    if flow and (":" in v or any(ch in v for ch in "[]{}")):
        raise Unsupported(v)
    return plain(v)


def _flow_list(v: str) -> list[Any]:
    inner = v[1:-1]
    if v[-1] != "]" or any(ch in inner for ch in "[]{}"):
        raise Unsupported(v)
    if not inner.strip(" "):
        return []
    out: list[Any] = []
    i, n = 0, len(inner)
    while True:
        while i < n and inner[i] == " ":
            i += 1
        if i >= n:
            raise Unsupported(v)  # empty item or trailing comma
        q = inner[i]
        if q in "'\"":
            j = i + 1
            while True:
                j = inner.find(q, j)
                if j < 0:
                    raise Unsupported(v)
                if q == "'" and inner[j + 1 : j + 2] == "'":
                    j += 2
                    continue
                break
            out.append(_scalar(inner[i : j + 1], True))
            k = j + 1
            while k < n and inner[k] == " ":
                k += 1
            if k < n and inner[k] != ",":
                raise Unsupported(v)
            i = k
        else:
            k = inner.find(",", i)
            if k < 0:
                k = n
            item = inner[i:k].rstrip(" ")
            if not item:
                raise Unsupported(v)
            out.append(_scalar(item, True))
            i = k
        if i >= n:
            return out
        i += 1  # the comma


# value text -> its (immutable) scalar: statuses, priorities, tags and dates repeat
# across specs. Capped; lists are never kept (they are mutable).
_SCALARS: dict[str, Any] = {}
_MISS = object()


def _value(v: str) -> Any:
    r = _SCALARS.get(v, _MISS)
    if r is not _MISS:
        return r
    if v[0] == "[":
        return _flow_list(v)
    r = _scalar(v, False)
    if len(_SCALARS) < 4096:
        _SCALARS[v] = r
    return r


# _SOURCES["key"] without the regex engine: a parse after a write (one new spec) then
# needs no ``re`` (~3-4 ms per process) for the usual keys.
_KEY_FIRST = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

# key text -> True (a plain string key), False (not a key), None (PyYAML decides).
# Spec keys repeat (status, created, tags, ...), so each is checked once.
_KEYS: dict[str, bool | None | str] = {}


def _key(line: str) -> tuple[str, str] | None:
    """(key, value text) of a ``key: value`` line, None if it is no such line."""
    key, colon, rest = line.partition(":")  # a key holds no colon: the first one ends it
    if not colon or (rest and rest[0] != " "):
        return None
    ok = _KEYS.get(key, "?")
    if ok == "?":
        ok = _check_key(key)
    if ok is None:
        raise Unsupported(line)  # yes:, null:, 1:, ...: not a string key
    return (key, rest.lstrip(" ")) if ok else None


def _check_key(key: str) -> bool | None:
    ok: bool | None
    if not (key and key[0] in _KEY_FIRST and key.strip(_KEY_CHARS) == ""):  # = _SOURCES["key"]
        ok = False
    else:
        try:
            value = plain(key)
        except Unsupported:
            value = None
        ok = True if isinstance(value, str) and value == key else None
    if len(_KEYS) < 4096:
        _KEYS[key] = ok
    return ok


def load(text: str) -> Any:
    """``yaml.load(text, CSafeLoader)`` for the frontmatter subset, else ``Unsupported``."""
    # Significant lines as (indent, content); blank lines and column-0 comments go.
    lines: list[tuple[int, str]] = []
    for raw in text.split("\n"):
        if not raw.isprintable():
            raise Unsupported("characters")
        s = raw.lstrip(" ")
        if not s:
            continue
        if s[0] == "#":
            if len(s) != len(raw):
                raise Unsupported("indented comment")
            continue
        lines.append((len(raw) - len(s), s.rstrip(" ")))
    out: dict[str, Any] = {}
    i, n = 0, len(lines)
    while i < n:
        ind, s = lines[i]
        kv = _key(s) if ind == 0 else None
        if kv is None:
            raise Unsupported(s)
        key, v = kv
        if key in out:
            raise Unsupported("duplicate key")
        i += 1
        if v:
            out[key] = _value(v)
            if i < n and lines[i][0] > 0:
                raise Unsupported("continuation")
            continue
        if i == n or (lines[i][0] == 0 and not lines[i][1].startswith("-")):
            out[key] = None
            continue
        out[key], i = _block_list(lines, i)
    return out or None


def _block_list(lines: list[tuple[int, str]], i: int) -> tuple[list[Any], int]:
    """The block sequence starting at ``lines[i]``; returns it and the next index."""
    ind = lines[i][0]
    items: list[Any] = []
    n = len(lines)
    while i < n and lines[i][0] == ind and lines[i][1].startswith("- "):
        s = lines[i][1][2:]
        i += 1
        if not s or s[0] == " ":
            raise Unsupported("item indent")
        kv = _key(s) if s[0] not in "'\"[" else None
        if kv is None:
            items.append(_value(s))
            continue
        # A mapping item: its other keys sit exactly under the first one.
        col = ind + 2
        item: dict[str, Any] = {}
        while True:
            key, v = kv
            if key in item:
                raise Unsupported("duplicate key")
            if v:
                item[key] = _value(v)
            elif i < n and lines[i][0] > col:
                raise Unsupported("nested block")
            else:
                item[key] = None
            if i < n and lines[i][0] == col:
                kv = _key(lines[i][1])
                if kv is None:
                    raise Unsupported(lines[i][1])
                i += 1
                continue
            break
        items.append(item)
    if i < n and lines[i][0] != 0:
        raise Unsupported("indentation")
    if i < n and lines[i][1].startswith("-"):
        raise Unsupported("item")
    return items, i


def load_scalar(s: str) -> Any:
    """``yaml.load(s)`` for a one-line document that is one plain or quoted scalar."""
    if not s or not s.isprintable() or s != s.strip(" ") or s.startswith(("---", "...")):
        raise Unsupported(s)
    return _value(s)
