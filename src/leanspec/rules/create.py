"""The rules of create: the new spec's README (and sub-spec files) built from a
template or from given content, with its frontmatter filled and checked.

Pure: the store allocates the number and folder name under its lock, reads the
template files, and writes the result all-or-nothing (see ``Store.create``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core import datetimes as _dt
from ..core import refs, templates
from ..core.clock import iso_ms
from ..core.frontmatter import Document
from .update import check_field_name, check_priority, check_status, dedupe, split_csv, sync_header

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any


class NewSpec:
    """A create request, checked before the lock is taken (``check``)."""

    def __init__(
        self,
        name: str,
        *,
        title: str | None = None,
        description: str | None = None,
        tags: Sequence[str] = (),
        priority: str | None = None,
        status: str | None = None,
        assignee: str | None = None,
        fields: dict[str, Any] | None = None,
        content: str | None = None,
    ) -> None:
        self.slug = refs.slugify(name)
        self.title = title
        self.description = description
        self.tags = tags
        self.status = check_status(status) if status else None
        self.priority = check_priority(priority) if priority else None
        self.assignee = assignee
        self.fields = {check_field_name(k): v for k, v in (fields or {}).items()}
        self.content = content


def build(
    req: NewSpec,
    *,
    folder: str,
    number: int,
    now: _dt.datetime,
    project_name: str,
    variables: dict[str, str],
    template_files: dict[str, str] | None,
    depends_on: list[str],
    parent: str | None,
    insert_header: bool,
) -> tuple[Document, dict[str, str]]:
    """(README document, other files by name) of the new spec ``folder``.
    ``template_files``: the template's files (README.md first), or None with content."""
    today = now.date().isoformat()
    the_title = (req.title or "").strip() or refs.title_from_slug(req.slug)
    values = {
        "name": the_title,
        "title": the_title,
        "date": today,
        "status": req.status or "planned",
        "priority": req.priority or "medium",
        "project_name": project_name,
        "spec_name": folder,
        "number": str(number),
    }
    values.update(variables)
    content, description = req.content, req.description
    extra: dict[str, str] = {}
    if content is not None:
        main = content.replace("\r\n", "\n")
        if not main.lstrip("\ufeff").startswith("---"):
            if not main.lstrip().startswith("# "):
                main = f"# {the_title}\n\n" + main
            main = "---\nstatus: planned\ncreated: '" + today + "'\n---\n\n" + main
    else:
        assert template_files is not None
        rendered = {fn: templates.render(t, values) for fn, t in template_files.items()}
        main = rendered.pop("README.md")
        extra = rendered
        if description:
            d = Document.parse(main, path="template")
            d.body = templates.fill_overview(d.body, description)
            main = d.render()
    doc = Document.parse(main, path=f"{folder}/README.md")
    if content is not None and description:
        doc.body = templates.fill_overview(doc.body, description)
    # --content may carry its own status/priority: validated like the options.
    doc.set("status", req.status or check_status(str(doc.data.get("status") or "planned")))
    if "created" not in doc.data or content is None:
        doc.set("created", today)
    if req.priority or "priority" not in doc.data:
        doc.set("priority", req.priority or "medium")
    elif doc.data.get("priority") is not None:
        doc.set("priority", check_priority(str(doc.data["priority"])))
    if req.tags:
        doc.set("tags", dedupe(split_csv(list(req.tags))))
    if depends_on:
        doc.set("depends_on", depends_on)
    if parent:
        doc.set("parent", parent)
    if req.assignee:
        doc.set("assignee", req.assignee.strip())
    for k, v in req.fields.items():
        doc.set(k, v)
    if not doc.data.get("created_at"):
        doc.set("created_at", iso_ms(now))
    if doc.data.get("status") == "complete":
        if not doc.data.get("completed_at"):
            doc.set("completed_at", iso_ms(now))
        if not doc.data.get("completed"):
            doc.set("completed", today)
    sync_header(doc, insert=insert_header)
    doc.verify(dict(doc.data), path=f"{folder}/README.md")
    return doc, extra
