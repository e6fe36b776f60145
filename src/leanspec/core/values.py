"""``Value``: dataclass-style ``__eq__`` and ``__repr__`` for the core's record classes.

Those classes (Spec, Entry, Document, UpdateOps, Config, ...) are plain classes rather
than ``@dataclass``: importing ``dataclasses`` pulls in ``inspect``, ``ast``, ``dis`` and
``tokenize`` (~6-10 ms of every command's start-up), and building each dataclass execs
generated code. A subclass names its fields in ``_FIELDS``; equality compares them for
instances of the very same class (anything else: ``NotImplemented``), the repr is
``Name(field=value, ...)``, and instances are unhashable unless the class defines
``__hash__`` (the frozen ones do): exactly what ``@dataclass`` gave them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    from typing import Any, ClassVar



class Value:
    __slots__ = ()
    _FIELDS: ClassVar[tuple[str, ...]] = ()
    __hash__ = None  # type: ignore[assignment]  # compared by value: unhashable unless a class says otherwise

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, f) for f in self._FIELDS])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()  # type: ignore[attr-defined, no-any-return]

    def __repr__(self) -> str:
        inner = ", ".join([f"{f}={getattr(self, f)!r}" for f in self._FIELDS])
        return f"{self.__class__.__qualname__}({inner})"
