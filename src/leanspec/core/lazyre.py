"""``LazyRe``: a module-level regex compiled on first use.

Every ``lean-spec`` run imports the core modules; most of their patterns serve edits
or rare paths, and compiling them all at import cost ~1-2 ms per process. A
``LazyRe`` has the ``re.Pattern`` methods the core calls and compiles on the first.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterator
    from typing import Any

# ``re`` itself is imported on the first compile, not here: ``import re`` pulls in
# ``enum`` (~5 ms per process), and a warm ``list``/``board``/``search`` compiles
# nothing. Flags are the ``re`` constants' values, which are part of its API.
IGNORECASE = 2
MULTILINE = 8
DOTALL = 16
VERBOSE = 64


def compiled(src: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile``, for code that wants a pattern now without importing ``re`` at
    module level (``re`` caches compiled patterns itself)."""
    import re

    return re.compile(src, flags)


class LazyRe:
    __slots__ = ("_src", "_flags", "_pat")

    def __init__(self, src: str, flags: int = 0) -> None:
        self._src = src
        self._flags = flags
        self._pat: re.Pattern[str] | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        pat = self._pat
        if pat is None:
            import re

            pat = self._pat = re.compile(self._src, self._flags)
        return pat

    def match(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.pattern.match(s, pos, endpos)

    def fullmatch(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.pattern.fullmatch(s, pos, endpos)

    def search(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.pattern.search(s, pos, endpos)

    def findall(self, s: str, pos: int = 0, endpos: int = 2**62) -> list[Any]:
        return self.pattern.findall(s, pos, endpos)

    def finditer(self, s: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        return self.pattern.finditer(s, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], s: str, count: int = 0) -> str:
        return self.pattern.sub(repl, s, count)

    def split(self, s: str, maxsplit: int = 0) -> list[str | Any]:
        return self.pattern.split(s, maxsplit)
