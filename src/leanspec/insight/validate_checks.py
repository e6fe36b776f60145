"""The checks ``validate`` runs on one spec: frontmatter, structure, size and tokens,
markdown corruption, sub-spec files and links, dependency alignment, completion (open
items on complete specs). Each appends ``Issue``s to a ``Context``; ``validate``
chooses which run and caches their results.
"""


from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core import datetimes as _dt
from ..core.errors import LeanSpecError
from ..core.model import PRIORITIES, STATUSES, Spec
from ..store.specfile import read_spec_file as _read  # the store owns spec file reads
from .analysis import scan, sections

if TYPE_CHECKING:
    from ..project import Project

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_SPEC_MENTION = re.compile(r"(?<![\w.-])(?:spec[ -]?#?(\d{3})\b|(\d{3})-[a-z][a-z0-9-]*)", re.IGNORECASE)
_DEP_PHRASE = re.compile(
    r"\b(?:depends on|blocked by|requires|prerequisite:?|builds on|extends)\s+(?:spec\s*)?#?(\d{2,4})\b", re.IGNORECASE
)


@dataclass
class Issue:
    spec: str
    path: str
    rule: str
    severity: str
    message: str
    line: int | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "path": self.path,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "line": self.line,
            "suggestion": self.suggestion,
        }


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)
    specs: list[str] = field(default_factory=list)

    def count(self, severity: str) -> int:
        return sum(1 for i in self.issues if i.severity == severity)

    @property
    def ok(self) -> bool:
        return self.count("error") == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": {
                "errors": self.count("error"),
                "warnings": self.count("warning"),
                "infos": self.count("info"),
                "specs": len(self.specs),
            },
            "issues": [i.to_dict() for i in self.issues],
        }


# ====================================================================== context
@dataclass
class Context:
    project: Project
    spec: Spec
    text: str  # README as stored
    offset: int  # file lines before the body
    fm_lines: dict[str, int]  # key -> file line
    body_lines: list[str]
    issues: list[Issue]
    tokens: Any = None  # tokens.TokenCache
    root: str = ""  # str(project.root), computed once (str(Path) per file adds up)

    def add(self, rule: str, severity: str, message: str, line: int | None = None, suggestion: str | None = None, path: str | None = None) -> None:
        self.issues.append(Issue(self.spec.name, path or self.spec.path, rule, severity, message, line, suggestion))

    def fline(self, body_line: int) -> int:
        return body_line + self.offset


def fm_positions(text: str) -> tuple[int, dict[str, int]]:
    from ..core.frontmatter import Document

    doc = Document.parse(text)
    if not doc.has_frontmatter:
        return 0, {}
    # _spans: key -> span of frontmatter line indices (0-based, after the opening ---).
    pos = {k: sp.start + 2 for k, sp in getattr(doc, "_spans", {}).items()}
    return len(doc.fm_lines) + 2, pos


# ================================================================== validators
def frontmatter(c: Context, names: set[str]) -> None:
    fm = c.spec.frontmatter
    R = "frontmatter"
    if not fm:
        c.add(R, "error", "no frontmatter (status and created are required)", 1, "add a --- block with status: planned and created: YYYY-MM-DD")
        return
    st = fm.get("status")
    if st in (None, ""):
        c.add(R, "error", "missing required field 'status'", 1, "add status: planned")
    elif str(st) not in STATUSES:
        c.add(R, "error", f"invalid status {st!r} (use one of {', '.join(STATUSES)})", c.fm_lines.get("status"), "lean-spec update SPEC --status planned")
    cr = fm.get("created")
    if cr in (None, ""):
        c.add(R, "error", "missing required field 'created'", 1, "add created: YYYY-MM-DD")
    elif not _is_date(cr):
        c.add(R, "error", f"invalid created date {cr!r} (use YYYY-MM-DD)", c.fm_lines.get("created"))
    pr = fm.get("priority")
    if pr not in (None, "") and str(pr) not in PRIORITIES:
        c.add(R, "error", f"invalid priority {pr!r} (use one of {', '.join(PRIORITIES)})", c.fm_lines.get("priority"))
    tags = fm.get("tags")
    if tags is not None and not isinstance(tags, list):
        c.add(R, "error", "tags must be a list", c.fm_lines.get("tags"), "tags:\n  - one\n  - two")
    elif isinstance(tags, list):
        for t in tags:
            if isinstance(t, str) and " " in t.strip():
                c.add(R, "warning", f"tag {t!r} contains spaces", c.fm_lines.get("tags"), "use dashes: " + "-".join(t.split()))
    for key in ("updated", "completed", "due"):
        v = fm.get(key)
        if v not in (None, "") and not _is_date(v):
            c.add(R, "warning", f"invalid {key} date {v!r} (use YYYY-MM-DD)", c.fm_lines.get(key))
    deps = fm.get("depends_on")
    if deps is not None and not isinstance(deps, (list, str)):
        c.add(R, "error", "depends_on must be a list of specs", c.fm_lines.get("depends_on"))
    for d in c.spec.depends_on:
        target = _ref_name(d, names)
        if target == c.spec.name:
            c.add(R, "error", "a spec cannot depend on itself", c.fm_lines.get("depends_on"), f"lean-spec unlink {c.spec.name} {d}")
        elif target is None:
            c.add(R, "warning", f"depends_on names an unknown spec {d!r}", c.fm_lines.get("depends_on"), f"lean-spec unlink {c.spec.name} {d}")
    par = c.spec.parent
    if par is not None:
        target = _ref_name(par, names)
        if target == c.spec.name:
            c.add(R, "error", "a spec cannot be its own parent", c.fm_lines.get("parent"))
        elif target is None:
            c.add(R, "warning", f"parent names an unknown spec {par!r}", c.fm_lines.get("parent"))


