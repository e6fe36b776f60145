"""Cheap structure checks on untrusted JSON *before* it is parsed.

``json.loads`` of 15 MB of ``[{},{},…]`` builds millions of objects (~450 MB) before
any validation can refuse it. ``check_object`` looks at the raw bytes with a few
C-speed passes (strings blanked out, then brackets and commas counted) and refuses a
body that is not an object or holds more containers or values than any real request
(the HTTP API's bodies, one MCP message) needs. A body that passes parses into at
most ``max_containers`` lists/dicts and ``max_values`` scalars, whatever its size.
"""

from __future__ import annotations

import re

from .errors import InvalidInput, PayloadTooLarge

MAX_CONTAINERS = 1_000
MAX_VALUES = 10_000
_STRING = re.compile(rb'"[^"]*"')


def skeleton(raw: bytes) -> bytes:
    """``raw`` with every JSON string's contents removed (escapes first: ``\\\\`` pairs,
    then ``\\"``, exactly as JSON pairs them), so only structure is left."""
    flat = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    return _STRING.sub(b'""', flat)


def check_object(raw: bytes, *, what: str = "request body", max_containers: int = MAX_CONTAINERS, max_values: int = MAX_VALUES) -> None:
    """Raise ``InvalidInput`` unless ``raw`` looks like one JSON object, and
    ``PayloadTooLarge`` if it nests more objects/arrays or values than allowed."""
    head = raw[:64].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if not head.startswith(b"{"):
        raise InvalidInput(f"{what} must be a JSON object")
    sk = skeleton(raw)
    containers = sk.count(b"{") + sk.count(b"[")
    values = sk.count(b",") + sk.count(b":")
    if containers > max_containers or values > max_values:
        raise PayloadTooLarge(
            f"{what} too complex: {containers} objects/arrays and {values} values "
            f"(at most {max_containers} and {max_values})",
            details={"containers": containers, "values": values, "max_containers": max_containers, "max_values": max_values},
        )
