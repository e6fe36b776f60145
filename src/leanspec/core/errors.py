"""One exception tree for the whole tool.

Every error a user can cause carries a stable ``code`` (snake_case string) that the
front ends map to an exit code (CLI), an HTTP status (web) or a tool error (MCP).
Messages are written for humans; ``hint`` says what to do next; ``details`` holds
structured data (candidates, current hash, file path) for JSON consumers.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any



class LeanSpecError(Exception):
    """Root of every error the tool raises on purpose."""

    code = "error"
    #: HTTP status used by the web front end; the CLI maps codes to exit statuses.
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            out["hint"] = self.hint
        if self.details:
            out["details"] = self.details
        return out


class ProjectNotFound(LeanSpecError):
    code = "project_not_found"
    http_status = 404


class ConfigError(LeanSpecError):
    code = "config_error"


class InvalidInput(LeanSpecError):
    """Bad arguments: invalid status, unsafe name, unknown option value."""

    code = "invalid_input"


class SpecNotFound(LeanSpecError):
    code = "spec_not_found"
    http_status = 404


class AmbiguousSpec(LeanSpecError):
    code = "ambiguous_spec"
    http_status = 409


class FileNotFoundInSpec(LeanSpecError):
    code = "file_not_found"
    http_status = 404


class MalformedSpec(LeanSpecError):
    """The spec file exists but cannot be parsed (bad YAML, binary data...)."""

    code = "malformed_spec"
    http_status = 422


class Conflict(LeanSpecError):
    """Optimistic concurrency: the file changed since the caller read it."""

    code = "conflict"
    http_status = 409


class Busy(LeanSpecError):
    """The project lock could not be taken in time."""

    code = "busy"
    http_status = 503


class RelationshipError(LeanSpecError):
    """Self links, cycles, links to unknown specs."""

    code = "invalid_relationship"


class CompletionBlocked(LeanSpecError):
    """Completing a spec with open checklist items or incomplete children."""

    code = "completion_blocked"
    http_status = 409


class DraftTransition(LeanSpecError):
    """Moving a draft straight to in-progress or complete: a draft is approved by
    moving it to planned first."""

    code = "draft_transition"
    http_status = 409


class DuplicateSlug(LeanSpecError):
    """``create`` of a name another spec already uses (the reference would become
    ambiguous)."""

    code = "duplicate_slug"
    http_status = 409


class NoMatch(LeanSpecError):
    """A replace/check/section edit found nothing to change (or too much)."""

    code = "no_match"
    http_status = 422


class WriteFailed(LeanSpecError):
    """The operating system refused the write (read-only file, disk full...)."""

    code = "write_failed"
    http_status = 500


class SearchSyntaxError(LeanSpecError):
    code = "search_syntax"


class SearchBudgetExceeded(LeanSpecError):
    """A search ran past its time or match budget (fuzzy and phrase scans)."""

    code = "search_budget"
    http_status = 422


class Cancelled(LeanSpecError):
    """The work was abandoned: the client went away or the server is stopping."""

    code = "cancelled"
    http_status = 503


class PayloadTooLarge(LeanSpecError):
    """A request body or tool call over its size or structure limit."""

    code = "payload_too_large"
    http_status = 413


class TemplateError(LeanSpecError):
    code = "template_error"


# ------------------------------------------------------------------ claims (leases)
class Blocked(LeanSpecError):
    """A claim on a spec that is not ready: open or missing dependencies, or a status
    that cannot be claimed (details.open_dependencies lists them)."""

    code = "blocked"
    http_status = 409


class NothingReady(LeanSpecError):
    """``claim`` without a spec found no ready spec to take."""

    code = "nothing_ready"
    http_status = 404
