"""Demo projects for ``lean-spec init --example``: small, realistic, and built through
the store like any user project (so the demo itself exercises the real write path)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..core import datetimes as _dt


@dataclass(frozen=True)
class ExampleSpec:
    name: str
    title: str
    status: str
    priority: str
    tags: tuple[str, ...]
    created: str  # YYYY-MM-DD
    overview: str
    plan: tuple[tuple[str, bool], ...] = ()
    depends_on: tuple[str, ...] = ()  # slugs of earlier specs
    parent: str | None = None
    assignee: str | None = None
    transitions: tuple[tuple[str, str], ...] = ()  # (status, ISO time)
    sub_specs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Example:
    name: str
    summary: str
    specs: tuple[ExampleSpec, ...]


EXAMPLES: dict[str, Example] = {}


def _add(ex: Example) -> None:
    EXAMPLES[ex.name] = ex


_add(
    Example(
        "api-refactor",
        "Split a monolithic REST API into versioned modules, with an umbrella spec and dependencies.",
        (
            ExampleSpec(
                "api-refactor-umbrella",
                "API Refactor (umbrella)",
                "in-progress",
                "high",
                ("api", "architecture"),
                "2026-09-01",
                "Our REST API grew as one 6,000-line module. This umbrella spec tracks the move to "
                "versioned, independently tested modules without breaking existing clients.",
                (("Inventory every endpoint", True), ("Agree on the module boundaries", True), ("Ship v2 behind a flag", False)),
                assignee="maria",
                transitions=(("in-progress", "2026-09-03T09:12:00.000Z"),),
            ),
            ExampleSpec(
                "endpoint-inventory",
                "Endpoint Inventory",
                "complete",
                "medium",
                ("api", "docs"),
                "2026-09-02",
                "List every public endpoint with its callers, payload shapes and owners, so the split "
                "can be planned from facts instead of memory.",
                (("Export routes from the router", True), ("Annotate owners", True), ("Publish the table", True)),
                parent="api-refactor-umbrella",
                assignee="li",
                transitions=(("in-progress", "2026-09-02T10:00:00.000Z"), ("complete", "2026-09-08T16:30:00.000Z")),
            ),
            ExampleSpec(
                "auth-module",
                "Extract the Auth Module",
                "in-progress",
                "critical",
                ("api", "security"),
                "2026-09-09",
                "Move login, token refresh and permission checks into `auth/`, with its own tests and "
                "no imports from the rest of the API.",
                (("Move token code", True), ("Move permission checks", False), ("Contract tests for /login", False)),
                depends_on=("endpoint-inventory",),
                parent="api-refactor-umbrella",
                assignee="maria",
                transitions=(("in-progress", "2026-09-15T08:45:00.000Z"),),
                sub_specs={
                    "DESIGN.md": "# Extract the Auth Module: Design\n\n## Boundaries\n\n"
                    "`auth/` owns tokens, sessions and permission checks. Other modules call it "
                    "through `auth.require(permission)` only.\n\n## Migration\n\n"
                    "1. Copy the code with its tests.\n2. Route old imports through a shim.\n3. Delete the shim.\n",
                },
            ),
            ExampleSpec(
                "orders-module",
                "Extract the Orders Module",
                "planned",
                "high",
                ("api",),
                "2026-09-10",
                "Move order creation, payment hooks and order history into `orders/`.",
                (("Move order models", False), ("Move payment hooks", False)),
                depends_on=("auth-module",),
                parent="api-refactor-umbrella",
            ),
            ExampleSpec(
                "v2-routing",
                "Versioned Routing (/v2)",
                "planned",
                "medium",
                ("api", "compatibility"),
                "2026-09-12",
                "Serve the new modules under `/v2` while `/v1` keeps its exact behaviour; a header "
                "switch lets early adopters opt in.",
                (("Router prefix", False), ("Compatibility test suite for /v1", False)),
                depends_on=("auth-module", "orders-module"),
            ),
            ExampleSpec(
                "rate-limits",
                "Per-Client Rate Limits",
                "planned",
                "low",
                ("api", "reliability"),
                "2026-09-20",
                "Add token-bucket rate limits per API key, configurable per plan.",
                (("Pick a limiter", False),),
            ),
        ),
    )
)

_add(
    Example(
        "dark-theme",
        "Add a dark theme to a web app: a small, single-feature project.",
        (
            ExampleSpec(
                "color-tokens",
                "Color Tokens",
                "complete",
                "high",
                ("ui", "design-system"),
                "2026-10-01",
                "Replace hard-coded colours with CSS custom properties so themes are one file each.",
                (("Audit colours", True), ("Define tokens", True), ("Replace usages", True)),
                transitions=(("in-progress", "2026-10-01T09:00:00.000Z"), ("complete", "2026-10-04T17:00:00.000Z")),
            ),
            ExampleSpec(
                "dark-palette",
                "Dark Palette",
                "in-progress",
                "high",
                ("ui", "accessibility"),
                "2026-10-05",
                "A dark palette that meets WCAG AA contrast for text and controls.",
                (("Draft palette", True), ("Contrast check", False)),
                depends_on=("color-tokens",),
                assignee="sam",
                transitions=(("in-progress", "2026-10-06T11:00:00.000Z"),),
            ),
            ExampleSpec(
                "theme-toggle",
                "Theme Toggle",
                "planned",
                "medium",
                ("ui",),
                "2026-10-07",
                "Follow the system setting by default; a toggle in the header overrides it and is remembered.",
                (("Toggle component", False), ("Persist choice", False)),
                depends_on=("dark-palette",),
            ),
        ),
    )
)

_add(
    Example(
        "dashboard-widgets",
        "A customizable dashboard with widgets: several specs in flight at once.",
        (
            ExampleSpec(
                "widget-framework",
                "Widget Framework",
                "complete",
                "critical",
                ("dashboard", "architecture"),
                "2026-08-01",
                "A widget contract (data source, size, refresh) and a grid that lays widgets out.",
                (("Widget contract", True), ("Grid layout", True)),
                transitions=(("in-progress", "2026-08-02T09:00:00.000Z"), ("complete", "2026-08-20T15:00:00.000Z")),
            ),
            ExampleSpec(
                "chart-widget",
                "Chart Widget",
                "in-progress",
                "high",
                ("dashboard", "charts"),
                "2026-08-21",
                "Line and bar charts fed by any time-series source.",
                (("Line chart", True), ("Bar chart", False), ("Empty state", False)),
                depends_on=("widget-framework",),
                assignee="ana",
                transitions=(("in-progress", "2026-08-22T10:00:00.000Z"),),
            ),
            ExampleSpec(
                "drag-to-rearrange",
                "Drag to Rearrange",
                "planned",
                "medium",
                ("dashboard", "ux"),
                "2026-08-25",
                "Users drag widgets to reorder them; the layout is saved per user.",
                (("Drag handles", False), ("Persist layout", False)),
                depends_on=("widget-framework",),
            ),
            ExampleSpec(
                "widget-sharing",
                "Share a Widget",
                "planned",
                "low",
                ("dashboard", "collaboration"),
                "2026-09-01",
                "Share a read-only link to a single widget.",
                depends_on=("chart-widget",),
            ),
        ),
    )
)


def latest_date(ex: Example) -> _dt.date:
    dates = [_dt.date.fromisoformat(s.created) for s in ex.specs]
    dates += [_dt.date.fromisoformat(at[:10]) for s in ex.specs for _st, at in s.transitions]
    return max(dates)


def _shift(value: str, days: int) -> str:
    """Move a YYYY-MM-DD or ISO timestamp by ``days`` (demo dates stay recent)."""
    d = _dt.date.fromisoformat(value[:10]) + _dt.timedelta(days=days)
    return d.isoformat() + value[10:]


def spec_markdown(s: ExampleSpec, resolved_deps: list[str], parent: str | None, shift_days: int = 0) -> str:
    """The full file (frontmatter + body) for one example spec; dates moved by ``shift_days``."""
    if shift_days:
        s = replace(
            s,
            created=_shift(s.created, shift_days),
            transitions=tuple((st, _shift(at, shift_days)) for st, at in s.transitions),
        )
    lines = ["---", f"status: {s.status}", f"created: '{s.created}'", "tags:"]
    lines += [f"  - {t}" for t in s.tags]
    lines.append(f"priority: {s.priority}")
    if resolved_deps:
        lines.append("depends_on:")
        lines += [f"  - {d}" for d in resolved_deps]
    if parent:
        lines.append(f"parent: {parent}")
    if s.assignee:
        lines.append(f"assignee: {s.assignee}")
    lines.append(f"created_at: '{s.created}T08:00:00.000Z'")
    if s.transitions:
        lines.append(f"updated_at: '{s.transitions[-1][1]}'")
        lines.append("transitions:")
        for st, at in s.transitions:
            lines += [f"  - status: {st}", f"    at: '{at}'"]
        if s.status == "complete":
            lines.append(f"completed_at: '{s.transitions[-1][1]}'")
            lines.append(f"completed: '{s.transitions[-1][1][:10]}'")
    lines += ["---", "", f"# {s.title}", "", "## Overview", "", s.overview, "", "## Plan", ""]
    lines += [f"- [{'x' if done else ' '}] {text}" for text, done in s.plan] or ["- [ ] Break the work down"]
    lines += ["", "## Test", "", f"- [{'x' if s.status == 'complete' else ' '}] Acceptance checks pass", ""]
    return "\n".join(lines)
