"""Analysis commands: search, validate, tokens, analyze, split, compact."""

from __future__ import annotations

from ._app import Ctx, Outcome, Progress, resume_gc

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import argparse
    from typing import Any

SEVERITY_COLOR = {"error": "red", "warning": "yellow", "info": "blue", "ok": "green"}


TEXT_LIMIT = 20  # default number of results printed as text


# register() accepts only=COMMAND (cli._main passes it when the run's command is known):
# just that sub-parser is built (argparse calls for the others cost ~1-2 ms per run).
REGISTER_ONE = True


def register(sub: Any, common: argparse.ArgumentParser, only: str | None = None) -> None:
    # ------------------------------------------------------------------ search
    if only in (None, "search"):
        p = sub.add_parser(
            "search",
            parents=[common],
            help="search specs (AND/OR/NOT, phrases, field filters, fuzzy)",
            description="Search specs with LeanSpec's query syntax (see --help-syntax). A malformed query is an error, never an empty result.",
        )
        p.add_argument("query", nargs="*", help="query words (joined with spaces)")
        p.add_argument("-s", "--status", action="append", default=[], help="pre-filter by status (repeatable, comma-separated)")
        p.add_argument("-t", "--tag", action="append", default=[], help="pre-filter by tag (all must match)")
        p.add_argument("-p", "--priority", action="append", default=[], help="pre-filter by priority")
        p.add_argument("-a", "--assignee", help="pre-filter by assignee")
        p.add_argument("--field", action="append", default=[], metavar="KEY=VALUE", help="pre-filter by a frontmatter field")
        p.add_argument("-l", "--limit", type=int, help=f"at most N results (text default {TEXT_LIMIT}; --json default: all)")
        p.add_argument("--archived", action="store_true", help="include archived specs")
        p.add_argument("--help-syntax", action="store_true", help="explain the query syntax and exit")
        p.set_defaults(func=cmd_search)

    # ---------------------------------------------------------------- validate
    if only in (None, "validate"):
        p = sub.add_parser(
            "validate",
            parents=[common],
            help="check specs: frontmatter, structure, size, corruption, sub-specs, completion",
            description="Validate specs (all, or the ones named). Exit status 1 if any error (unless --warnings-only).",
        )
        p.add_argument("specs", nargs="*", help="spec references (default: every spec, archived included)")
        p.add_argument("--max-lines", type=int, help="override validation.maxLines")
        p.add_argument("--check-deps", action="store_true", help="also check body mentions of specs against depends_on")
        p.add_argument("--strict", action="store_true", help="treat warnings as errors")
        p.add_argument("--warnings-only", action="store_true", help="report errors but exit 0")
        p.add_argument("--rule", action="append", default=[], metavar="NAME", help="only this rule (repeatable)")
        p.add_argument("--format", choices=("default", "compact", "json"), default="default", help="output format")
        p.add_argument("-v", "--verbose", action="store_true", help="show infos and suggestions")
        p.set_defaults(func=cmd_validate)

    # ------------------------------------------------------------------ tokens
    if only in (None, "tokens"):
        p = sub.add_parser(
            "tokens",
            parents=[common],
            help="count tokens (cl100k_base, offline)",
            description="Count a spec's tokens (OpenAI cl100k_base, computed locally), or every spec's with --all.",
        )
        p.add_argument("spec", nargs="?", help="spec reference (omit with --all)")
        p.add_argument("--all", action="store_true", help="every spec")
        p.add_argument("--detailed", action="store_true", help="per-file breakdown")
        p.add_argument("--include-sub-specs", action="store_true", help="count sub-spec .md files too")
        p.add_argument("--archived", action="store_true", help="with --all: include archived specs")
        p.add_argument("--sort-by", choices=("tokens", "lines", "name"), default="tokens", help="with --all: sort order")
        p.set_defaults(func=cmd_tokens)

    # ----------------------------------------------------------------- analyze
    if only in (None, "analyze"):
        p = sub.add_parser(
            "analyze",
            parents=[common],
            help="a spec's size and structure, with split suggestions",
            description="Show a spec's tokens, lines, sections (with body line ranges), code blocks, checklist and recommendations.",
        )
        p.add_argument("spec")
        p.add_argument("-v", "--verbose", action="store_true", help="also list code blocks and every section level")
        p.set_defaults(func=cmd_analyze)

    # ------------------------------------------------------------------- split
    if only in (None, "split"):
        # The shared options define -o/--output (text|json). LeanSpec's split also uses
        # --output FILE:A-B, which clashed in 0.3.0. Here split gets its own copy of the
        # shared options with --output re-assigned: -o stays the output format,
        # --output/--to take FILE:A-B.
        from .commands import private_common

        split_common = private_common(common)
        p = sub.add_parser(
            "split",
            parents=[split_common],
            conflict_handler="resolve",
            help="move body line ranges into sub-spec files",
            description="Move line ranges of a spec's body into sub-spec files (e.g. --to DESIGN.md:40-120). Line numbers count body lines after the frontmatter (see `analyze`).",
        )
        p.add_argument("spec")
        p.add_argument("--to", "--output", dest="split_output", action="append", default=[], metavar="FILE:A-B", help="FILE:A-B or FILE:A-end (repeatable)")
        p.add_argument("--update-refs", action="store_true", help="leave a link to the new file where the text was")
        p.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
        p.add_argument("--force", action="store_true", help="overwrite existing sub-spec files")
        p.add_argument("--expected-hash", help="refuse unless the README's SHA-256 (or 12+ digit prefix) matches")
        p.set_defaults(func=cmd_split)

    # ----------------------------------------------------------------- compact
    if only in (None, "compact"):
        p = sub.add_parser(
            "compact",
            parents=[common],
            help="remove body line ranges from a spec",
            description="Remove line ranges (body lines after the frontmatter) from a spec. Refuses to drop the title or open checklist items without --force.",
        )
        p.add_argument("spec")
        p.add_argument("--remove", action="append", default=[], metavar="A-B", help="line range to remove (repeatable; A-end allowed)")
        p.add_argument("--dry-run", action="store_true", help="show what would go, write nothing")
        p.add_argument("--force", action="store_true", help="also remove the title or open checklist items")
        p.add_argument("--expected-hash", help="refuse unless the README's SHA-256 (or 12+ digit prefix) matches")
        p.set_defaults(func=cmd_compact)


