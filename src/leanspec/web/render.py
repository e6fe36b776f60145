"""Markdown to HTML for the spec page: CommonMark + GFM tables, strikethrough and task
lists, Pygments highlighting, mermaid blocks shown as source. Raw HTML in a spec is
escaped (``html: False``): a spec can never inject script into the page. Control
characters (ESC, BEL, NUL, ...) and bidi overrides are shown escaped (``\x1b``,
``\u202e``: ``untrusted.markdown_safe``), so spec text cannot hide or reorder what the
page shows; ``javascript:``, ``vbscript:``, ``file:`` and ``data:`` links are not
linked, and the page's CSP loads no outside image.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

_TASK_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s")


@lru_cache(maxsize=1)
def _md() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.tasklists import tasklists_plugin

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "highlight": _highlight})
    md.enable(["table", "strikethrough"])
    md.use(tasklists_plugin, enabled=True)

    def link_open(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
        # External links open in a new tab and never get the page's opener.
        href = tokens[idx].attrGet("href") or ""
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I):
            tokens[idx].attrSet("target", "_blank")
            tokens[idx].attrSet("rel", "noopener noreferrer")
        return self.renderToken(tokens, idx, options, env)

    md.add_render_rule("link_open", link_open)
    return md


def _highlight(code: str, lang: str, _attrs: Any) -> str:
    lang = (lang or "").strip().lower()
    if lang == "mermaid":
        return (
            '<pre class="code mermaid-src" data-lang="mermaid"><span class="code-label">mermaid</span>'
            f"<code>{html.escape(code)}</code></pre>"
        )
    if not lang:
        return ""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound

        try:
            lexer = get_lexer_by_name(lang, stripall=False)
        except ClassNotFound:
            return ""
        body = highlight(code, lexer, HtmlFormatter(nowrap=True, classprefix="tok-"))
    except Exception:  # highlighting is cosmetic; never fail a page over it
        return ""
    return f'<pre class="code hl" data-lang="{html.escape(lang)}"><span class="code-label">{html.escape(lang)}</span><code>{body}</code></pre>'


def render_markdown(text: str) -> str:
    """HTML for a spec body. Task-list items carry ``data-line`` (0-based line in
    ``text``) so the page can toggle exactly that item."""
    from ..core.untrusted import markdown_safe

    text = markdown_safe(text)  # line breaks kept: data-line stays right
    md = _md()
    tokens = md.parse(text)
    lines = text.split("\n")
    for tok in tokens:
        if tok.type == "list_item_open" and tok.map and "task-list-item" in (tok.attrGet("class") or ""):
            line = tok.map[0]
            if 0 <= line < len(lines) and _TASK_RE.match(lines[line]):
                tok.attrSet("data-line", str(line))
    return md.renderer.render(tokens, md.options, {})


def task_item_at(text: str, line: int) -> tuple[str, bool] | None:
    """(item text, checked) of the task-list item on ``line`` of ``text``."""
    lines = text.split("\n")
    if not 0 <= line < len(lines):
        return None
    m = _TASK_RE.match(lines[line])
    if not m:
        return None
    return lines[line][m.end() :].strip(), m.group(1) in "xX"
