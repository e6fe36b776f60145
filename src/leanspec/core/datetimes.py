"""``date``, ``datetime``, ``timedelta``, ``timezone`` and ``UTC``, without the cost of
``import datetime``.

CPython's ``datetime`` module is a pure-Python implementation that its last line
replaces with the C module ``_datetime`` (``from _datetime import *``): importing it
executes ~2,000 lines of class bodies that are thrown away, ~1.2 ms of every process.
The classes here are the very same objects (``datetime.date is datetimes.date``), so
``isinstance`` checks, pickles and ``datetime`` code elsewhere see no difference.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typeshed describes ``datetime``, not ``_datetime``
    from datetime import date, datetime, time, timedelta, timezone
else:
    try:
        from _datetime import date, datetime, time, timedelta, timezone
    except ImportError:  # an interpreter without the C module (PyPy, ...)
        from datetime import date, datetime, time, timedelta, timezone

UTC = timezone.utc  # noqa: UP017 (datetime.UTC would import the datetime module)

__all__ = ["UTC", "date", "datetime", "time", "timedelta", "timezone"]
