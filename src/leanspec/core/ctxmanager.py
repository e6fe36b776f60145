"""``contextmanager``: ``contextlib.contextmanager``, with ``contextlib`` imported on the
first call rather than when the decorated function is defined.

Importing ``contextlib`` costs ~0.5-0.7 ms per process (a dozen ABC-based classes), and
the store defines its context managers (the write lock, the transaction, the claims
lock) in modules every command imports, while a read-only command (``list``,
``board``) enters none of them. The manager returned is contextlib's own, built once per
decorated function, so exceptions, ``return`` and re-raising behave exactly as there.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from typing import ParamSpec, TypeVar

    P = ParamSpec("P")
    T = TypeVar("T")


def contextmanager(fn: Callable[P, Iterator[T]]) -> Callable[P, AbstractContextManager[T]]:
    made: list[Callable[P, AbstractContextManager[T]]] = []

    def call(*args: P.args, **kwargs: P.kwargs) -> AbstractContextManager[T]:
        if not made:
            import contextlib

            made.append(contextlib.contextmanager(fn))
        return made[0](*args, **kwargs)

    call.__name__ = fn.__name__
    call.__qualname__ = fn.__qualname__
    call.__doc__ = fn.__doc__
    call.__module__ = fn.__module__
    call.__wrapped__ = fn  # type: ignore[attr-defined]
    return call
