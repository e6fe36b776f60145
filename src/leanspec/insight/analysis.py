"""analyze / split / compact: a spec's shape, and moving or removing line ranges.

Line numbers are 1-based lines of the spec **body** (the text after the closing
``---`` of the frontmatter), as LeanSpec's TS commands counted them; LeanSpec 0.3.0
counted file lines including the frontmatter. ``analyze`` reports the offset
(``frontmatter_lines``) so either numbering can be derived.

Writes go through the store only, inside one project transaction: the README is read
and its hash taken under the lock, the new sub-spec files are written, then the
README with ``expected_hash`` — so a concurrent writer can never interleave and a
crash leaves at worst an extra sub-spec file next to an unchanged README.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidInput

if TYPE_CHECKING:
    from ..core.model import Spec
    from ..project import Project

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})(.*)$")
_TASK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]")


# ===================================================================== scanning
@dataclass
class Heading:
    level: int
    text: str
    line: int  # 1-based within the scanned lines


@dataclass
class CodeBlock:
    start: int
    end: int  # line of the closing fence (== last line if unclosed)
    lang: str
    closed: bool = True


@dataclass
class Outline:
    headings: list[Heading] = field(default_factory=list)
    code_blocks: list[CodeBlock] = field(default_factory=list)
    in_code: set[int] = field(default_factory=set)  # 1-based lines inside fences (fences included)
    open_tasks: list[int] = field(default_factory=list)
    done_tasks: list[int] = field(default_factory=list)


def scan(lines: Sequence[str]) -> Outline:
    """Headings, fenced code blocks and checklist items, code-aware."""
    out = Outline()
    fence: tuple[str, int, str] | None = None  # (marker, start line, lang)
    for i, raw in enumerate(lines, 1):
        line = raw.rstrip("\r")
        m = _FENCE.match(line)
        if fence is not None:
            out.in_code.add(i)
            marker = fence[0]
            if m and m.group(1)[0] == marker[0] and len(m.group(1)) >= len(marker) and not m.group(2).strip():
                out.code_blocks.append(CodeBlock(fence[1], i, fence[2]))
                fence = None
            continue
        if m:
            fence = (m.group(1), i, m.group(2).strip().split(" ")[0] if m.group(2).strip() else "")
            out.in_code.add(i)
            continue
        h = _HEADING.match(line)
        if h:
            out.headings.append(Heading(len(h.group(1)), h.group(2).strip(), i))
            continue
        t = _TASK.match(line)
        if t:
            (out.done_tasks if t.group(1) in "xX" else out.open_tasks).append(i)
    if fence is not None:
        out.code_blocks.append(CodeBlock(fence[1], len(lines), fence[2], closed=False))
    return out


def sections(lines: Sequence[str], outline: Outline | None = None) -> list[dict[str, Any]]:
    """Each heading's section: from the heading to just before the next heading of the
    same or a higher level (or the end)."""
    o = outline or scan(lines)
    out = []
    hs = o.headings
    for k, h in enumerate(hs):
        end = len(lines)
        for nxt in hs[k + 1 :]:
            if nxt.level <= h.level:
                end = nxt.line - 1
                break
        out.append({"heading": h.text, "level": h.level, "start": h.line, "end": end, "lines": end - h.line + 1})
    return out


def split_body(text: str) -> tuple[str, str]:
    """(frontmatter part including the closing line, body) of a spec file."""
    from ..core.frontmatter import Document

    doc = Document.parse(text)
    if not doc.has_frontmatter:
        return "", text
    head = text[: len(text) - len(doc.body)] if text.endswith(doc.body) else ""
    return head, doc.body


# ====================================================================== analyze
def analyze(project: Project, ref: str) -> dict[str, Any]:
    from .tokens import count_tokens

    spec = project.get(ref)
    _name, rel, text = project.read(spec.name)
    head, body = split_body(text)
    lines = body.splitlines()
    o = scan(lines)
    secs = sections(lines, o)
    for s in secs:
        s["tokens"] = count_tokens("\n".join(lines[s["start"] - 1 : s["end"]]))
    tokens = count_tokens(text)
    cfg = project.config
    recs: list[dict[str, str]] = []
    if tokens > cfg.max_tokens:
        recs.append({"severity": "error", "message": f"{tokens} tokens is over {cfg.max_tokens}: split it into sub-specs (lean-spec split)"})
    elif tokens > cfg.warn_tokens:
        recs.append({"severity": "warning", "message": f"{tokens} tokens is over {cfg.warn_tokens}: consider moving detail into sub-specs"})
    elif tokens > 2000:
        recs.append({"severity": "info", "message": f"{tokens} tokens: good, keep an eye on growth"})
    if len(lines) > cfg.max_lines:
        recs.append({"severity": "warning", "message": f"{len(lines)} lines is over {cfg.max_lines}: split or compact it"})
    elif len(lines) > cfg.warn_lines:
        recs.append({"severity": "info", "message": f"{len(lines)} lines is over {cfg.warn_lines}: approaching the limit"})
    top = [s for s in secs if s["level"] == 2]
    big = [s for s in top if s["lines"] > max(60, len(lines) // 3)]
    for s in big:
        recs.append(
            {
                "severity": "info",
                "message": f"section '{s['heading']}' (lines {s['start']}-{s['end']}, {s['tokens']} tokens) is a split candidate: "
                f"lean-spec split {spec.name} --to {_sub_name(s['heading'])}:{s['start']}-{s['end']}",
            }
        )
    if len(o.code_blocks) > 20:
        recs.append({"severity": "warning", "message": f"{len(o.code_blocks)} code blocks: move examples into a sub-spec"})
    if len(lines) > 200 and len(secs) < 8:
        recs.append({"severity": "warning", "message": f"only {len(secs)} sections for {len(lines)} lines: add structure"})
    if not recs:
        recs.append({"severity": "ok", "message": "size and structure look good"})
    return {
        "spec": spec.name,
        "path": rel,
        "tokens": tokens,
        "lines": len(lines),
        "file_lines": len(text.splitlines()),
        "frontmatter_lines": head.count("\n"),
        "sections": secs,
        "code_blocks": [{"start": c.start, "end": c.end, "lang": c.lang, "lines": c.end - c.start + 1} for c in o.code_blocks],
        "checklist": {"done": len(o.done_tasks), "total": len(o.done_tasks) + len(o.open_tasks)},
        "sub_specs": list(spec.sub_specs),
        "recommendations": recs,
    }


def _sub_name(heading: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", heading)
    return ("-".join(words[:3]).upper() or "DETAILS") + ".md"


# ====================================================================== ranges
def parse_range(text: str, *, allow_end: bool = True) -> tuple[int, int | None]:
    """``a-b`` / ``a-end`` / ``a`` → (a, b); ``None`` means the last line."""
    s = text.strip()
    m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+|end|END))?", s)
    if not m:
        raise InvalidInput(f"invalid line range {text!r}: use A-B (1-based body lines), A-end or A")
    a = int(m.group(1))
    b_raw = m.group(2)
    if b_raw is None:
        return a, a
    if b_raw.lower() == "end":
        if not allow_end:
            raise InvalidInput(f"invalid line range {text!r}: 'end' is not allowed here")
        return a, None
    return a, int(b_raw)


def parse_output(spec: str) -> tuple[str, int, int | None]:
    """``FILE:a-b`` for split."""
    if ":" not in spec:
        raise InvalidInput(f"invalid split target {spec!r}: use FILE:A-B, e.g. DESIGN.md:40-120 or DESIGN.md:40-end")
    name, rng = spec.rsplit(":", 1)
    a, b = parse_range(rng)
    return name.strip(), a, b


def _resolve_ranges(ranges: Sequence[tuple[int, int | None]], n: int) -> list[tuple[int, int]]:
    out = []
    for a, b in ranges:
        b2 = n if b is None else b
        if b2 < a and a <= n:
            raise InvalidInput(f"line range {a}-{b2} ends before it starts")
        if a < 1 or b2 < a or b2 > n:
            raise InvalidInput(
                f"line range {a}-{'end' if b is None else b} is outside the body (lines 1-{n})",
                hint="line numbers count body lines after the frontmatter; see `lean-spec analyze`",
            )
        out.append((a, b2))
    srt = sorted(out)
    for (a1, b1), (a2, b2) in zip(srt, srt[1:], strict=False):
        if a2 <= b1:
            raise InvalidInput(f"line ranges {a1}-{b1} and {a2}-{b2} overlap")
    return out


@dataclass
class _Locked:
    """A spec's README as read inside the write transaction, split for line edits."""

    spec: Spec
    source: str  # the README's full text as read
    rel: str
    current_hash: str
    head: str
    lines: list[str]
    newline: str
    trailing: bool

    def text(self, lines: list[str]) -> str:
        return _join(self.head, lines, self.newline, self.trailing)


