"""The one place where errors become HTTP responses.

Every error body has the same shape, ``{"ok": false, "error": {code, message, hint?,
details?}}``; ``code`` is stable (the core's codes plus the few below that only the
web front end can produce).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..core.errors import LeanSpecError


class HttpError(LeanSpecError):
    """An error that only exists at the HTTP layer (auth, origin, read-only, routing)."""

    def __init__(
        self, status: int, code: str, message: str, *, hint: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, hint=hint, details=details)
        self.code = code
        self.http_status = status


def forbidden(message: str, code: str = "forbidden", hint: str | None = None) -> HttpError:
    return HttpError(403, code, message, hint=hint)


def error_body(exc: LeanSpecError) -> dict[str, Any]:
    return {"ok": False, "error": exc.to_dict()}


def error_response(
    exc: BaseException, *, extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """LeanSpecError -> its ``http_status``; anything else -> 500 ``internal``."""
    if isinstance(exc, LeanSpecError):
        status = int(getattr(exc, "http_status", 400) or 400)
        body = error_body(exc)
    else:
        status = 500
        body = {"ok": False, "error": {"code": "internal", "message": f"{type(exc).__name__}: {exc}"}}
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers)


def plain_error(status: int, code: str, message: str, hint: str | None = None) -> JSONResponse:
    return error_response(HttpError(status, code, message, hint=hint))
