"""Which deliveries to load now, in business-date order, and which must wait.

t1-extract-spec §1: deliveries can arrive late and out of order; a re-delivery
replaces its date and an identical one changes nothing. indicators.md: dates are
loaded in order without gaps once loading has begun (daily averages rely on it).
So a date loads when it is the first date of an empty warehouse, when the day
before is loaded, when it is itself loaded (re-delivery), or when it back-fills
the days just before the first loaded date without leaving a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Decision:
    biz_date: date
    action: str  # "load", "reload", "unchanged", "wait"
    reason: str = ""


def wait_reason(d: date, loaded: set[date], pending: set[date]) -> str | None:
    """Why ``d`` cannot load yet given the loaded dates, or None if it can.

    ``pending`` are the other complete deliveries not yet loaded (for back-fills).
    """
    if not loaded or d in loaded or (d - ONE_DAY) in loaded:
        return None
    first = min(loaded)
    if d < first:
        gap = [first - ONE_DAY * i for i in range(1, (first - d).days)]
        missing = [g for g in gap if g not in pending]
        if not missing:
            return None
        return f"waits for {max(missing).isoformat()} (back-fill must not leave a gap)"
    last = max(x for x in loaded if x < d)
    return f"waits for {(last + ONE_DAY).isoformat()} (dates load in order without gaps)"


def plan(delivered: dict[date, str], loaded: dict[date, str],
         through: date | None = None) -> list[Decision]:
    """Decide per complete delivery (date → fingerprint) against loaded date → fingerprint.

    Decisions are in business-date order; the caller re-plans after a failure, since a
    rejected date keeps the ones after it waiting.
    """
    out: list[Decision] = []
    have = set(loaded)
    pending = {d for d, fp in delivered.items() if loaded.get(d) != fp}
    for d in sorted(delivered):
        if through is not None and d > through:
            continue
        if loaded.get(d) == delivered[d]:
            out.append(Decision(d, "unchanged", "identical to the loaded delivery"))
            continue
        reason = wait_reason(d, have, pending)
        if reason:
            out.append(Decision(d, "wait", reason))
            continue
        out.append(Decision(d, "reload" if d in loaded else "load"))
        have.add(d)
    return out