# ======================================================================== search
def _highlight(ctx: Ctx, text: str, spans: list[list[int]]) -> str:
    out, pos = [], 0
    for a, b in spans:
        out.append(text[pos:a])
        frag = text[a:b]
        out.append(ctx.c(frag, "bold", "yellow") if ctx.color else f"«{frag}»")
        pos = b
    out.append(text[pos:])
    return "".join(out)


def _csv(values: list[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def cmd_search(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.search import SYNTAX_HELP

    if a.help_syntax:
        return Outcome({"syntax": SYNTAX_HELP}, SYNTAX_HELP)
    import gc

    # The listing's 10,000 spec objects live to the end and none is garbage: the first
    # cyclic collection after the load would re-walk all of them (~15 ms) for nothing.
    was = gc.isenabled()
    gc.disable()
    try:
        return _search(ctx, a)
    finally:
        if was:
            resume_gc()


def _search(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput
    from ..core.listing import make_filter
    from ..insight.search import search, uses_index
    from ..insight.searchindex import synced

    query = " ".join(a.query)
    if a.limit is not None and a.limit < 1:
        raise InvalidInput("--limit must be at least 1")
    status = _csv(a.status)
    f = make_filter(
        status=status,
        tags=_csv(a.tag),
        priority=_csv(a.priority),
        assignee=a.assignee,
        fields=a.field,
        include_archived=True,
    )
    loaded = ctx.project.load(include_archived=True)
    specs = f.apply(loaded.specs)  # = [s for s in specs if f.matches(s)], the no-filter case in one copy
    # People read the best few; scripts (--json) get every result unless they pass --limit.
    limit = a.limit if a.limit is not None else (None if ctx.json else TEXT_LIMIT)
    res = search(specs, query, limit=limit, include_archived=a.archived or "archived" in status, index=synced(ctx.project.root, loaded.specs) if uses_index(query) else None)
    res["problems"] = [p.to_dict() for p in loaded.problems]
    lines = []
    n = res["total"]
    shown = len(res["results"])
    head = f"{n} result{'s' if n != 1 else ''} for {query!r}"
    if shown < n:
        head += f" (showing {shown}; --limit N for more)"
    lines.append(ctx.c(head, "bold"))
    for r in res["results"]:
        s = r["spec"]
        tags = ctx.c("  #" + " #".join(s["tags"]), "gray") if s["tags"] else ""
        lines.append("")
        score = ctx.c(f"score {r['score']}", "gray")
        lines.append(f"{ctx.c(s['name'], 'bold')}  {s['title']}  [{s['status']}]  {score}{tags}")
        for m in r["matches"][:4]:
            where = f"L{m['line']}" if m["line"] is not None else m["field"]
            lines.append(f"  {ctx.c(where + ':', 'cyan')} {_highlight(ctx, m['text'], m['highlights'])}")
        if len(r["matches"]) > 4:
            lines.append(ctx.c(f"  … {len(r['matches']) - 4} more (--json lists them)", "gray"))
    warn = [f"warning: {p.reason}" for p in loaded.problems]
    if res.get("capped"):
        from ..insight.textmatch import MAX_BODY_CHARS

        names = ", ".join(res["capped"][:5]) + (", …" if len(res["capped"]) > 5 else "")
        warn.append(f"note: only the first {MAX_BODY_CHARS:,} characters of a body are searched; longer: {names}")
    return Outcome(res, lines, 0, warn)


# ====================================================================== validate
def cmd_validate(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.validate import validate_project

    if a.format == "json":
        ctx.json = True
    prog = Progress(ctx, "validate")  # a counter on stderr, only on a terminal
    try:
        report = validate_project(
            ctx.project,
            a.specs or None,
            check_deps=a.check_deps,
            rules=a.rule or None,
            strict=a.strict,
            max_lines=a.max_lines,
            progress=prog if prog.on else None,
        )
    finally:
        prog.done()
    data = report.to_dict()
    code = 0 if report.ok or a.warnings_only else 1
    issues = report.issues
    if ctx.quiet:
        issues = [i for i in issues if i.severity == "error"]
    elif not a.verbose:
        issues = [i for i in issues if i.severity != "info"]
    lines: list[str] = []
    if a.format == "compact":
        for i in issues:
            loc = f"{i.path}:{i.line}" if i.line else i.path
            lines.append(f"{loc}: {i.severity} [{i.rule}] {i.message}")
    else:
        current = None
        for i in issues:
            if i.path != current:
                if current is not None:
                    lines.append("")
                lines.append(ctx.c(i.path, "bold"))
                current = i.path
            loc = f"{i.line}" if i.line else "-"
            sev = ctx.c(f"{i.severity:<7}", SEVERITY_COLOR.get(i.severity, "gray"))
            lines.append(f"  {loc:>5}  {sev}  {i.message}  {ctx.c(i.rule, 'gray')}")
            if a.verbose and i.suggestion:
                lines.append(f"         {ctx.c('→ ' + i.suggestion, 'gray')}")
    s = data["summary"]
    if lines:
        lines.append("")
    mark = ctx.c("✓", "green") if report.ok else ctx.c("✖", "red")
    lines.append(
        f"{mark} {s['errors']} error{'s' if s['errors'] != 1 else ''}, {s['warnings']} warning{'s' if s['warnings'] != 1 else ''}, "
        f"{s['infos']} info{'s' if s['infos'] != 1 else ''} in {s['specs']} spec{'s' if s['specs'] != 1 else ''}"
    )
    return Outcome(data, lines, code)


# ======================================================================== tokens
def cmd_tokens(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.errors import InvalidInput
    from ..insight.tokens import ENCODING, project_tokens, spec_tokens

    if a.spec and a.all:
        raise InvalidInput("give a spec or --all, not both")
    if a.spec:
        d = spec_tokens(ctx.project, a.spec, include_sub_specs=a.include_sub_specs)
        d["encoding"] = ENCODING
        lines = [f"{ctx.c(d['spec'], 'bold')}: {d['total']:,} tokens, {d['lines']:,} lines"]
        if a.detailed or len(d["files"]) > 1:
            for f in d["files"]:
                lines.append(f"  {f['name']:<32} {f['tokens']:>8,} tokens {f['lines']:>6,} lines")
        lines.append(ctx.c(_size_note(ctx, d["files"][0]["tokens"]), "gray"))
        return Outcome(d, lines)
    d = project_tokens(ctx.project, include_sub_specs=a.include_sub_specs, include_archived=a.archived, sort_by=a.sort_by)
    d["encoding"] = ENCODING
    lines = []
    for r in d["specs"]:
        lines.append(f"{r['spec']:<48} {r['total']:>8,} tokens {r['lines']:>6,} lines")
        if a.detailed:
            for f in r["files"]:
                lines.append(ctx.c(f"    {f['name']:<44} {f['tokens']:>8,}        {f['lines']:>6,}", "gray"))
    lines.append(ctx.c(f"{d['count']} specs, {d['total']:,} tokens, {d['lines']:,} lines ({ENCODING})", "bold"))
    return Outcome(d, lines)


def _size_note(ctx: Ctx, tokens: int) -> str:
    cfg = ctx.project.config
    if tokens > cfg.max_tokens:
        return f"over {cfg.max_tokens}: split it (lean-spec analyze)"
    if tokens > cfg.warn_tokens:
        return f"over {cfg.warn_tokens}: consider splitting"
    return "size is fine"


# ======================================================================= analyze
def cmd_analyze(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.analysis import analyze

    d = analyze(ctx.project, a.spec)
    lines = [
        ctx.c(d["spec"], "bold"),
        f"  tokens {d['tokens']:,}   body lines {d['lines']} (file {d['file_lines']}, frontmatter {d['frontmatter_lines']})",
        f"  sections {len(d['sections'])}   code blocks {len(d['code_blocks'])}   checklist {d['checklist']['done']}/{d['checklist']['total']}"
        + (f"   sub-specs {', '.join(d['sub_specs'])}" if d["sub_specs"] else ""),
        "",
        ctx.c("Sections (body lines)", "bold"),
    ]
    for s in d["sections"]:
        if s["level"] > 3 and not a.verbose:
            continue
        indent = "  " * (s["level"] - 1)
        lines.append(f"  {s['start']:>4}-{s['end']:<4} {s['tokens']:>6,} tok  {indent}{'#' * s['level']} {s['heading']}")
    if a.verbose and d["code_blocks"]:
        lines += ["", ctx.c("Code blocks", "bold")]
        for c in d["code_blocks"]:
            lines.append(f"  {c['start']:>4}-{c['end']:<4} {c['lang'] or '(plain)'}")
    lines += ["", ctx.c("Recommendations", "bold")]
    for r in d["recommendations"]:
        lines.append(f"  {ctx.c(r['severity'], SEVERITY_COLOR.get(r['severity'], 'gray'))}: {r['message']}")
    return Outcome(d, lines)


# ==================================================================== split/compact
def cmd_split(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.analysis import parse_output, split

    outputs = [parse_output(o) for o in a.split_output]
    d = split(ctx.project, a.spec, outputs, update_refs=a.update_refs, dry_run=a.dry_run, force=a.force, expected_hash=a.expected_hash)
    verb = "would move" if a.dry_run else "moved"
    lines = []
    for f in d["files"]:
        rng = ", ".join(f"{x}-{y}" for x, y in f["ranges"])
        lines.append(f"{verb} lines {rng} ({f['lines']} lines, {f['tokens']:,} tokens) → {f['file']}" + (" (overwrite)" if f["overwrite"] else ""))
    r = d["readme"]
    lines.append(f"{d['path']}: {r['lines_before']} → {r['lines_after']} body lines" + (" (links added)" if d["update_refs"] else ""))
    if a.dry_run:
        lines.append(ctx.c("dry run: nothing was written", "gray"))
    return Outcome(d, lines)


def cmd_compact(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.analysis import compact, parse_range

    removes = [parse_range(r) for r in a.remove]
    d = compact(ctx.project, a.spec, removes, dry_run=a.dry_run, force=a.force, expected_hash=a.expected_hash)
    verb = "would remove" if a.dry_run else "removed"
    lines = [f"{verb} lines {r['start']}-{r['end']} ({r['lines']} lines): {r['preview']}" for r in d["removed"]]
    lines.append(
        f"{d['path']}: {d['lines_before']} → {d['lines_after']} body lines, {d['tokens_before']:,} → {d['tokens_after']:,} tokens"
    )
    if a.dry_run:
        lines.append(ctx.c("dry run: nothing was written", "gray"))
    return Outcome(d, lines)
