"""Per-spec facts derived from the frontmatter: timestamps (``created_at``, ``transitions``,
``completed_at``, … with the date-only fields as fallbacks), the effective status and
the priority order. One derivation (``facts_key``) shared by the metadata cache, which
records it per spec, and by stats, board and timeline, which read it back
(``spec_facts``). Pure; every time-dependent caller passes ``now`` explicitly.
"""

from __future__ import annotations

from . import datetimes as _dt
from .lazyre import LazyRe
from .model import STATUSES, Spec
from .values import Value

TYPE_CHECKING = False  # not `from typing import ...`: typing costs ~2 ms per process
if TYPE_CHECKING:
    import re  # noqa: F401
    from typing import Any

UTC = _dt.UTC
DAY = 86400.0

# Display order: most urgent first.
PRIORITY_ORDER: tuple[str, ...] = ("critical", "high", "medium", "low")
_PRIO_RANK = {p: i for i, p in enumerate(PRIORITY_ORDER)}
_NO_RANK = len(PRIORITY_ORDER)

_FRACTION = LazyRe(r"(\.\d{6})\d+")
_fromiso = _dt.datetime.fromisoformat


# ================================================================== time helpers
def parse_time(value: Any) -> _dt.datetime | None:
    """A frontmatter timestamp or date as an aware UTC datetime (None if unusable).

    Accepts YAML datetimes/dates, ISO strings with ``Z`` or offsets, nanosecond
    fractions (the Rust port writes them) and bare ``YYYY-MM-DD`` dates (midnight UTC).
    """
    if type(value) is str:
        # Fast path (board/stats parse ~5 timestamps per spec): Python 3.11 reads the
        # ISO forms the store writes ("...T12:00:00.000Z", also longer fractions, which
        # it truncates as the normalisation below does) in one C call.
        try:
            t = _fromiso(value)
        except ValueError:
            pass
        else:
            if t.tzinfo is UTC:
                return t
            return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    if not isinstance(value, str):
        return None
    s = value.strip()
    if not s:
        return None
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    s = _FRACTION.sub(r"\1", s)
    try:
        t = _dt.datetime.fromisoformat(s)
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def parse_date(value: Any) -> _dt.date | None:
    t = parse_time(value)
    return t.date() if t is not None else None


def as_now(now: _dt.datetime | _dt.date | str | None) -> _dt.datetime:
    if now is None:
        return _dt.datetime.now(UTC)
    t = parse_time(now)
    if t is None:
        from ..core.errors import InvalidInput

        raise InvalidInput(f"invalid time {now!r}")
    return t