def _is_date(v: Any) -> bool:
    if isinstance(v, _dt.date):
        return True
    if not isinstance(v, str) or not _DATE.match(v.strip()):
        return False
    try:
        _dt.date.fromisoformat(v.strip())
        return True
    except ValueError:
        return False


class NameSet(set[str]):
    """Every spec name, plus an index by leading number for ``_ref_name``."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__(names)
        self.by_head: dict[int, list[str]] = {}
        for n in self:
            head = n.split("-", 1)[0]
            if head.isdigit():
                self.by_head.setdefault(int(head), []).append(n)


def _ref_name(ref: str, names: set[str]) -> str | None:
    r = ref.strip().rstrip("/").rsplit("/", 1)[-1]
    if r in names:
        return r
    if r.isdigit():
        if isinstance(names, NameSet):
            hits = names.by_head.get(int(r), [])
        else:
            hits = [n for n in names if n.split("-", 1)[0].isdigit() and int(n.split("-", 1)[0]) == int(r)]
        return hits[0] if len(hits) == 1 else None
    return None


def structure(c: Context, strict: bool) -> None:
    R = "structure"
    o = scan(c.body_lines)
    h1 = [h for h in o.headings if h.level == 1]
    if not h1 and not (isinstance(c.spec.frontmatter.get("title"), str) and c.spec.frontmatter["title"].strip()):
        c.add(R, "error", "no H1 title (# Title)", c.fline(1), "add '# <title>' as the first heading")
    # Duplicate headings: the same text at the same level under the same parent is
    # ambiguous (`update --section` cannot tell them apart).
    seen: dict[tuple[str, ...], int] = {}
    stack: list[tuple[int, str]] = []
    for h in o.headings:
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        key = (*[t for _l, t in stack], f"{h.level}:{h.text.strip().lower()}")
        if key in seen:
            c.add(R, "error", f"duplicate heading '{'#' * h.level} {h.text}' (first at line {c.fline(seen[key])})", c.fline(h.line), "rename or merge one of them")
        else:
            seen[key] = h.line
        stack.append((h.level, h.text.strip().lower()))
    required = list(c.project.config.required_sections or ())
    if required:
        secs = sections(c.body_lines, o)
        by_name = {s["heading"].strip().lower(): s for s in secs if s["level"] >= 2}
        for name in required:
            s = by_name.get(str(name).strip().lower())
            if s is None:
                c.add(R, "error" if strict else "warning", f"missing required section '## {name}'", None, f"add a '## {name}' section")
            else:
                content = [ln for ln in c.body_lines[s["start"] : s["end"]] if ln.strip() and not ln.lstrip().startswith("<!--")]
                if not content:
                    c.add(R, "warning", f"required section '{name}' is empty", c.fline(s["start"]))


def line_count(c: Context, max_lines: int, warn_lines: int) -> None:
    n = len(c.text.splitlines())
    if n > max_lines:
        c.add("line-count", "warning", f"{n} lines is over the limit of {max_lines}", None, f"lean-spec analyze {c.spec.name}, then split or compact it")
    elif n > warn_lines:
        c.add("line-count", "info", f"{n} lines: approaching the limit of {max_lines}", None)


def complexity(c: Context, tokens: int, max_tokens: int, warn_tokens: int) -> None:
    R = "complexity"
    split_hint = f"lean-spec analyze {c.spec.name}; lean-spec split {c.spec.name} --to DESIGN.md:A-B"
    if tokens > max_tokens:
        c.add(R, "error", f"{tokens} tokens is over {max_tokens}: the spec should be split", None, split_hint)
    elif tokens > warn_tokens:
        c.add(R, "warning", f"{tokens} tokens is over {warn_tokens}: consider splitting", None, split_hint)
    elif tokens > 2000:
        c.add(R, "info", f"{tokens} tokens: still fine; use sub-specs if it keeps growing", None)
    o = scan(c.body_lines)
    n_lines = len(c.body_lines)
    n_sections = len(o.headings)
    if n_lines > 200 and n_sections < 8:
        c.add(R, "warning", f"only {n_sections} sections for {n_lines} lines", None, "add headings to structure it")
    if len(o.code_blocks) > 20:
        c.add(R, "warning", f"{len(o.code_blocks)} code blocks", None, "move examples into a sub-spec (e.g. EXAMPLES.md)")


def corruption(c: Context, lines: list[str], offset: int, path: str | None = None) -> None:
    R = "corruption"
    o = scan(lines)
    for cb in o.code_blocks:
        if not cb.closed:
            c.add(R, "error", "code block opened here is never closed (```)", cb.start + offset, "add the closing ``` line", path)
    # Unclosed emphasis, per paragraph, outside code.
    para: list[tuple[int, str]] = []

    def flush() -> None:
        if not para:
            return
        text_lines = []
        for i, ln in para:
            s = _INLINE_CODE.sub(lambda m: "x" * len(m.group()), ln)
            s = s.replace("\\*", "  ")
            s = re.sub(r"^\s*[*+-]\s+", "", s)  # list bullets
            s = re.sub(r"^\s*(\*\s*){3,}$", "", s)  # horizontal rule
            text_lines.append((i, s))
        bold = [(i, m.start()) for i, s in text_lines for m in re.finditer(r"\*\*", s) if _delimiter(s, m.start(), 2)]
        if len(bold) % 2:
            c.add(R, "error", "unclosed bold marker (**)", bold[-1][0] + offset, "close it with ** or escape it as \\*\\*", path)
        ital = []
        for i, s in text_lines:
            s2 = s.replace("**", "  ")
            for m in re.finditer(r"\*", s2):
                if _delimiter(s2, m.start(), 1):
                    ital.append(i)
        if len(ital) % 2:
            c.add(R, "error", "unclosed italic marker (*)", ital[-1] + offset, "close it with * or escape it as \\*", path)
        para.clear()

    for i, ln in enumerate(lines, 1):
        if i in o.in_code or not ln.strip() or ln.lstrip().startswith(("<!--", "|", "#")):
            flush()
            if ln.lstrip().startswith("#") and i not in o.in_code:
                para.append((i, ln.lstrip("#")))
                flush()
            continue
        para.append((i, ln))
    flush()
    # Duplicated 8-line blocks (copy/paste or merge accidents).
    win = 8
    seen: dict[str, int] = {}
    skip_until = 0
    for i in range(0, max(0, len(lines) - win + 1)):
        if i < skip_until:
            continue
        block = lines[i : i + win]
        if not all(ln.strip() for ln in block[:1]) or any(k + 1 in o.in_code for k in range(i, i + win)):
            continue
        joined = "\n".join(ln.rstrip() for ln in block)
        if len(joined.strip()) < 200 or sum(1 for ln in block if ln.strip()) < 4:
            continue
        key = hashlib.sha1(joined.encode()).hexdigest()
        first = seen.get(key)
        if first is not None and i >= first + win:
            c.add(R, "warning", f"lines {i + 1 + offset}-{i + win + offset} duplicate lines {first + 1 + offset}-{first + win + offset}", i + 1 + offset, "remove the copy (lean-spec compact)", path)
            skip_until = i + win
        elif first is None:
            seen[key] = i


def _delimiter(s: str, k: int, width: int) -> bool:
    """Could the ``*``/``**`` at ``k`` open or close emphasis? Not with spaces on both
    sides (``a * b``), nor when it is quoted or bracketed as a literal (``(**)``,
    ``"*"``) or part of a path glob (``specs/**/x``, ``*.md``)."""
    before = s[k - 1] if k else " "
    after = s[k + width] if k + width < len(s) else " "
    if before.isspace() and after.isspace():
        return False
    if before + after in ("()", "[]", "{}", '""', "''", "//", "<>"):
        return False
    return not (after == "." and (before.isspace() or before == "/") and width == 1)


def sub_specs(c: Context, max_lines: int, readme_links: list[tuple[str, int]], results: Any = None) -> None:
    R = "sub-specs"
    default = c.project.config.default_file
    spec_dir = os.path.dirname(c.spec.path)
    subs = [n for n in c.spec.sub_specs if n != default]
    docs = [n for n in subs if n.lower().endswith(".md")]
    own_files = {default, *subs}
    linked = {os.path.normpath(t.split("#", 1)[0]) for t, _line in readme_links}
    for name in docs:
        fpath = f"{spec_dir}/{name}" if spec_dir else name
        stem = name.rsplit(".", 1)[0]
        if stem != stem.upper():
            c.add(R, "warning", f"sub-spec {name} is not upper-case", None, f"rename it to {stem.upper()}.md", fpath)
        try:
            data, text = _read(c.root, fpath, c.spec.name, name)
        except LeanSpecError as exc:
            c.add(R, "error", f"sub-spec {name} cannot be read: {exc.message}", None, None, fpath)
            continue
        rel = fpath
        # What depends on the file's bytes alone, remembered by their hash.
        rec = results.get(f"sub:{hashlib.sha256(data).hexdigest()}:{rel}") if results is not None else {}
        if "tokens" not in rec:
            lines = text.splitlines()
            tokens = c.tokens.count(text, data=data) if c.tokens is not None else _count(text)
            o = scan(lines)
            sink = Context(c.project, c.spec, "", 0, {}, [], [])
            corruption(sink, lines, 0, rel)
            rec.update(
                tokens=tokens,
                sections=len(o.headings),
                lines=len(lines),
                links=find_links(lines),
                corruption=[pack_issue(i) for i in sink.issues],
            )
            if results is not None:
                results.dirty = True
        tokens = rec["tokens"]
        n_lines = rec["lines"]
        score = 60 if tokens >= 5000 else 40 if tokens >= 3500 else 20 if tokens >= 2000 else 0
        n_sec = rec["sections"]
        if 15 <= n_sec <= 35:
            score -= 15
        elif n_sec < 8 and tokens >= 2000:
            score += 10
        score = max(0, score)
        if score > 50:
            c.add(R, "error", f"sub-spec {name} is too complex (score {score}: {tokens} tokens, {n_sec} sections)", None, "split it further", rel)
        elif score > 25:
            c.add(R, "warning", f"sub-spec {name} is getting complex (score {score}: {tokens} tokens, {n_sec} sections)", None, "consider splitting it", rel)
        if n_lines > max_lines:
            c.add(R, "warning", f"sub-spec {name} has {n_lines} lines (limit {max_lines})", None, None, rel)
        if name not in linked and f"./{name}" not in linked:
            c.add(R, "warning", f"sub-spec {name} is not linked from {default} (orphan)", None, f"add [{name}](./{name}) to {default}", rel)
        _check_links(c, rec["links"], 0, rel, spec_dir, own_files)
        unpack_issues(c, rec["corruption"])
    _check_links(c, readme_links, c.offset, c.spec.path, spec_dir, own_files)


def pack_issue(i: Issue) -> tuple[Any, ...]:
    """An issue of the current spec as plain data (the spec name is not stored)."""
    return (i.path, i.rule, i.severity, i.message, i.line, i.suggestion)


def unpack_issues(c: Context, packed: list[tuple[Any, ...]]) -> None:
    for path, rule, severity, message, line, suggestion in packed:
        c.issues.append(Issue(c.spec.name, path, rule, severity, message, line, suggestion))


def _count(text: str) -> int:
    from .tokens import count_tokens

    return count_tokens(text)


def find_links(lines: list[str]) -> list[tuple[str, int]]:
    o = scan(lines)
    out = []
    for i, ln in enumerate(lines, 1):
        if i in o.in_code:
            continue
        s = _INLINE_CODE.sub("", ln)
        for m in _LINK.finditer(s):
            out.append((m.group(1) or m.group(2), i))
    return out


def _check_links(c: Context, links: list[tuple[str, int]], offset: int, path: str, spec_dir: str, own_files: set[str]) -> None:
    """Report relative links (from ``find_links``) whose target does not exist (checked on
    disk every run: another folder's files can appear or vanish)."""
    for target, line in links:
        t = target.strip("<>")
        if re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) or t.startswith(("#", "/")):
            continue  # URLs, mailto:, anchors, site-absolute paths
        t = t.split("#", 1)[0].split("?", 1)[0]
        if not t:
            continue
        from urllib.parse import unquote

        t = unquote(t)
        norm = os.path.normpath(t)
        if "/" not in norm and norm in own_files:
            continue
        if not os.path.exists(os.path.join(c.root, spec_dir, norm)):
            c.add("sub-specs", "warning", f"broken link: {target}", line + offset, "fix the path or remove the link", path)


