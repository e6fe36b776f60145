"""The web UI and JSON API (``lean-spec ui``). Loaded only by that command: nothing
outside ``leanspec.web`` and ``leanspec.cli.cmd_ui`` imports starlette or uvicorn."""

from __future__ import annotations

__all__ = ["create_app"]


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    from .app import create_app as _create_app

    return _create_app(*args, **kwargs)
