"""Key bindings shared by the full screens (board/list and the spec page); the app
implements the actions. Each key is in keys.KEYS (the help screen and the docs)."""

from __future__ import annotations

from textual.binding import Binding, BindingType

# Keys every full screen (board/list, spec page) has; the app implements them.
COMMON_BINDINGS: list[BindingType] = [
    Binding("question_mark", "app.help", "Help"),
    Binding("q", "app.quit", "Quit"),
    Binding("slash", "app.search", "Search"),
    Binding("f", "app.filter", "Filter"),
    Binding("F", "app.clear_filters", "Clear filters", show=False),
    Binding("s", "app.sort", "Sort", show=False),
    Binding("p", "app.projects", "Project", show=False),
    Binding("r", "app.reload", "Reload", show=False),
    Binding("1", "app.view('board')", "Board", show=False),
    Binding("2", "app.view('list')", "List", show=False),
]
EDIT_BINDINGS: list[BindingType] = [
    Binding("m", "app.move", "Move"),
    Binding("less_than_sign", "app.step(-1)", "◀ status", show=False),
    Binding("greater_than_sign", "app.step(1)", "status ▶", show=False),
    Binding("exclamation_mark", "app.priority", "Priority", show=False),
    Binding("number_sign", "app.tags", "Tags", show=False),
    Binding("x", "app.checklist", "Checklist", show=False),
    Binding("c", "app.claim", "Claim"),
    Binding("C", "app.claim(True)", "Claim next", show=False),
    Binding("u", "app.release", "Release", show=False),
    Binding("at", "app.claimant", "Claim as", show=False),
]
