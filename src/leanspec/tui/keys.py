"""Every key of the TUI, by screen: the help screen shows this table and
docs/commands/tui.md documents each entry (tests/test_tui.py checks both against the
bindings the screens really have)."""

from __future__ import annotations

# (section, [(keys as shown, what they do)]). Key names as Textual spells them are
# derived in ``binding_keys`` below for the consistency test.
KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Everywhere (board, list, spec)",
        [
            ("?", "this help"),
            ("q", "quit"),
            ("1", "board view"),
            ("2", "list view"),
            ("/", "search (the project's query syntax); Enter opens the highlighted spec"),
            ("f", "filters: status, priority, tags, assignee, query, archived"),
            ("F", "clear every filter"),
            ("s", "cycle the sort of the view: ID ↓, ID ↑, Priority ↓, Title A-Z, Updated ↓ (the board starts with priority, then number)"),
            ("p", "switch project"),
            ("r", "reload now (changes on disk also appear by themselves)"),
            ("ctrl+t", "light / dark theme"),
            ("ctrl+q", "quit (also from dialogs)"),
        ],
    ),
    (
        "Edit the selected spec (board, list, spec page)",
        [
            ("m", "move: pick a status"),
            ("<  >", "move to the previous / next status column"),
            ("!", "set the priority"),
            ("#", "edit tags"),
            ("x", "checklist: tick and untick items"),
        ],
    ),
    (
        "Claims (docs/claims.md)",
        [
            ("c", "claim the selected spec (in progress, assignee, lease; on your own claim: renew it)"),
            ("C", "claim the next ready spec (highest priority, then lowest number)"),
            ("u", "release your claim: back to planned, complete, or keep in progress"),
            ("@", "claim as: the holder name (asked at the first claim, default $USER)"),
        ],
    ),
    (
        "Board",
        [
            ("h l  ← →", "previous / next column"),
            ("tab  shift+tab", "next / previous column (wraps)"),
            ("j k  ↓ ↑", "next / previous card"),
            ("g G  home end", "first / last card of the column"),
            ("pgup pgdn", "a page up / down"),
            ("enter", "open the spec (on “… more”: list that column)"),
            ("d", "open the spec's dependencies"),
        ],
    ),
    (
        "List",
        [
            ("j k  ↓ ↑", "next / previous spec"),
            ("g G  home end", "first / last spec"),
            ("pgup pgdn", "a page up / down"),
            ("enter", "open the spec"),
            ("d", "open the spec's dependencies"),
        ],
    ),
    (
        "Spec page",
        [
            ("esc  backspace", "back"),
            ("j k  ↓ ↑", "scroll (in Dependencies: move)"),
            ("g G  home end", "top / bottom"),
            ("pgup pgdn  space", "a page up / down"),
            ("tab  shift+tab", "next / previous tab (README, sub-spec files, Dependencies)"),
            ("T", "table of contents: jump to a heading"),
            ("d", "Dependencies tab (upstream and downstream); Enter opens a spec"),
        ],
    ),
    (
        "Dialogs",
        [
            ("j k  ↓ ↑", "move (in the search dialog ↓ ↑ only: letters type)"),
            ("pgup pgdn  g G", "help: a page up / down, top / bottom"),
            ("enter", "choose / apply"),
            ("space", "toggle (checklist, filters)"),
            ("esc", "close (the filter dialog applies on close too)"),
            ("tab shift+tab", "filter dialog: next / previous field"),
            ("ctrl+x", "filter dialog: clear every filter"),
            ("y n", "answer a confirmation (force a blocked status change or a complete release)"),
            ("a", "project switcher: add a project folder"),
        ],
    ),
]