def iso(t: _dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def effective_status(s: Spec) -> str:
    """The status a spec is counted under: archived wins (folder or status); an
    unknown status counts as planned (as TS does)."""
    if s.archived:
        return "archived"
    k = getattr(s, "cached_facts", None)  # a cached spec: its facts_key has it
    if k is not None:
        return k[0]  # type: ignore[no-any-return]
    st = s.status.strip().lower()
    return st if st in STATUSES else "planned"


def priority_rank(s: Spec) -> int:
    return _PRIO_RANK.get((s.priority or "").lower(), len(PRIORITY_ORDER))


def card_key(s: Spec) -> tuple[int, int, str]:
    """Board/list card order: priority (critical first), then number, then name."""
    # priority_rank(s), inlined (boards sort thousands of cards): the stored spelling
    # is usually already lower case.
    p = s.priority
    rank = _PRIO_RANK.get(p) if p is not None else None
    if rank is None:
        rank = _PRIO_RANK.get((p or "").lower(), _NO_RANK)
    n = s.number
    return (rank, n if n is not None else 10**9, s.name)


class Facts(Value):
    """The timestamps of one spec's life, derived once.

    A plain slotted class with a dataclass's init, repr and eq (not a @dataclass:
    ``board`` imports this module, and ``dataclasses`` pulls in ``inspect`` and more,
    ~10 ms of start-up)."""

    __slots__ = ("created", "planned", "started", "completed", "last_activity", "transitions")
    _FIELDS = __slots__
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value, as the dataclass

    def __init__(
        self,
        created: _dt.datetime | None = None,
        planned: _dt.datetime | None = None,  # entered the backlog (created, or a later 'planned')
        started: _dt.datetime | None = None,  # first move to in-progress
        completed: _dt.datetime | None = None,  # None unless the spec is (still) done
        last_activity: _dt.datetime | None = None,
        transitions: list[tuple[str, _dt.datetime]] | None = None,
    ) -> None:
        self.created = created
        self.planned = planned
        self.started = started
        self.completed = completed
        self.last_activity = last_activity
        self.transitions = [] if transitions is None else transitions


# ------------------------------------------------------------ per-spec facts as ints
# board/stats/timeline run over every spec on every call, so the per-spec facts are
# kept as plain integers: UTC microseconds since the epoch (exact: timedelta is integer
# microseconds, total_seconds() is us / 10**6 and ``//`` floors them), and a date as its
# proleptic ordinal. The metadata cache stores this tuple with each README (a tuple of
# ints unpickles ~20x faster than the frontmatter with its datetimes), and a spec read
# without the cache computes it through the same function: the two cannot drift.
#
# FactsKey = (status, created, planned, started, done, last, due):
#   status   the frontmatter status as counted (an unknown one counts as planned);
#            ``effective_status`` is "archived" for an archived spec, else this
#   created  created_at, else the created date
#   planned  first transition to planned, else created
#   started  first transition to in-progress
#   done     completed_at, else the last transition to complete, else the completed
#            date: the completion time *if* the spec is complete or archived
#   last     latest of created, updated_at, updated and the transitions (the last
#            activity, before counting the completion)
#   due      the due date's ordinal
FactsKey = tuple[str, "int | None", "int | None", "int | None", "int | None", "int | None", "int | None"]

EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
US = 1_000_000  # an int: int / int is correctly rounded, exactly as total_seconds()
US_DAY = 86_400 * US
EPOCH_ORDINAL = EPOCH.toordinal()
_CANON = {st: st for st in STATUSES}  # one string object per status (pickle shares them)


def to_us(t: _dt.datetime) -> int:
    d = t - EPOCH
    return (d.days * 86_400 + d.seconds) * US + d.microseconds


def _ts(value: Any) -> int | None:
    """``parse_time`` as microseconds. A time that only exists outside the datetime
    range once moved to UTC (year 1 with a positive offset) is unusable, like junk."""
    try:
        t = parse_time(value)
    except OverflowError:
        return None
    return None if t is None else to_us(t)


def _from_us(us: int | None) -> _dt.datetime | None:
    return None if us is None else EPOCH + _dt.timedelta(microseconds=us)


def date_of_us(us: int) -> _dt.date:
    """The UTC date of a time in epoch microseconds."""
    return _dt.date.fromordinal(us // US_DAY + EPOCH_ORDINAL)


def _at(x: tuple[str, Any]) -> Any:
    return x[1]


def _scan(s: Spec) -> tuple[FactsKey, list[tuple[str, int]]]:
    """The one derivation of a spec's facts from its frontmatter (and status)."""
    get = s.frontmatter.get
    created = _ts(get("created_at"))
    if created is None:
        created = _ts(get("created"))
    trans: list[tuple[str, int]] = []
    raw = get("transitions")
    if isinstance(raw, list):
        for t in raw:
            # Real files contain junk entries (a stray list item under transitions).
            if isinstance(t, dict):
                at = _ts(t.get("at"))
                st = t.get("status")
                if at is not None and isinstance(st, str):
                    trans.append((st.strip().lower(), at))
        if len(trans) > 1:
            trans.sort(key=_at)  # stable: equal times keep their file order
    started = planned_t = done_t = None
    for st, at in trans:
        if st == "in-progress":
            if started is None:
                started = at
        elif st == "planned":
            if planned_t is None:
                planned_t = at
        elif st == "complete":
            done_t = at  # the last one (sorted by time)
    done = _ts(get("completed_at"))
    if done is None:
        done = done_t
    if done is None:
        done = _ts(get("completed"))
    last = created
    for t in (_ts(get("updated_at")), _ts(get("updated")), trans[-1][1] if trans else None):
        if t is not None and (last is None or t > last):
            last = t
    due = None
    try:
        dt = parse_time(get("due"))
    except OverflowError:
        dt = None
    if dt is not None:
        due = dt.toordinal()
    norm = s.status.strip().lower()
    return (
        _CANON.get(norm, "planned"),
        created,
        planned_t if planned_t is not None else created,
        started,
        done,
        last,
        due,
    ), trans


def facts_key(s: Spec) -> FactsKey:
    """The per-spec facts tuple (see FactsKey), computed from the frontmatter."""
    return _scan(s)[0]


def spec_facts(s: Spec) -> FactsKey:
    """``facts_key(s)``, as the metadata cache recorded it when it read the README
    (``CachedSpec.cached_facts``), else computed now."""
    k: FactsKey | None = getattr(s, "cached_facts", None)
    return k if k is not None else _scan(s)[0]


def completed_us(k: FactsKey, archived: bool) -> int | None:
    """The completion time: only a spec that is (still) complete or archived has one."""
    return k[4] if archived or k[0] == "complete" else None


def facts(s: Spec) -> Facts:
    """The facts as datetimes (with the parsed transitions), for callers that want them."""
    k, trans = _scan(s)
    _st, created, planned, started, _done, last, _due = k
    completed = completed_us(k, s.archived)
    if completed is not None and (last is None or completed > last):
        last = completed
    return Facts(
        created=_from_us(created),
        planned=_from_us(planned),
        started=_from_us(started),
        completed=_from_us(completed),
        last_activity=_from_us(last),
        transitions=[(st, EPOCH + _dt.timedelta(microseconds=at)) for st, at in trans],
    )
