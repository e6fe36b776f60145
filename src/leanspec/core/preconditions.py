"""Compare-and-set preconditions on an update: ``--if-status S`` and
``--if-assignee NAME|none``, checked by the store inside the update transaction
(after the re-read under the lock, before any change), so two agents that both
expect ``planned`` cannot both move a spec on."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import Conflict

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any

NO_ASSIGNEE = ("", "none")


def check(
    frontmatter: Mapping[str, Any], name: str, *, if_status: str | None = None, if_assignee: str | None = None
) -> None:
    """Raise ``Conflict`` (details: current and expected values) unless the spec's
    current status / assignee are the expected ones. ``if_assignee`` ``none`` (or
    empty) expects no assignee."""
    if if_status is None and if_assignee is None:
        return
    status = str(frontmatter.get("status") or "planned")
    raw = frontmatter.get("assignee")
    assignee = str(raw).strip() if raw not in (None, "") else None
    problems: list[str] = []
    if if_status is not None and status.lower() != if_status.strip().lower():
        problems.append(f"status is {status!r}, expected {if_status.strip()!r}")
    if if_assignee is not None:
        want = if_assignee.strip()
        if want.lower() in NO_ASSIGNEE:
            if assignee is not None:
                problems.append(f"assignee is {assignee!r}, expected none")
        elif assignee != want:
            problems.append(f"assignee is {assignee!r}, expected {want!r}" if assignee else f"no assignee, expected {want!r}")
    if problems:
        raise Conflict(
            f"{name}: precondition failed: {'; '.join(problems)}; nothing was written",
            hint="re-read the spec (its current values are in details) and decide again",
            details={
                "spec": name,
                "current_status": status,
                "current_assignee": assignee,
                "expected_status": if_status,
                "expected_assignee": if_assignee,
            },
        )
