"""SHA-256 hex digests without paying for ``hashlib`` when few bytes are hashed.

``hashlib`` loads OpenSSL (~2.4 ms per process). CPython's built-in SHA-256 module
gives the same digest, ~5x slower per byte (here 2.9 against 0.5 ms per MiB). So the
first ``SMALL_TOTAL`` bytes a process hashes go through the built-in, and ``hashlib``
takes over once they are spent (or when the built-in is missing): a command that
verifies a few dozen spec bodies (``view``, ``search``) never loads OpenSSL, and one
that hashes thousands pays at most one import's worth more than hashlib alone.
"""

from __future__ import annotations

SMALL_TOTAL = 1 << 20  # the bytes whose extra built-in cost is about hashlib's import

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

_left = SMALL_TOTAL
_builtin: Callable[[bytes], Any] | None = None
_fast: Callable[[bytes], Any] | None = None


def _load_builtin() -> Callable[[bytes], Any] | None:
    import sys

    # The module's name: _sha256 up to 3.11, _sha2 from 3.12 (a failed import costs a
    # path search).
    names = ("_sha256", "_sha2") if sys.version_info < (3, 12) else ("_sha2", "_sha256")
    for name in names:
        try:
            mod = __import__(name)
        except ImportError:
            continue
        return mod.sha256  # type: ignore[no-any-return]
    return None


def sha256_hex(data: bytes) -> str:
    global _left, _builtin, _fast
    if _fast is None:
        if len(data) <= _left:
            _left -= len(data)
            if _builtin is None:
                _builtin = _load_builtin()
            if _builtin is not None:
                return str(_builtin(data).hexdigest())
        import hashlib

        _fast = hashlib.sha256
    return _fast(data).hexdigest()
