"""The clock format of every timestamp the store writes (``created_at``,
``updated_at``, transitions): UTC with milliseconds and a ``Z``, as LeanSpec writes it."""

from __future__ import annotations

from . import datetimes as _dt


def utc_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC)


def iso_ms(t: _dt.datetime) -> str:
    return t.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
