"""Insight commands: board, stats, deps, timeline, gantt.

Each command loads the specs once, calls a pure engine (leanspec.board, .stats,
.graph, .timeline) and renders its dict; ``--json`` prints that dict unchanged.
"""

from __future__ import annotations

from ..core import datetimes as _dt
from ._app import Ctx, Outcome, resume_gc, width
from ._render import PRIORITY_COLOR, STATUS_COLOR, bar, pad, sparkline, status_icon, truncate

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any

STATUS_LABEL = {
    "draft": "Draft",
    "planned": "Planned",
    "in-progress": "In Progress",
    "complete": "Complete",
    "archived": "Archived",
}


# register() accepts only=COMMAND (cli._main passes it when the run's command is known):
# just that sub-parser is built (argparse calls for the others cost ~1-2 ms per run).
REGISTER_ONE = True


def register(sub: Any, common: argparse.ArgumentParser, only: str | None = None) -> None:
    # ------------------------------------------------------------------- board
    if only in (None, "board"):
        p = sub.add_parser(
            "board",
            parents=[common],
            help="kanban board of specs (by status, priority, assignee, tag or parent)",
            description="Show specs as a kanban board with a project summary. A malformed spec is reported, never fatal.",
        )
        p.add_argument(
            "-g",
            "--group-by",
            default="status",
            choices=("status", "priority", "assignee", "tag", "parent"),
            help="column field (default: status)",
        )
        p.add_argument("--by-parent", action="store_true", help="same as --group-by parent")
        p.add_argument(
            "-s", "--status", action="append", default=[], help="only these statuses (repeatable, comma-separated)"
        )
        p.add_argument(
            "-t", "--tag", action="append", default=[], help="only specs with this tag (repeatable; all must match)"
        )
        p.add_argument("-p", "--priority", action="append", default=[], help="only these priorities (repeatable)")
        p.add_argument("-a", "--assignee", help="only specs assigned to this person")
        p.add_argument("--archived", action="store_true", help="include archived specs (an Archived column)")
        p.add_argument("--complete", action="store_true", help="list the Complete column's cards (collapsed by default)")
        p.add_argument("--simple", action="store_true", help="columns only: no summary, no priority sub-groups")
        p.add_argument("--completion-only", action="store_true", help="only the completion summary")
        p.set_defaults(func=cmd_board)

    # ------------------------------------------------------------------- stats
    if only in (None, "stats"):
        p = sub.add_parser(
            "stats",
            parents=[common],
            help="project statistics: counts, velocity, insights",
            description="Project statistics: status and priority counts, what needs attention, velocity.",
        )
        p.add_argument("-t", "--tag", action="append", default=[], help="only specs with this tag (repeatable)")
        p.add_argument("-a", "--assignee", help="only specs assigned to this person")
        p.add_argument("--full", action="store_true", help="every section: distributions, tags, timeline, velocity detail")
        p.add_argument("--detailed", action="store_true", help="same as --full (LeanSpec 0.3 name)")
        p.add_argument("--timeline", action="store_true", help="only the 30-day activity timeline")
        p.add_argument("--velocity", action="store_true", help="only the velocity detail")
        p.set_defaults(func=cmd_stats)

    # -------------------------------------------------------------------- deps
    if only in (None, "deps"):
        p = sub.add_parser(
            "deps",
            parents=[common],
            help="a spec's dependencies, dependents and impact",
            description="Show what a spec depends on (upstream), what depends on it (downstream) and its impact radius.",
        )
        p.add_argument("spec")
        p.add_argument("-D", "--depth", type=int, default=3, help="how many levels to follow (default 3)")
        g = p.add_mutually_exclusive_group()
        g.add_argument("--upstream", action="store_true", help="only what this spec depends on")
        g.add_argument("--downstream", action="store_true", help="only what depends on this spec")
        g.add_argument("--impact", action="store_true", help="everything that transitively depends on this spec")
        g.add_argument("--complete", action="store_true", help="both directions (the default)")
        p.add_argument("--graph", action="store_true", help="draw the neighbourhood as a layered ASCII graph")
        p.set_defaults(func=cmd_deps)

    # ---------------------------------------------------------------- timeline
    if only in (None, "timeline"):
        p = sub.add_parser(
            "timeline",
            parents=[common],
            help="specs created vs completed per day (or month)",
            description="Specs created and completed per day over the last N days (archived specs included).",
        )
        p.add_argument("--days", type=int, default=30, help="how many days back, today included (default 30)")
        p.add_argument("-m", "--months", type=int, help="per calendar month over the last N months instead of days")
        g = p.add_mutually_exclusive_group()
        g.add_argument("--by-tag", action="store_true", help="one series per tag")
        g.add_argument("--by-assignee", action="store_true", help="one series per assignee")
        p.set_defaults(func=cmd_timeline)

    # ------------------------------------------------------------------- gantt
    if only in (None, "gantt"):
        p = sub.add_parser(
            "gantt",
            parents=[common],
            help="gantt chart of open specs over the next weeks",
            description="Bars from each spec's created date to its due date, grouped by priority; overdue specs are marked.",
        )
        p.add_argument("--weeks", type=int, default=4, help="weeks to show from the start of this week (default 4)")
        p.add_argument("--show-complete", action="store_true", help="include complete specs")
        p.add_argument("--critical-path", action="store_true", help="show the longest dependency chain of open specs")
        p.set_defaults(func=cmd_gantt)