def _read_locked(project: Project, ref: str, expected_hash: str | None) -> _Locked:
    """Read the README under the caller's transaction and apply the store's own
    expected-hash check (a stale hash is a conflict; nothing is written)."""
    from ..store.specfile import content_hash

    spec = project.get(ref)
    _n, rel, text = project.read(spec.name)
    data = text.encode("utf-8")
    project.store._check_hash(project.root / rel, data, expected_hash)
    head, body = split_body(text)
    return _Locked(
        spec,
        text,
        rel,
        content_hash(data),
        head,
        body.splitlines(),
        "\r\n" if "\r\n" in body else "\n",
        body.endswith(("\n", "\r")),
    )


def _join(head: str, lines: list[str], newline: str, trailing: bool) -> str:
    body = newline.join(lines)
    if trailing and lines:
        body += newline
    return head + body


# ======================================================================== split
def split(
    project: Project,
    ref: str,
    outputs: Sequence[tuple[str, int, int | None]],
    *,
    update_refs: bool = False,
    dry_run: bool = False,
    force: bool = False,
    expected_hash: str | None = None,
) -> dict[str, Any]:
    """Move body line ranges into sub-spec files (one or more ranges per file, in
    order), remove them from the README; ``update_refs`` puts a link where each
    file's first range was. ``force`` overwrites existing sub-spec files."""
    from .tokens import count_tokens

    if not outputs:
        raise InvalidInput("nothing to split: give at least one --to FILE:A-B")
    default = project.config.default_file
    for name, _a, _b in outputs:
        if not name.lower().endswith(".md") or "/" in name or "\\" in name or name.startswith("."):
            raise InvalidInput(f"invalid sub-spec file name {name!r}: a plain NAME.md inside the spec folder is required")
        if name.lower() == default.lower():
            raise InvalidInput(f"cannot split into {default}: that is the spec's main file")
    with project.store.transaction():
        cur = _read_locked(project, ref, expected_hash)
        spec, rel, current_hash, lines = cur.spec, cur.rel, cur.current_hash, cur.lines
        ranges = _resolve_ranges([(a, b) for _f, a, b in outputs], len(lines))
        existing = {f["name"] for f in project.files(spec.name)}
        files: dict[str, list[tuple[int, int]]] = {}
        for (name, _a, _b), rng in zip(outputs, ranges, strict=True):
            files.setdefault(name, []).append(rng)
        clash = [f for f in files if f in existing]
        if clash and not force:
            raise InvalidInput(
                f"{spec.name} already has {', '.join(clash)}; nothing was written",
                hint="pass --force to overwrite, or choose another file name",
            )
        plan = []
        new_files: dict[str, str] = {}
        for name, rngs in files.items():
            chunk: list[str] = []
            for a, b in rngs:
                if chunk and chunk[-1].strip():
                    chunk.append("")
                chunk.extend(lines[a - 1 : b])
            content = cur.newline.join(chunk).strip("\r\n") + cur.newline
            new_files[name] = content
            plan.append(
                {
                    "file": name,
                    "ranges": [[a, b] for a, b in rngs],
                    "lines": sum(b - a + 1 for a, b in rngs),
                    "tokens": count_tokens(content),
                    "overwrite": name in existing,
                }
            )
        # Build the new README body: drop every range; optionally leave a link.
        drop: set[int] = set()
        link_at: dict[int, str] = {}
        for name, rngs in files.items():
            for a, b in rngs:
                drop.update(range(a, b + 1))
            first = min(rngs)[0]
            hs = scan(lines[first - 1 : rngs[0][1]]).headings
            what = hs[0].text if hs else "details"
            link_at[first] = f"See [{name}](./{name}) for {what}."
        new_lines: list[str] = []
        for i, line in enumerate(lines, 1):
            if i in link_at and update_refs:
                new_lines.append(link_at[i])
            if i not in drop:
                new_lines.append(line)
        new_readme = cur.text(new_lines)
        result: dict[str, Any] = {
            "spec": spec.name,
            "path": rel,
            "dry_run": dry_run,
            "files": plan,
            "readme": {"lines_before": len(lines), "lines_after": len(new_lines), "tokens_after": count_tokens(new_readme)},
            "update_refs": update_refs,
            "written": False,
            "content_hash": current_hash,
        }
        if dry_run:
            return result
        for name, content in new_files.items():
            project.write_content(f"{spec.name}/{name}", content)
        wr = project.write_content(spec.name, new_readme, expected_hash=current_hash)
        result["written"] = True
        result["content_hash"] = wr.spec.content_hash
        return result


