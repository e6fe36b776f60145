"""The claim tools (issue 11): ``claim``, ``release`` and ``next`` over
``workflows.claims`` (atomic claims with leases; docs/claims.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from ..workflows import claims as claims_api
from .args import READ, WRITE, Holder, Remote, SpecRef

if TYPE_CHECKING:
    from ..project import Project


def register_claims(tool: Callable[..., Any], project: Callable[[], Project]) -> None:

    @tool(
        "claim",
        "Atomically claim a spec (in-progress, assignee, lease); no `spec`: the next ready one by priority. "
        "Errors: conflict, blocked, nothing_ready.",
        WRITE,
    )
    def claim(
        holder: Holder,
        spec: Annotated[str | None, Field(description="spec to claim (default: the next ready one)")] = None,
        lease: Annotated[str | None, Field(description="e.g. 30m, 1h")] = None,
        renew: Annotated[bool, Field(description="extend your lease")] = False,
        force: Annotated[bool, Field(description="ignore another's lease or open deps")] = False,
        remote: Remote = None,
    ) -> dict[str, Any]:
        res = claims_api.claim(project(), spec, holder=holder, lease=lease, force=force, renew=renew, remote=remote)
        return res.to_dict()  # type: ignore[no-any-return]

    @tool(
        "release",
        "End your claim. status planned: back to the queue; complete: done (completion rules apply).",
        WRITE,
    )
    def release(
        spec: SpecRef,
        holder: Holder,
        status: Annotated[
            Literal["planned", "complete"] | None, Field(description="also set the status")
        ] = None,
        force: Annotated[bool, Field(description="release another's claim; ignore open items")] = False,
        remote: Remote = None,
    ) -> dict[str, Any]:
        res = claims_api.release(project(), spec, holder=holder, status=status, force=force, remote=remote)
        return res.to_dict()  # type: ignore[no-any-return]

    @tool(
        "next",
        "What `claim` would take now (no claim made), the ready count, live claims.",
        READ,
    )
    def next_spec(
        remote: Remote = None,
        limit: Annotated[int, Field(ge=0, le=100, description="also list up to this many ready specs")] = 5,
    ) -> dict[str, Any]:
        p = project()
        top, r = claims_api.next_ready(p, remote=remote)
        ready = r.ready()
        return {
            "spec": top.to_dict() if top is not None else None,
            "ready_total": len(ready),
            "ready": [s.name for s in ready[:limit]],
            "claims": [x.to_dict(r.now) for x in sorted(r.leases.values(), key=lambda x: x.spec) if x.live(r.now)],
        }