def find_mentions(lines: list[str]) -> list[tuple[int, list[int]]]:
    """(line, spec numbers mentioned on it) for every line outside code that has any."""
    o = scan(lines)
    out = []
    for i, ln in enumerate(lines, 1):
        if i in o.in_code:
            continue
        found: list[int] = []
        for m in _SPEC_MENTION.finditer(ln):
            found.append(int(m.group(1) or m.group(2)))
        for m in _DEP_PHRASE.finditer(ln):
            found.append(int(m.group(1)))
        if found:
            out.append((i, found))
    return out


def dependency_alignment(c: Context, by_number: dict[int, list[str]], strict: bool, mentions: list[tuple[int, list[int]]] | None = None) -> None:
    deps = {d.strip().rstrip("/").rsplit("/", 1)[-1] for d in c.spec.depends_on}
    dep_numbers = set()
    for d in deps:
        head = d.split("-", 1)[0]
        if head.isdigit():
            dep_numbers.add(int(head))
    own = c.spec.number
    parent = c.spec.parent
    reported: set[int] = set()
    for i, found in mentions if mentions is not None else find_mentions(c.body_lines):
        for num in found:
            if num == own or num in dep_numbers or num in reported:
                continue
            names = by_number.get(num)
            if not names or len(names) != 1:
                continue
            if parent and parent.split("-", 1)[0].isdigit() and int(parent.split("-", 1)[0]) == num:
                continue
            reported.add(num)
            c.add(
                "dependency-alignment",
                "error" if strict else "warning",
                f"mentions spec {names[0]} but does not list it in depends_on",
                c.fline(i),
                f"lean-spec link {c.spec.name} --depends-on {names[0]}",
            )


