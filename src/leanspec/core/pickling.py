"""The pickle functions the caches use, from the C module ``_pickle``, and an
unpickler that admits plain data and dates only.

``pickle.py`` re-exports ``_pickle``'s classes, but importing it also imports ``re``
(and ``enum``: ~5 ms per process, which its last lines use once) and ``struct``. The
caches are read on every ``list``/``board``/``search``; these are the same functions.
"""

from __future__ import annotations

from . import datetimes as _dt

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

try:
    from _pickle import Unpickler, UnpicklingError, dumps
except ImportError:  # an interpreter without the C accelerator
    from pickle import Unpickler, UnpicklingError, dumps  # type: ignore[assignment]

# Every Python this package supports reads and writes protocol 5.
PROTOCOL = 5

# The globals a cache may name: the date types, answered from ``core.datetimes`` so
# that reading a cached date does not import the ``datetime`` module either.
DATE_TYPES: dict[tuple[str, str], Any] = {
    ("datetime", "date"): _dt.date,
    ("datetime", "datetime"): _dt.datetime,
    ("datetime", "timezone"): _dt.timezone,
    ("datetime", "timedelta"): _dt.timedelta,
    ("datetime", "time"): _dt.time,
}


class DataUnpickler(Unpickler):
    """Plain data and dates only (``DATE_TYPES``, or none with ``ALLOWED = {}``): a
    cache file someone planted cannot run code. ``what`` names the file in errors."""

    ALLOWED: dict[tuple[str, str], Any] = DATE_TYPES
    what = "cache"

    def find_class(self, module: str, name: str) -> Any:
        found = self.ALLOWED.get((module, name))
        if found is None:
            raise UnpicklingError(f"forbidden in {self.what}: {module}.{name}")
        return found


__all__ = ["PROTOCOL", "DataUnpickler", "UnpicklingError", "dumps"]
