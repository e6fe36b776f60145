"""The spec page: a header (status, priority, assignee, claim, blockers), one tab per
file (README and sub-spec files as rendered markdown) and a Dependencies tab."""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static, TabbedContent, TabPane
from textual.widgets.option_list import Option

from ..core.model import Spec
from .backend import PRIORITY_SYMBOL, STATUS_LABEL, STATUS_SYMBOL, lease_left, lease_until, safe, status_of
from .bindings import COMMON_BINDINGS, EDIT_BINDINGS
from .dialogs import TocScreen, VimOptionList, plain, ptext
from .docview import DocView
from .widgets import StatusBar

_TASK_LINE = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[([ xX])\](?=\s|$)")


def display_markdown(text: str) -> str:
    """The text a spec page renders: task-list boxes drawn as ☐ / ☑ (Textual's markdown
    shows them as literal brackets). Display only; edits go through the checklist dialog."""
    if "[" not in text:
        return text
    out = []
    fence = ""
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith(("```", "~~~")):
            fence = "" if fence and s[:3] == fence else (fence or s[:3])
        elif not fence:
            line = _TASK_LINE.sub(lambda m: m.group(1) + ("☑" if m.group(2) in "xX" else "☐"), line)
        out.append(line)
    return "\n".join(out)


# ================================================================= spec page
class DetailScreen(Screen[None]):
    """One spec: a header, its README and sub-spec files as rendered markdown (one tab
    each), and its dependencies."""

    DEFAULT_CSS = """
    DetailScreen #detail-header {
        height: auto; max-height: 6; padding: 0 1; background: $panel; text-wrap: nowrap; text-overflow: ellipsis;
    }
    DetailScreen TabbedContent { height: 1fr; }
    DetailScreen TabPane { padding: 0; height: 1fr; }
    DetailScreen ContentSwitcher { height: 1fr; }
    DetailScreen #deps { height: 1fr; border: none; max-height: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back"),
        Binding("T", "toc", "Contents"),
        Binding("d", "deps", "Deps"),
        Binding("tab", "tab(1)", "Next tab", show=False, priority=True),
        Binding("shift+tab", "tab(-1)", "Prev tab", show=False, priority=True),
        *EDIT_BINDINGS,
        *COMMON_BINDINGS,
    ]

    def __init__(self, name: str, *, tab: str | None = None) -> None:
        super().__init__()
        self.spec_name = name
        self.initial_tab = tab
        self.spec: Spec | None = None
        self.files: list[tuple[str, str]] = []
        self.deps: dict[str, Any] | None = None
        self.blocked: list[str] = []
        self.lease: Any = None  # the live claim on this spec
        self.now: Any = None  # when the lease was read
        self.gone = False
        self.stale = False  # the listing changed while a dialog covered this page
        self._reloading = asyncio.Lock()

    @property
    def lsapp(self) -> Any:  # the LeanSpecApp (app.py imports this module, not the reverse)
        return self.app  # type: ignore[return-value]

    def compose(self) -> Any:
        yield Static("", id="detail-header")
        yield TabbedContent(id="tabs")
        yield StatusBar(id="statusbar")
        yield Footer()

    async def on_mount(self) -> None:
        await self.reload(first=True)
        self.lsapp.update_status()

    async def on_screen_resume(self) -> None:
        if self.stale and self.spec is not None:
            self.stale = False
            await self.reload()
        self.lsapp.update_status()

    def selected_spec(self) -> Spec | None:
        return None if self.gone else self.spec

    # -- data -----------------------------------------------------------------
    async def reload(self, *, first: bool = False) -> None:
        async with self._reloading:  # the first load and a live refresh never interleave
            await self._reload(first=first or self.spec is None)

    async def _reload(self, *, first: bool) -> None:
        from ..core.errors import SpecNotFound

        backend = self.lsapp.backend
        try:
            data = await backend.call(backend.detail, self.spec_name)
        except SpecNotFound:
            self.gone = True
            self.query_one("#detail-header", Static).update(
                ptext(f"{self.spec_name} no longer exists (deleted, renamed or archived elsewhere). Esc goes back.", "bold")
            )
            return
        self.gone = False
        spec: Spec = data["spec"]
        changed_spec = self.spec is None or spec.content_hash != self.spec.content_hash or spec.name != self.spec.name
        self.spec = spec
        self.spec_name = spec.name
        self.blocked = data["blocked"]
        self.lease, self.now = data["lease"], data["now"]
        self.query_one("#detail-header", Static).update(self.header_text())
        names = [n for n, _t in data["files"]]
        tabs = self.query_one(TabbedContent)
        if first or names != [n for n, _t in self.files]:
            # (Re)build the tabs; a rebuild (a sub-spec file came or went) keeps the tab
            # that was shown when it is still there.
            shown = self.initial_tab if first else self.active_tab_name()
            self.files = data["files"]
            self.deps = data["deps"]
            await tabs.clear_panes()
            for i, (fname, text) in enumerate(self.files):
                doc = DocView(display_markdown(text), id=f"doc-{i}")
                await tabs.add_pane(TabPane(plain(fname), doc, id=f"file-{i}"))
            await tabs.add_pane(TabPane("Dependencies", VimOptionList(id="deps"), id="tab-deps"))
            self.fill_deps()
            want = "file-0"
            if shown == "deps":
                want = "tab-deps"
            elif shown in names:
                want = f"file-{names.index(shown)}"
            tabs.active = want
            self.focus_active()
            return
        # Same files: update the ones whose text changed (each keeps its scroll position).
        for i, ((_n, old), (_n2, new)) in enumerate(zip(self.files, data["files"], strict=True)):
            if old != new:
                self.query_one(f"#doc-{i}", DocView).set_text(display_markdown(new))
        self.files = data["files"]
        if changed_spec or data["deps"] != self.deps:
            self.deps = data["deps"]
            self.fill_deps()

    def header_text(self) -> Text:
        s = self.spec
        assert s is not None
        st = status_of(s)
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(safe(s.title), "bold")
        t.append("\n")
        t.append(safe(s.name), "dim")
        t.append("  ")
        t.append(f"{STATUS_SYMBOL.get(st, '?')} {STATUS_LABEL.get(st, st)}", "bold")
        prio = (s.priority or "").lower()
        if prio:
            t.append(safe(f"  {PRIORITY_SYMBOL.get(prio, ' ')} {prio}"))
        lease = self.lease
        if s.assignee and (lease is None or lease.holder != s.assignee):
            t.append(safe(f"  @{s.assignee}"))
        done, total = s.checklist
        if total:
            t.append(f"  ☑ {done}/{total}")
        t.append("\n")
        if lease is not None or self.blocked:
            if lease is not None:
                left = f", {lease_left(lease.expires_at, self.now)} left" if self.now is not None else ""
                t.append(safe(f"⚑ claimed by {lease.holder} until {lease_until(lease.expires_at)}{left}"), "bold")
            if self.blocked:
                t.append(safe(("  " if lease is not None else "") + "⊠ blocked by " + ", ".join(self.blocked)), "bold red")
            t.append("\n")
        meta = []
        if s.tags:
            meta.append(" ".join("#" + x for x in s.tags))
        if s.created:
            meta.append(f"created {s.created}")
        upd = s.frontmatter.get("updated_at") or s.frontmatter.get("updated")
        if upd:
            meta.append(f"updated {str(upd)[:10]}")
        if s.depends_on:
            meta.append(f"depends on {len(s.depends_on)}")
        if s.parent:
            meta.append(f"parent {s.parent}")
        t.append(safe("  ·  ".join(meta)), "dim")
        return t

    def fill_deps(self) -> None:
        ol = self.query_one("#deps", OptionList)
        keep = ol.highlighted
        ol.clear_options()
        d = self.deps
        snap = self.lsapp.snapshot

        def row(section: str, card: dict[str, Any], indent: int = 0) -> Option:
            st = card.get("status") or "planned"
            st = st if st in STATUS_SYMBOL else "planned"
            if snap is not None and card["name"] in snap.by_name:
                st = status_of(snap.by_name[card["name"]])
            t = Text(no_wrap=True, overflow="ellipsis")
            t.append("  " * indent + f"{STATUS_SYMBOL[st]} ", "bold")
            t.append(safe(f"{card['name']}  "), "dim")
            t.append(safe(card.get("title") or ""))
            return Option(t, id=f"{section}:{card['name']}")

        def head(text: str) -> Option:
            return Option(Text(text, "bold underline"), disabled=True)

        def none() -> Option:
            return Option(Text("  (none)", "dim"), disabled=True)

        if d is None:
            ol.add_option(Option(plain("No dependency information."), disabled=True))
            return
        opts: list[Option] = [head("Upstream — depends on")]
        opts += [row("up", c, c.get("depth", 1)) for c in d["depends_on"]] or [none()]
        opts.append(head("Downstream — required by"))
        opts += [row("down", c, c.get("depth", 1)) for c in d["required_by"]] or [none()]
        if d.get("parent"):
            opts += [head("Parent"), row("parent", d["parent"], 1)]
        if d.get("children"):
            opts.append(head("Children"))
            opts += [row("child", c, 1) for c in d["children"]]
        if d.get("cycles"):
            opts.append(head("Cycles"))
            opts += [Option(ptext("  " + " → ".join(c), "red"), disabled=True) for c in d["cycles"]]
        if d.get("unresolved"):
            opts.append(head("Unresolved references"))
            opts += [
                Option(ptext(f"  {u['field']}: {u['ref']} ({u['reason']})", "dim"), disabled=True)
                for u in d["unresolved"]
            ]
        if self.spec is not None and self.spec.depends_on:
            opts.append(head("depends_on (frontmatter)"))
            opts += [Option(ptext("  " + x, "dim"), disabled=True) for x in self.spec.depends_on]
        ol.add_options(opts)
        if keep is not None and keep < ol.option_count:
            ol.highlighted = keep

    # -- actions --------------------------------------------------------------
    def active_tab_name(self) -> str | None:
        """"deps", a file name, or None."""
        active = self.query_one(TabbedContent).active
        if active == "tab-deps":
            return "deps"
        if active and active.startswith("file-"):
            i = int(active.removeprefix("file-"))
            return self.files[i][0] if i < len(self.files) else None
        return None

    def focus_active(self) -> None:
        """Focus the active tab's content now (keys typed next go to it)."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == "tab-deps":
            ol = self.query_one("#deps", OptionList)
            self.set_focus(ol)
            if ol.highlighted is None:
                ol.action_first()
        else:
            i = tabs.active.removeprefix("file-") if tabs.active else "0"
            for doc in self.query(f"#doc-{i}").results(DocView):
                self.set_focus(doc)

    @on(TabbedContent.TabActivated)
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.call_after_refresh(self.focus_active)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        ids = [p.id for p in tabs.query(TabPane) if p.id]
        if not ids:
            return
        i = ids.index(tabs.active) if tabs.active in ids else 0
        tabs.active = ids[(i + step) % len(ids)]
        self.focus_active()

    def action_deps(self) -> None:
        self.query_one(TabbedContent).active = "tab-deps"
        self.focus_active()

    def current_doc(self) -> DocView | None:
        tabs = self.query_one(TabbedContent)
        if not tabs.active or not tabs.active.startswith("file-"):
            return None
        return self.query_one(f"#doc-{tabs.active.removeprefix('file-')}", DocView)

    @work(group="toc")
    async def action_toc(self) -> None:
        doc = self.current_doc()
        if doc is None:
            self.query_one(TabbedContent).active = "file-0"
            doc = self.current_doc()
            if doc is None:
                return
        line = await self.app.push_screen_wait(TocScreen(doc.headings))
        if line is not None:
            doc.scroll_to(y=int(line), animate=False)
            self.set_focus(doc)

    @on(OptionList.OptionSelected, "#deps")
    def dep_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            name = event.option.id.split(":", 1)[1]
            self.lsapp.open_spec(name)

    def show_status(self, parts: list[tuple[str, str]]) -> None:
        for bar in self.query(StatusBar):
            bar.set(parts)