def children_index(all_specs: Sequence[Spec]) -> dict[str, list[tuple[int, Spec]]]:
    """Specs by the last path segment of their ``parent`` (in load order)."""
    out: dict[str, list[tuple[int, Spec]]] = {}
    for i, s in enumerate(all_specs):
        if s.parent:
            out.setdefault(s.parent.strip().rsplit("/", 1)[-1], []).append((i, s))
    return out


def count_open_tasks(lines: list[str]) -> tuple[int, int | None]:
    """(number of open checklist items, body line of the first)."""
    o = scan(lines)
    return len(o.open_tasks), (o.open_tasks[0] if o.open_tasks else None)


def completion(
    c: Context,
    all_specs: Sequence[Spec],
    children: dict[str, list[tuple[int, Spec]]] | None = None,
    open_tasks: tuple[int, int | None] | None = None,
    open_severity: str = "warning",
) -> None:
    if c.spec.status != "complete":
        return
    n_open, first_open = open_tasks if open_tasks is not None else count_open_tasks(c.body_lines)
    if n_open and open_severity != "off":
        assert first_open is not None
        c.add(
            "completion",
            open_severity,
            f"status is complete but {n_open} checklist item(s) are open",
            c.fline(first_open),
            f"check them off (lean-spec update {c.spec.name} --check TEXT) or set the status back",
        )
    if children is None:
        children = children_index(all_specs)
    keys = {c.spec.name, str(c.spec.number)}
    kids = [s for _i, s in sorted((p for k in keys for p in children.get(k, ())), key=lambda p: p[0])]
    kids = [s for s in kids if s.status not in ("complete", "archived")]
    if kids:
        c.add(
            "completion",
            "error",
            f"status is complete but {len(kids)} child spec(s) are not: {', '.join(k.name for k in kids[:5])}",
            c.fm_lines.get("status"),
            "complete the children first",
        )


