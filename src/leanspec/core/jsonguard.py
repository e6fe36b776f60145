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


def check_object(raw: bytes, *, what: str = "request body", max_containers: int = MAX_CONTAINERS, max_values: int = MAX_VALUES) -> None:
    """Raise ``InvalidInput`` unless ``raw`` looks like one JSON object, and
    ``PayloadTooLarge`` if it nests more objects/arrays or values than allowed."""
    head = raw[:64].lstrip()
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if not head.startswith(b"{"):
        raise InvalidInput(f"{what} must be a JSON object")
    # Escapes first (``\\\\`` pairs, then ``\\"``, as JSON pairs them), then every
    # string's contents blanked out, so only structure is counted.
    flat = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    strings = flat.count(b'"') // 2
    lower_bound = False
    if strings > max_values + 1:
        # Every string is a key (followed by ":") or a value (between ","s), so there
        # are at least strings - 1 values: refused without blanking a million strings
        # (re.sub would build a piece per string, ~100 MB for 4 MB of "a",).
        containers, values = 0, strings - 1
        lower_bound = True
    else:
        sk = _STRING.sub(b'""', flat)
        containers = sk.count(b"{") + sk.count(b"[")
        values = sk.count(b",") + sk.count(b":")
    if containers > max_containers or values > max_values:
        raise PayloadTooLarge(
            f"{what} too complex: "
            + (f"at least {values} values " if lower_bound else f"{containers} objects/arrays and {values} values ")
            + f"(at most {max_containers} and {max_values})",
            details={"containers": containers, "values": values, "max_containers": max_containers, "max_values": max_values},
        )