# ====================================================================== compact
def compact(
    project: Project,
    ref: str,
    removes: Sequence[tuple[int, int | None]],
    *,
    dry_run: bool = False,
    force: bool = False,
    expected_hash: str | None = None,
) -> dict[str, Any]:
    """Delete body line ranges. Without ``force`` it refuses to remove the H1 title or
    open checklist items (that would silently drop tracked work)."""
    if not removes:
        raise InvalidInput("nothing to remove: give at least one --remove A-B")
    with project.store.transaction():
        cur = _read_locked(project, ref, expected_hash)
        spec, rel, current_hash, lines = cur.spec, cur.rel, cur.current_hash, cur.lines
        ranges = _resolve_ranges(removes, len(lines))
        drop: set[int] = set()
        for a, b in ranges:
            drop.update(range(a, b + 1))
        o = scan(lines)
        if not force:
            h1 = [h.line for h in o.headings if h.level == 1 and h.line in drop]
            if h1:
                raise InvalidInput(f"line {h1[0]} is the spec's title; nothing was removed", hint="pass --force to remove it anyway")
            open_items = [i for i in o.open_tasks if i in drop]
            if open_items:
                raise InvalidInput(
                    f"the ranges remove {len(open_items)} open checklist item(s) (line {open_items[0]}); nothing was removed",
                    hint="check them off first, or pass --force",
                )
        new_lines = [ln for i, ln in enumerate(lines, 1) if i not in drop]
        new_text = cur.text(new_lines)
        from .tokens import count_tokens

        before, after = count_tokens(cur.source), count_tokens(new_text)
        result: dict[str, Any] = {
            "spec": spec.name,
            "path": rel,
            "dry_run": dry_run,
            "removed": [{"start": a, "end": b, "lines": b - a + 1, "preview": lines[a - 1][:80]} for a, b in ranges],
            "lines_before": len(lines),
            "lines_after": len(new_lines),
            "tokens_before": before,
            "tokens_after": after,
            "written": False,
            "content_hash": current_hash,
        }
        if dry_run:
            return result
        wr = project.write_content(spec.name, new_text, expected_hash=current_hash)
        result["written"] = True
        result["content_hash"] = wr.spec.content_hash
        return result
