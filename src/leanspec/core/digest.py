"""SHA-256 hex digests without paying for ``hashlib`` on one-spec commands.

``hashlib`` loads OpenSSL (~2-3 ms per process). CPython's built-in SHA-256 module
gives the same digest, ~5x slower per byte: cheaper for the few files a one-spec
command hashes, dearer for a cold load of thousands. So the first ``SMALL_CALLS``
digests (and only of files under ``SMALL_BYTES``) use the built-in; after that, or
when it is missing, ``hashlib``.
"""

from __future__ import annotations

SMALL_CALLS = 16
SMALL_BYTES = 256 * 1024

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_calls = 0
_builtin: Callable[[bytes], Any] | None = None
_fast: Callable[[bytes], Any] | None = None


def _load_builtin() -> Callable[[bytes], Any] | None:
    for name in ("_sha2", "_sha256"):  # 3.12+, 3.11
        try:
            mod = __import__(name)
        except ImportError:
            continue
        return mod.sha256  # type: ignore[no-any-return]
    return None


def sha256_hex(data: bytes) -> str:
    global _calls, _builtin, _fast
    if _fast is None:
        _calls += 1
        if _calls <= SMALL_CALLS and len(data) < SMALL_BYTES:
            if _builtin is None:
                _builtin = _load_builtin()
            if _builtin is not None:
                return str(_builtin(data).hexdigest())
        import hashlib

        _fast = hashlib.sha256
    return _fast(data).hexdigest()
