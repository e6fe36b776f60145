"""How results look on the wire: lean JSON (no nulls, short hashes) and the refusal of
argument names a tool does not take. Used by the server and the error funnel."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..core.guards import short_hash


def lean(value: Any) -> Any:
    """A result as it goes to the agent: no null values, and every ``*_hash`` that is a
    full SHA-256 cut to its first 12 hex digits (the short form `expected_hash` takes)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if v is None:
                continue
            if isinstance(v, str) and len(v) == 64 and k.endswith("_hash"):
                v = short_hash(v)
            out[k] = lean(v)
        return out
    if isinstance(value, list):
        return [lean(v) for v in value]
    return value


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def unknown_arguments(tool: str, given: Iterable[str], valid: Sequence[str]) -> dict[str, Any] | None:
    """The error payload for arguments the tool does not take (None if all are known):
    names the valid ones and the likely intended one (``specPath`` -> ``spec``)."""
    unknown = [a for a in given if a not in valid]
    if not unknown:
        return None
    import difflib

    guesses: dict[str, str] = {}
    for a in unknown:
        snake = _snake(a)
        near = (
            [snake]
            if snake in valid
            else [v for v in valid if snake.startswith(v + "_") or v.startswith(snake)]
            or difflib.get_close_matches(snake, valid, n=1, cutoff=0.6)
        )
        if near:
            guesses[a] = near[0]
    msg = f"unknown argument(s) for `{tool}`: " + ", ".join(
        f"{a}" + (f" (did you mean {guesses[a]}?)" if a in guesses else "") for a in unknown
    )
    return {
        "code": "invalid_input",
        "message": msg,
        "hint": f"`{tool}` takes: " + ", ".join(valid),
        "details": {"unknown": unknown, "valid": list(valid), "suggestions": guesses},
    }
