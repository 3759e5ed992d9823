"""Beijing time: the extract's time zone (t1 spec §2) and the one of every
``*_at`` column in ``meta`` (STYLE.md: descriptions of ``_at`` state the zone)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def to_beijing(now: datetime) -> datetime:
    """An aware datetime in Beijing time; a naive one is taken to be Beijing time."""
    return now.replace(tzinfo=BEIJING) if now.tzinfo is None else now.astimezone(BEIJING)


def beijing_now() -> datetime:
    return datetime.now(BEIJING)


def naive_beijing(now: datetime) -> datetime:
    """How ``meta`` stores a timestamp: Beijing wall-clock time, no zone."""
    return to_beijing(now).replace(tzinfo=None)
