"""``validate``: LeanSpec's TS validators plus the 0.3.0 completion checks.

Rules (``--rule NAME``): frontmatter, structure, line-count (alias max-lines),
complexity, corruption, sub-specs, dependency-alignment (only with ``check_deps``),
completion. A spec that cannot be loaded at all (bad YAML, binary, no README) is
reported as a ``frontmatter`` error instead of hiding the rest of the report.

Thresholds come from the project config (``validation.maxLines``/``warnLines``/
``maxTokens``/``warnTokens``/``requiredSections``). ``strict`` turns warnings into
errors. Line numbers are lines of the file (frontmatter included), so
``path:line`` opens at the right place in an editor.

Spec files are read through the Store's paths once per file (never one folder scan
per spec: that made a 10,000-spec project take minutes); sub-spec names come from
``Spec.sub_specs``. Token counts are remembered by content hash (``tokens.TokenCache``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..core.config import Config
from ..core.errors import ConfigError, InvalidInput, LeanSpecError, MalformedSpec
from ..core.model import LoadProblem, Spec
from ..store.specfile import read_spec_file as _read  # the store owns spec file reads
from .validate_checks import (
    Context,
    Issue,
    NameSet,
    Report,
    children_index,
    completion,
    complexity,
    corruption,
    count_open_tasks,
    dependency_alignment,
    find_links,
    find_mentions,
    fm_positions,
    frontmatter,
    line_count,
    pack_issue,
    structure,
    sub_specs,
    unpack_issues,
)

if TYPE_CHECKING:
    from ..project import Project

RULES = (
    "frontmatter",
    "structure",
    "line-count",
    "complexity",
    "corruption",
    "sub-specs",
    "dependency-alignment",
    "completion",
)
_ALIASES = {"max-lines": "line-count", "tokens": "complexity", "token-count": "complexity", "subspecs": "sub-specs", "deps": "dependency-alignment", "dependencies": "dependency-alignment"}
SEVERITIES = ("error", "warning", "info")
# Part of every cached result's key (validatecache): bump it when a content rule
# (structure, line-count, complexity, corruption, links, mentions, open tasks) changes.
RULES_VERSION = 1


def normalize_rules(rules: Sequence[str] | None) -> set[str] | None:
    if not rules:
        return None
    out = set()
    for r in rules:
        for part in str(r).split(","):
            name = _ALIASES.get(part.strip().lower(), part.strip().lower())
            if not name:
                continue
            if name not in RULES:
                raise InvalidInput(f"unknown rule {part!r}: use one of {', '.join(RULES)}")
            out.add(name)
    return out or None


# ======================================================================== entry
def open_items_severity(cfg: Config) -> str:
    """``validation.openItemsOnComplete``: how open checklist items on a complete spec
    are reported (old finished specs often keep unticked items; a real project should
    be able to pass validate)."""
    from ..core.config import raw_setting

    v = str(raw_setting(cfg, "validation.openItemsOnComplete", "warning")).strip().lower()
    if v not in ("error", "warning", "off"):
        raise ConfigError(
            f"validation.openItemsOnComplete must be error, warning or off, not {v!r}",
            hint="fix .lean-spec/config.json",
        )
    return v


def validate_project(
    project: Project,
    refs: Sequence[str] | None = None,
    *,
    check_deps: bool = False,
    rules: Sequence[str] | None = None,
    strict: bool = False,
    max_lines: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Report:
    """Validate every spec (archived included) or just ``refs``. ``progress(i, total,
    name)`` is called before each spec (front ends show it on a terminal)."""
    from .tokens import TokenCache
    from .validatecache import ResultCache

    wanted = normalize_rules(rules)

    def on(rule: str) -> bool:
        return wanted is None or rule in wanted

    cfg = project.config
    open_severity = open_items_severity(cfg)
    max_l = int(max_lines) if max_lines is not None else cfg.max_lines
    if max_l < 1:
        raise InvalidInput("max lines must be positive")
    warn_l = min(cfg.warn_lines, max_l)
    loaded = project.load(include_archived=True)
    all_specs = loaded.specs
    names = NameSet([s.name for s in all_specs])
    children = children_index(all_specs)
    tokens = TokenCache(project.root)
    by_number: dict[int, list[str]] = {}
    for s in all_specs:
        if s.number is not None:
            by_number.setdefault(s.number, []).append(s.name)
    report = Report()
    problems = list(loaded.problems)
    if refs:
        chosen: list[Spec] = []
        keep_problems: list[LoadProblem] = []
        for r in refs:
            entry = project.store.resolve(r)
            spec = next((s for s in all_specs if s.name == entry.name), None)
            if spec is not None:
                if spec not in chosen:
                    chosen.append(spec)
                continue
            hit = [p for p in problems if f"/{entry.name}/" in f"/{p.path}"]
            if not hit:
                raise MalformedSpec(f"{entry.name} could not be loaded")
            keep_problems.extend(p for p in hit if p not in keep_problems)
        specs, problems = chosen, keep_problems
    else:
        specs = list(all_specs)
    issues: list[Issue] = []
    if on("frontmatter"):
        for p in problems:
            folder = os.path.basename(os.path.dirname(p.path)) or p.path
            issues.append(Issue(folder, p.path, "frontmatter", "error", p.reason, None, "fix the file so it parses (lean-spec view --raw shows it)"))
            report.specs.append(folder)
    results = ResultCache(project.root)
    root = str(project.root)
    # Everything a cached record holds depends on these besides the file's bytes.
    settings = repr((RULES_VERSION, cfg.default_file, tuple(str(x) for x in cfg.required_sections or ()), strict, max_l, warn_l, cfg.max_tokens, cfg.warn_tokens))
    content_rules = [r for r in ("structure", "line-count", "complexity", "corruption") if on(r)]
    for n_done, spec in enumerate(specs, 1):
        if progress is not None:
            progress(n_done, len(specs), spec.name)
        report.specs.append(spec.name)
        rec = results.get(f"readme:{spec.content_hash}:{spec.name}:{spec.path}:{settings}")
        need_mentions = check_deps and on("dependency-alignment")
        need_open = on("completion") and spec.status == "complete"
        if (
            "fm" not in rec
            or any(r not in rec for r in content_rules)
            or (on("sub-specs") and "links" not in rec)
            or (need_mentions and "mentions" not in rec)
            or (need_open and "open" not in rec)
        ):
            try:
                data, text = _read(root, spec.path, spec.name, cfg.default_file)
            except LeanSpecError as exc:  # vanished or became unreadable since load()
                issues.append(Issue(spec.name, spec.path, "frontmatter", "error", exc.message))
                continue
            try:
                offset, fm_pos = fm_positions(text)
            except LeanSpecError as exc:
                issues.append(Issue(spec.name, spec.path, "frontmatter", "error", exc.message))
                continue
            if hashlib.sha256(data).hexdigest() != spec.content_hash:
                rec = {}  # changed since it was loaded: check what we read, remember nothing
            else:
                results.dirty = True
            c = Context(project, spec, text, offset, fm_pos, spec.body.splitlines(), [], tokens, root)
            rec["fm"] = (offset, fm_pos)
            for rule in content_rules:
                if rule in rec:
                    continue
                c.issues = []
                if rule == "structure":
                    structure(c, strict)
                elif rule == "line-count":
                    line_count(c, max_l, warn_l)
                elif rule == "complexity":
                    complexity(c, tokens.count(text, data=data), cfg.max_tokens, cfg.warn_tokens)
                else:
                    corruption(c, c.body_lines, offset)
                rec[rule] = [pack_issue(i) for i in c.issues]
            if on("sub-specs") and "links" not in rec:
                rec["links"] = find_links(c.body_lines)
            if need_mentions and "mentions" not in rec:
                rec["mentions"] = find_mentions(c.body_lines)
            if need_open and "open" not in rec:
                rec["open"] = count_open_tasks(c.body_lines)
        offset, fm_pos = rec["fm"]
        c = Context(project, spec, "", offset, fm_pos, [], issues, tokens, root)
        if on("frontmatter"):
            frontmatter(c, names)
        for rule in content_rules:
            unpack_issues(c, rec[rule])
        if on("sub-specs"):
            sub_specs(c, max_l, rec["links"], results)
        if need_mentions:
            dependency_alignment(c, by_number, strict, rec["mentions"])
        if on("completion"):
            completion(c, all_specs, children, rec.get("open"), open_severity)
    results.save()
    tokens.save()
    if strict:
        for i in issues:
            if i.severity == "warning":
                i.severity = "error"
    if wanted is not None:
        issues = [i for i in issues if i.rule in wanted]
    order = {s: k for k, s in enumerate(SEVERITIES)}
    issues.sort(key=lambda i: (i.spec, order.get(i.severity, 9), i.line or 0))
    report.issues = issues
    return report
