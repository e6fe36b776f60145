"""The MCP tools' argument types and annotations, shared by every tool module
(``tools``, ``claim_tools``): one description per argument, so each is written once."""

from __future__ import annotations

from typing import Annotated, Literal

from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

IfStatus = Annotated[
    str | None,
    Field(description="write only if the status is this (else conflict)"),
]
IfAssignee = Annotated[
    str | None,
    Field(description="write only if the assignee is this ('none': unassigned)"),
]
Status = Literal["draft", "planned", "in-progress", "complete", "archived"]
Priority = Literal["low", "medium", "high", "critical"]
SpecRef = Annotated[
    str,
    Field(
        description="number (45), folder name or slug",
        min_length=1,
    ),
]
FileRef = Annotated[
    str,
    Field(
        description="number, folder name, slug, or 045/DESIGN.md",
        min_length=1,
    ),
]
ExpectedHash = Annotated[
    str | None,
    Field(
        description="the content_hash you read (a changed spec: conflict)",
    ),
]
Limit = Annotated[int, Field(ge=1, le=500, description="page size")]
Offset = Annotated[int, Field(ge=0, description="the previous page's next_offset")]
SpecList = Annotated[
    list[str] | str | None,
    Field(description="comma-separated or a list"),
]


class Replacement(BaseModel):
    old_string: str = Field(min_length=1, description="exact body text")
    new_string: str
    match_mode: Literal["unique", "all", "first"] = Field("unique", description="unique: must occur once")


class SectionUpdate(BaseModel):
    section: str = Field(min_length=1, description="heading text, e.g. Plan")
    content: str
    mode: Literal["replace", "append", "prepend"] = "replace"


class ChecklistToggle(BaseModel):
    item_text: str = Field(min_length=1, description="part of one item's text")
    checked: bool = True


# ----------------------------------------------------------------- result helpers

# openWorldHint is left at its default (true): it costs ~8 tokens per tool in every
# session, and the claim tools do reach a git remote.
READ = ToolAnnotations(read_only_hint=True)
WRITE = ToolAnnotations(destructive_hint=False)
IDEMPOTENT_WRITE = ToolAnnotations(destructive_hint=False, idempotent_hint=True)
DESTRUCTIVE = ToolAnnotations(idempotent_hint=True)



Holder = Annotated[str, Field(min_length=1, description="your agent name")]
Remote = Annotated[
    str | None,
    Field(description="git remote for claims (default: config claims.remote)"),
]
FieldsArg = Annotated[
    list[str] | str | dict[str, str] | None,
    Field(
        description="keys per spec (default name, title, status, priority, tags, assignee, parent, content_hash)"
    ),
]