# ======================================================================= helpers
def _csv(values: list[str]) -> list[str]:
    return [x.strip() for v in values for x in v.split(",") if x.strip()]


def _load(ctx: Ctx) -> tuple[list[Any], list[str]]:
    res = ctx.project.load(include_archived=True)
    warn = [f"warning: {p.path}: {p.reason}" for p in res.problems]
    return res.specs, warn


def _num(d: dict[str, Any]) -> str:
    n = d.get("number")
    return f"{n:03d}" if isinstance(n, int) else "   "


def _st(ctx: Ctx, status: str, label: bool = True) -> str:
    text = f"{status_icon(status)} {status}" if label else status_icon(status)
    return ctx.c(text, STATUS_COLOR.get(status, "gray"))


def _prio(ctx: Ctx, prio: str | None) -> str:
    return ctx.c(prio or "-", PRIORITY_COLOR.get(prio or "", "gray"))


def _card(ctx: Ctx, d: dict[str, Any], w: int, *, show_prio: bool = True) -> str:
    who = ctx.c(f"  @{d['assignee']}", "cyan") if d.get("assignee") else ""
    tags = ctx.c("  #" + " #".join(d["tags"][:4]), "gray") if d.get("tags") else ""
    prio = f"  {_prio(ctx, d.get('priority'))}" if show_prio and d.get("priority") else ""
    title = truncate(d["title"], max(20, w - 40))
    marks = ctx.c("  [blocked]", "red") if d.get("blocked") else ""
    if d.get("lease"):
        marks += ctx.c(f"  [claimed: {d['lease']['holder']}]", "cyan")
    return f"    {ctx.c(_num(d), 'bold')}  {title}{prio}{who}{tags}{marks}"


def _color_card_line(ctx: Ctx, w: int) -> Callable[[dict[str, Any], bool], str]:
    def line(d: dict[str, Any], show_prio: bool) -> str:
        return _card(ctx, d, w, show_prio=show_prio)

    return line


def _plain_card_line(tw: int) -> Callable[[dict[str, Any], bool], str]:
    """``_card`` without colours (what ``ctx.c`` leaves of it), for thousands of cards:
    the same text with one f-string per card instead of ten helper calls."""

    def line(d: dict[str, Any], show_prio: bool) -> str:
        n = d.get("number")
        t = d["title"]
        if len(t) > tw or not t.isascii():  # truncate() returns a short ASCII title as it is
            t = truncate(t, tw)
        out = f"    {n:03d}  {t}" if isinstance(n, int) else f"    {'   '}  {t}"
        p = d.get("priority")
        if show_prio and p:
            out += f"  {p}"
        if d.get("assignee"):
            out += f"  @{d['assignee']}"
        if d.get("tags"):
            out += "  #" + " #".join(d["tags"][:4])
        if d.get("blocked"):
            out += "  [blocked]"
        if d.get("lease"):
            out += f"  [claimed: {d['lease']['holder']}]"
        return out

    return line


