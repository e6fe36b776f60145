"""A work budget for one request: a deadline, a cap on collected matches, and a
cancel flag that another thread (the server's event loop) can raise.

The search's scanning loops call ``tick()`` every few thousand words or lines; it
raises ``Cancelled`` once the request is abandoned (the client went away, the server
is stopping) and ``SearchBudgetExceeded`` past the deadline. The budget in force is a
context variable: front ends ``activate`` one around a request, and worker threads
started with ``anyio.to_thread`` / ``run_in_threadpool`` inherit it. Without one,
``search`` makes its own with the default limits, so the CLI is bounded too.
"""

from __future__ import annotations

import _thread  # threading.Lock without importing threading (~0.5 ms)
import contextvars
import time

from ..core.errors import Cancelled, SearchBudgetExceeded

#: Seconds one search may spend matching, ranking and building snippets (every front
#: end answers within 5 s, start-up and listing included). Plain words ranked from the
#: index take milliseconds; the deadline stops fuzzy terms, phrases and body scans.
SEARCH_SECONDS = 3.0
#: Highlight spans fuzzy and phrase matching may collect in one search (~100 bytes each).
MAX_SPANS = 500_000

_live: set[Budget] = set()
_live_lock = _thread.allocate_lock()


class Budget:
    __slots__ = ("deadline", "seconds", "max_spans", "spans", "cancelled", "reason", "__weakref__")

    def __init__(self, seconds: float | None = SEARCH_SECONDS, max_spans: int = MAX_SPANS) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds if seconds is not None else None
        self.max_spans = max_spans
        self.spans = 0
        self.cancelled = False
        self.reason = ""

    def cancel(self, reason: str = "the client went away") -> None:
        self.reason = reason
        self.cancelled = True

    def check(self) -> None:
        """Raise ``Cancelled`` if the request was abandoned."""
        if self.cancelled:
            raise Cancelled(f"request abandoned: {self.reason}", hint="nothing was changed; retry if still needed")

    def tick(self) -> None:
        """``check()``, plus the deadline."""
        if self.cancelled:
            self.check()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise SearchBudgetExceeded(
                f"search stopped: it needed more than {self.seconds:g} s of matching",
                hint="use fewer fuzzy terms (word~) and phrases, or narrow the query with filters such as tag: or status:",
                details={"seconds": self.seconds},
            )

    def spend(self, n: int) -> None:
        """Count ``n`` more collected spans; raise past the cap."""
        self.spans += n
        if self.spans > self.max_spans:
            raise SearchBudgetExceeded(
                f"search stopped: over {self.max_spans} matches to collect",
                hint="make fuzzy terms longer or less tolerant (word~1), or narrow the query with filters",
                details={"max_matches": self.max_spans},
            )


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("leanspec_budget", default=None)


def current() -> Budget | None:
    return _current.get()


class Activation:
    """``with activate(budget):`` — a class rather than a ``@contextmanager`` generator,
    so a search does not import ``contextlib`` (~0.6 ms per process). Exit always
    unregisters and restores, and never swallows an exception (as the generator's
    ``try/finally`` did)."""

    __slots__ = ("budget", "_token")

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def __enter__(self) -> Budget:
        self._token = _current.set(self.budget)
        with _live_lock:
            _live.add(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        with _live_lock:
            _live.discard(self.budget)
        _current.reset(self._token)


def activate(budget: Budget) -> Activation:
    """Make ``budget`` the one in force (for this context and the threads it starts)
    and register it, so ``cancel_all`` reaches it."""
    return Activation(budget)


def cancel_all(reason: str = "the server is stopping") -> None:
    """Abandon every request in progress (a server shutting down)."""
    with _live_lock:
        live = list(_live)
    for b in live:
        b.cancel(reason)


def for_search() -> Budget:
    """The budget a search runs under: the request's, else a fresh default one."""
    b = _current.get()
    return b if b is not None else Budget()