def _summary_lines(ctx: Ctx, summary: dict[str, Any]) -> list[str]:
    total, done = summary["total"], summary["complete"]
    rate = summary["completion_rate"]
    lines = [
        f"  Completion  {ctx.c(bar(rate / 100.0, 24), 'green')}  {rate:.1f}%  ({done} of {total} complete)",
        f"  Active {summary['active']} · In progress {summary['in_progress']} · Archived {summary['archived']}",
    ]
    v = summary["velocity"]
    if v["avg_cycle_time_days"] is not None or v["throughput_per_week"]:
        cyc = f"{v['avg_cycle_time_days']} d avg cycle" if v["avg_cycle_time_days"] is not None else "no cycle data"
        lines.append(f"  Velocity    {cyc} · {v['throughput_per_week']} specs/week")
    return lines


def _without_gc(fn: Any) -> Any:
    """Run a whole-project command with the cyclic GC paused: its 10,000 spec objects
    and their frontmatter are live until the end (nothing to collect), and the
    collector would re-walk them dozens of times (~100 ms at 10,000 specs)."""
    import functools
    import gc

    @functools.wraps(fn)
    def run(ctx: Ctx, a: argparse.Namespace) -> Outcome:
        was = gc.isenabled()
        gc.disable()
        try:
            return fn(ctx, a)  # type: ignore[no-any-return]
        finally:
            if was:
                resume_gc()

    return run


# ====================================================================== board
@_without_gc
def cmd_board(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.listing import make_filter
    from ..insight.board import build_board
    from ..workflows import claims as claims_api

    everything, warn = _load(ctx)
    f = make_filter(
        status=_csv(a.status), tags=_csv(a.tag), priority=_csv(a.priority), assignee=a.assignee, include_archived=True
    )
    specs = f.apply(everything)  # = [s for s in everything if f.matches(s)]; one copy when nothing filters
    group_by = "parent" if a.by_parent else a.group_by
    # Asking for archived specs by status shows them (else the filter would empty the board).
    show_archived = a.archived or "archived" in [x.lower() for x in _csv(a.status)]
    # Readiness (blocked/claim marks) of the same snapshot (every spec, archived
    # included: what it would load itself), not a second pass over 10,000 files.
    r = claims_api.readiness(ctx.project, everything)
    # Text shows a few fields per card: no full to_dict() (and its sub-spec lookups)
    # for 10,000 specs unless JSON was asked for; each is marked as it is built.
    card = None if ctx.json else _marked_text_card(claims_api.card_marker(r))
    # Text shows only the size of the complete column unless --complete (usually the
    # biggest one): no cards for it, nor for any column when only the summary prints.
    carded: Callable[[str], bool] | None = None
    if not ctx.json:
        if a.completion_only:
            carded = _never
        elif not a.complete and (group_by or "status").strip().lower() == "status":
            carded = _not_complete
    from ..insight.stats import Digest

    dg = Digest(specs)  # one walk: the columns' statuses, the summary and the alerts
    data = build_board(specs, group_by=group_by, include_archived=show_archived, card=card, carded=carded, digest=dg)
    if ctx.json:
        claims_api.annotate_board(data, r)
    w = width()
    card_line = _plain_card_line(max(20, w - 40)) if not ctx.color else _color_card_line(ctx, w)
    lines: list[str] = []
    title = ctx.c("📋 Spec Kanban Board", "bold") + ctx.c(f"  — by {data['group_by']}", "gray")
    if a.completion_only:
        return Outcome(data, [title, *_summary_lines(ctx, data["summary"])], 0, warn)
    lines.append(title)
    if not a.simple:
        lines += _summary_lines(ctx, data["summary"])
        alerts = _alerts(dg)
        lines += [ctx.c(f"  ⚠ {x}", "yellow") for x in alerts]
    for g in data["groups"]:
        lines.append("")
        lines.append(_group_header(ctx, data["group_by"], g))
        if data["group_by"] == "status" and g["name"] == "complete" and not a.complete and g["count"]:
            lines.append(ctx.c(f"    {g['count']} complete (use --complete to list them)", "gray"))
            continue
        if not g["specs"]:
            lines.append(ctx.c("    (none)", "gray"))
            continue
        if data["group_by"] == "status" and not a.simple:
            cur = object()
            for d in g["specs"]:
                if d["priority"] != cur:
                    cur = d["priority"]
                    lines.append(
                        "  " + ctx.c("● ", PRIORITY_COLOR.get(cur or "", "gray")) + ctx.c(cur or "no priority", "dim")
                    )
                lines.append(card_line(d, False))
        else:
            for d in g["specs"]:
                extra = "  " + _st(ctx, d["status"], False) if data["group_by"] != "status" else ""
                lines.append(card_line(d, True) + extra)
    lines.append("")
    shown = data["total"]
    lines.append(ctx.c(f"Total: {shown} spec{'s' if shown != 1 else ''}", "gray"))
    return Outcome(data, lines, 0, warn)


def _marked_text_card(mark: Callable[[dict[str, Any], Any], None]) -> Callable[[Any], dict[str, Any]]:
    from ..insight.board import text_card

    def card(s: Any) -> dict[str, Any]:
        d = text_card(s)
        mark(d, s)
        return d

    return card


def _never(_name: str) -> bool:
    return False


def _not_complete(name: str) -> bool:
    return name != "complete"


def _group_header(ctx: Ctx, gb: str, g: dict[str, Any]) -> str:
    n, c = g["name"], g["count"]
    if gb == "status":
        return ctx.c(f"{status_icon(n)} {STATUS_LABEL.get(n, n)} ({c})", "bold", STATUS_COLOR.get(n, "gray"))
    if gb == "priority":
        return ctx.c(f"● {n} ({c})", "bold", PRIORITY_COLOR.get(n, "gray"))
    if gb == "parent":
        p = g.get("parent")
        label = f"🌂 {n} — {p['title']}" if p else ("(no parent)" if n == "no-parent" else f"🌂 {n} (not found)")
        return ctx.c(f"{label} ({c})", "bold")
    prefix = "@" if gb == "assignee" and n != "unassigned" else "#" if gb == "tag" and n != "untagged" else ""
    return ctx.c(f"{prefix}{n} ({c})", "bold")


def _alerts(dg: Any) -> list[str]:
    # Only the messages are shown: no cards for the insights (stale specs are many).
    return [i["message"] for i in dg.insights(cards=False) if i["severity"] in ("error", "warning")]


# ====================================================================== stats
@_without_gc
def cmd_stats(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..core.facts import as_now
    from ..core.listing import make_filter
    from ..insight.stats import compute_stats
    from ..insight.timeline import timeline

    specs, warn = _load(ctx)
    f = make_filter(tags=_csv(a.tag), assignee=a.assignee, include_archived=True)
    specs = [s for s in specs if f.matches(s)]
    now = as_now(None)  # one moment for every section
    data = compute_stats(specs, now=now)
    full = a.full or a.detailed
    if full or a.timeline:
        data["timeline"] = timeline(specs, days=30, now=now)
    only = a.timeline or a.velocity
    lines: list[str] = []
    if not only:
        lines += _stats_overview(ctx, data, full)
    if full or a.timeline:
        lines += _stats_timeline(ctx, data["timeline"])
    if not only or a.velocity:
        lines += _stats_velocity(ctx, data["velocity"], detail=full or a.velocity)
    return Outcome(data, lines, 0, warn)


def _count_rows(ctx: Ctx, counts: dict[str, int], colors: dict[str, str], total: int) -> list[str]:
    out = []
    for k, v in counts.items():
        frac = v / total if total else 0.0
        out.append(f"  {pad(k, 12)} {v:>5}  {ctx.c(bar(frac, 20), colors.get(k, 'gray'))}  {100 * frac:4.0f}%")
    return out


def _stats_overview(ctx: Ctx, d: dict[str, Any], full: bool) -> list[str]:
    ov = d["overview"]
    lines = [ctx.c("📊 Spec Stats", "bold")]
    lines.append(
        f"  Total {ov['total']} · Active {ov['active']} · Complete {ov['complete']}"
        + (f" · Archived {ov['archived']}" if ov["archived"] else "")
    )
    lines.append(
        f"  Completion  {ctx.c(bar(ov['completion_rate'] / 100.0, 24), 'green')}  {ov['completion_rate']:.1f}%"
    )
    lines.append("")
    lines.append(ctx.c("Status", "bold"))
    counts = {k: v for k, v in d["by_status"].items() if v or k in ("planned", "in-progress", "complete")}
    lines += _count_rows(ctx, counts, STATUS_COLOR, sum(d["by_status"].values()))
    lines.append("")
    lines.append(ctx.c("Priority focus", "bold"))
    for p, fo in d["priority_focus"].items():
        over = ctx.c(f" · {fo['overdue']} overdue", "red") if fo["overdue"] else ""
        lines.append(
            f"  {ctx.c(pad(p, 9), PRIORITY_COLOR[p])} {fo['total']:>4} total · {fo['in_progress']} in progress"
            f" · {fo['planned']} not started · {fo['complete']} complete{over}"
        )
    if full:
        lines.append("")
        lines.append(ctx.c("Priority", "bold"))
        lines += _count_rows(ctx, d["by_priority"], PRIORITY_COLOR, ov["total"])
        if d["by_tag"]:
            lines.append("")
            lines.append(ctx.c("Popular tags", "bold"))
            top = d["by_tag"][:12]
            hi = top[0]["count"]
            for t in top:
                lines.append(
                    f"  {pad(truncate(t['tag'], 20), 20)} {t['count']:>5}  {ctx.c(bar(t['count'] / hi, 16), 'cyan')}"
                )
        rel = d["relationships"]
        lines.append("")
        lines.append(ctx.c("Relationships", "bold"))
        lines.append(f"  with dependencies {rel['with_depends_on']} · with a parent {rel['with_parent']}")
    lines.append("")
    if d["insights"]:
        lines.append(ctx.c("⚠ Needs attention", "bold", "yellow"))
        sev_color = {"error": "red", "warning": "yellow", "info": "cyan"}
        for i in d["insights"]:
            lines.append("  " + ctx.c("● ", sev_color[i["severity"]]) + i["message"])
            for s in i["specs"][:5]:
                extra = ""
                if "days_overdue" in s:
                    extra = ctx.c(f"  due {s['due']} ({s['days_overdue']} d overdue)", "red")
                elif "days_since_update" in s:
                    extra = ctx.c(f"  {s['days_since_update']} d since update", "gray")
                lines.append(f"      {_num(s)}  {truncate(s['title'], 50)}{extra}")
            if len(i["specs"]) > 5:
                lines.append(ctx.c(f"      … and {len(i['specs']) - 5} more", "gray"))
    else:
        lines.append(ctx.c("✓ Nothing needs attention", "green"))
    lines.append("")
    return lines


def _stats_velocity(ctx: Ctx, v: dict[str, Any], *, detail: bool) -> list[str]:
    def days(x: float | None) -> str:
        return "—" if x is None else f"{x} d"

    ct, lt, tp, wip = v["cycle_time"], v["lead_time"], v["throughput"], v["wip"]
    arrow = {"up": ctx.c("↑ up", "green"), "down": ctx.c("↓ down", "red"), "stable": "→ stable"}[tp["trend"]]
    weekly = [float(w["completed"]) for w in tp["weeks"]]
    lines = [ctx.c("🚀 Velocity", "bold")]
    lines.append(
        f"  Cycle time   avg {days(ct['average_days'])} · median {days(ct['median_days'])}"
        f" · p90 {days(ct['p90_days'])}  ({ct['samples']} specs)"
    )
    lines.append(
        f"  Throughput   {tp['per_week']}/week · {tp['per_month']} in 30 days  {ctx.c(sparkline(weekly), 'green')}  {arrow}"
    )
    lines.append(f"  WIP          {wip['current']} in progress · {wip['average']} average (30 days)")
    if detail:
        lines.append(
            f"  Lead time    planned → in progress {days(lt['planned_to_in_progress_days'])}"
            f" · in progress → complete {days(lt['in_progress_to_complete_days'])}"
        )
        lines.append("  Completed per week (oldest first):")
        hi = max([*weekly, 1.0])
        for w in tp["weeks"]:
            lines.append(f"    {w['end'][:10]}  {w['completed']:>4}  {ctx.c(bar(w['completed'] / hi, 20), 'green')}")
    return lines


def _stats_timeline(ctx: Ctx, t: dict[str, Any]) -> list[str]:
    created = [float(x["created"]) for x in t["series"]]
    done = [float(x["completed"]) for x in t["series"]]
    tot = t["totals"]
    return [
        ctx.c(f"📅 Activity ({t['start']} → {t['end']})", "bold"),
        f"  created    {ctx.c(sparkline(created), 'blue')}  {tot['created']}",
        f"  completed  {ctx.c(sparkline(done), 'green')}  {tot['completed']}",
        "",
    ]


# ======================================================================= deps
def cmd_deps(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.graph import DependencyGraph

    specs, warn = _load(ctx)
    g = DependencyGraph(specs)
    mode = "upstream" if a.upstream else "downstream" if a.downstream else "impact" if a.impact else "complete"
    data = g.deps(a.spec, mode=mode, depth=a.depth)
    s = data["spec"]
    lines = [ctx.c(f"📦 Dependencies for {s['name']}", "bold") + "  " + _st(ctx, s["status"])]
    if data["parent"]:
        lines.append(ctx.c(f"  parent: 🌂 {data['parent']['name']}", "gray"))
    if data["children"]:
        lines.append(ctx.c(f"  children: {', '.join(c['name'] for c in data['children'])}", "gray"))
    for u in data["unresolved"]:
        lines.append(ctx.c(f"  ⚠ {u['field']} {u['ref']}: {u['reason']}", "yellow"))
    for c in data["cycles"]:
        lines.append(ctx.c("  ⚠ dependency cycle: " + " → ".join([*c, c[0]]), "red"))
    if a.graph:
        lines += _deps_graph(ctx, g, data)
    else:
        if mode in ("complete", "upstream"):
            lines.append("")
            lines.append(ctx.c("Depends On:", "bold"))
            direct = [d for d in data["depends_on"] if d["depth"] == 1]
            lines += [f"  → {d['name']}  {_st(ctx, d['status'])}" for d in direct] or [ctx.c("  (none)", "gray")]
        if mode in ("complete", "downstream", "impact"):
            lines.append("")
            lines.append(ctx.c("Required By:", "bold"))
            direct = [d for d in data["required_by"] if d["depth"] == 1]
            lines += [f"  ← {d['name']}  {_st(ctx, d['status'])}" for d in direct] or [ctx.c("  (none)", "gray")]
        if data["chain"] is not None:
            lines.append("")
            lines.append(ctx.c("Dependency Chain (depends on):", "bold"))
            lines += _tree_lines(ctx, data["chain"], "depends_on")
        if data["tree"] is not None and mode != "upstream":
            lines.append("")
            lines.append(ctx.c("Dependents (required by):", "bold"))
            lines += _tree_lines(ctx, data["tree"], "required_by")
        if not data["depends_on"] and not data["required_by"]:
            lines.append("")
            lines.append(ctx.c("No dependencies", "gray"))
    if mode == "impact" or mode == "complete":
        im = data["impact"]
        lines.append("")
        lines.append(ctx.c("Impact Summary:", "bold"))
        lines.append(f"  {im['direct']} direct · {im['transitive']} transitive · {im['total']} total specs affected")
    return Outcome(data, lines, 0, warn)


def _tree_lines(ctx: Ctx, root: dict[str, Any], key: str) -> list[str]:
    out = [f"{ctx.c(root['name'], 'bold')}  {_st(ctx, root['status'], False)}"]

    def walk(node: dict[str, Any], prefix: str) -> None:
        kids = node.get(key) or []
        for i, k in enumerate(kids):
            last = i == len(kids) - 1
            mark = ""
            if k.get("cycle"):
                mark = ctx.c("  ↺ cycle", "red")
            elif k.get("seen"):
                mark = ctx.c("  (see above)", "gray")
            elif k.get("truncated"):
                mark = ctx.c("  …", "gray")
            out.append(f"{prefix}{'└─ ' if last else '├─ '}{k['name']}  {_st(ctx, k['status'], False)}{mark}")
            walk(k, prefix + ("   " if last else "│  "))

    walk(root, "")
    return out


def _deps_graph(ctx: Ctx, g: Any, data: dict[str, Any]) -> list[str]:
    """The spec's neighbourhood as layers: dependencies at the top, dependents below;
    each node lists the nodes above it that it depends on."""
    me = data["spec"]["name"]
    names = {me} | {d["name"] for d in data["depends_on"]} | {d["name"] for d in data["required_by"]}
    layers = g.layers(names)
    lines = ["", ctx.c("Dependency graph (each spec sits below what it depends on)", "bold")]
    for i, layer in enumerate(layers):
        if i:
            lines.append(ctx.c("      │", "gray"))
            lines.append(ctx.c("      ▼", "gray"))
        for n in layer:
            deps = [w for w in g.upstream[n] if w in names]
            label = ctx.c(f"[{n}]", "bold") if n == me else n
            arrow = ctx.c(f"  ← {', '.join(deps)}", "gray") if deps else ""
            lines.append(f"  {_st(ctx, g.specs[n].status, False)} {label}{arrow}")
    return lines


# =================================================================== timeline
def cmd_timeline(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.timeline import timeline

    specs, warn = _load(ctx)
    by = "tag" if a.by_tag else "assignee" if a.by_assignee else "none"
    data = timeline(specs, days=a.days, by=by, months=a.months)
    unit = "month" if data["unit"] == "month" else "day"
    lines = [ctx.c(f"📅 Timeline  {data['start']} → {data['end']}  (per {unit})", "bold")]
    series = data["series"]
    hi = max([max(x["created"], x["completed"]) for x in series] + [1])
    for x in series:
        if not x["created"] and not x["completed"] and unit == "day" and len(series) > 14:
            continue  # long ranges: skip empty days (the sparkline below shows them)
        c = ctx.c(pad("█" * round(12 * x["created"] / hi), 12), "blue")
        d = ctx.c(pad("█" * round(12 * x["completed"] / hi), 12), "green")
        lines.append(f"  {pad(x['date'], 10)}  +{x['created']:<3} {c}  ✓{x['completed']:<3} {d}")
    tot = data["totals"]
    if not tot["created"] and not tot["completed"]:
        lines.append(ctx.c("  no specs created or completed in this period", "gray"))
    lines.append("")
    lines.append(f"  created    {ctx.c(sparkline([float(x['created']) for x in series]), 'blue')}  {tot['created']}")
    lines.append(
        f"  completed  {ctx.c(sparkline([float(x['completed']) for x in series]), 'green')}  {tot['completed']}"
    )
    lines.append(f"  net        {tot['net']:+d}")
    if data["groups"]:
        lines.append("")
        lines.append(ctx.c(f"By {by}:", "bold"))
        for gr in data["groups"][:20]:
            spark = sparkline([float(x["created"] + x["completed"]) for x in gr["series"]])
            lines.append(
                f"  {pad(truncate(gr['name'], 20), 20)} +{gr['created']:<4} ✓{gr['completed']:<4} {ctx.c(spark, 'cyan')}"
            )
        if len(data["groups"]) > 20:
            lines.append(ctx.c(f"  … and {len(data['groups']) - 20} more", "gray"))
    return Outcome(data, lines, 0, warn)


# ====================================================================== gantt
def cmd_gantt(ctx: Ctx, a: argparse.Namespace) -> Outcome:
    from ..insight.timeline import gantt

    specs, warn = _load(ctx)
    data = gantt(specs, weeks=a.weeks, show_complete=a.show_complete, critical_path=a.critical_path)
    start = _dt.date.fromisoformat(data["start"])
    end = _dt.date.fromisoformat(data["end"])
    today = _dt.date.fromisoformat(data["today"])
    ndays = (end - start).days + 1
    cols = min(ndays, max(28, min(84, width() - 44)))
    per = ndays / cols

    def col(d: _dt.date) -> int:
        return int((d - start).days / per)

    label_w = 34
    lines = [ctx.c(f"📅 Gantt  {data['start']} → {data['end']}  ({data['weeks']} weeks)", "bold")]
    # Week ruler.
    ruler = [" "] * cols
    for wk in range(data["weeks"]):
        c = col(start + _dt.timedelta(days=7 * wk))
        text = (start + _dt.timedelta(days=7 * wk)).strftime("%b %d")
        for i, ch in enumerate(text):
            if c + i < cols:
                ruler[c + i] = ch
    lines.append(" " * (label_w + 2) + "".join(ruler))
    tcol = col(today)
    for gr in data["groups"]:
        lines.append(ctx.c(f"● {gr['priority']} ({gr['count']})", "bold", PRIORITY_COLOR.get(gr["priority"], "gray")))
        for s in gr["specs"]:
            cells = ["·"] * cols
            b0 = _dt.date.fromisoformat(s["start"]) if s["start"] else today
            b1 = _dt.date.fromisoformat(s["end"]) if s["end"] else None
            first = max(0, col(b0)) if b0 <= end else None
            last = cols - 1 if b1 is None or b1 > end else col(b1)
            if first is not None and (b1 is None or b1 >= start):
                for i in range(first, last + 1):
                    cells[i] = "█" if b1 is not None else "▒"
            if s["overdue"] and b1 is not None:
                # The overrun: from the due date up to today.
                for i in range(max(0, col(b1) + 1), min(cols - 1, tcol) + 1):
                    cells[i] = "▓"
            if 0 <= tcol < cols:
                cells[tcol] = "│" if cells[tcol] == "·" else cells[tcol]
            color = "red" if s["overdue"] else STATUS_COLOR.get(s["status"], "gray")
            label = pad(truncate(f"{_num(s)} {s['title']}", label_w), label_w)
            note = ""
            if s["overdue"]:
                note = ctx.c(f"  ⚠ overdue {s['days_overdue']} d (due {s['due']})", "red")
            elif s["due"]:
                note = ctx.c(f"  due {s['due']}", "gray")
            else:
                note = ctx.c("  no due date", "gray")
            if s["depends_on"]:
                note += ctx.c("  ← " + ", ".join(d["name"].split("-", 1)[0] for d in s["depends_on"]), "gray")
            lines.append(f"{_st(ctx, s['status'], False)} {label} {ctx.c(''.join(cells), color)}{note}")
    if not data["groups"]:
        lines.append(ctx.c("  no open specs", "gray"))
    sm = data["summary"]
    lines.append("")
    lines.append(ctx.c(f"{sm['total']} specs · {sm['with_due']} with a due date · {sm['overdue']} overdue", "gray"))
    if data["critical_path"] is not None:
        cp = data["critical_path"]
        lines.append("")
        lines.append(ctx.c(f"Critical path ({cp['length']} spec{'s' if cp['length'] != 1 else ''}):", "bold"))
        if cp["specs"]:
            lines.append(
                "  " + " → ".join(ctx.c(x["name"], STATUS_COLOR.get(x["status"], "gray")) for x in cp["specs"])
            )
        else:
            lines.append(ctx.c("  (no open specs)", "gray"))
    return Outcome(data, lines, 0, warn)
