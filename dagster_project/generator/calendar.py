"""Dates as int day numbers (days since 1970-01-01), the form the simulation uses."""

from __future__ import annotations

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
NO_DATE = -999_999  # sentinel for an empty DATE field (day numbers before 1970 are < 0)


def day_no(d: dt.date) -> int:
    return (d - EPOCH).days


def to_date(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def ymd(days: np.ndarray) -> np.ndarray:
    """Day numbers → YYYYMMDD ints (vectorised through numpy datetime64)."""
    d = np.asarray(days).astype("datetime64[D]")
    y = d.astype("datetime64[Y]")
    m = d.astype("datetime64[M]")
    year = y.astype(np.int64) + 1970
    month = (m - y.astype("datetime64[M]")).astype(np.int64) + 1
    day = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    return year * 10000 + month * 100 + day


def day_of_month(days: np.ndarray) -> np.ndarray:
    d = np.asarray(days).astype("datetime64[D]")
    return (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Same day of month `months` later, clipped to the month's end (loan schedules)."""
    d = np.asarray(days).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + np.asarray(months).astype("timedelta64[M]")
    month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64)
    return (target.astype("datetime64[D]").astype(np.int64) + np.minimum(dom, month_len - 1))


def period_flags(d: dt.date) -> dict[str, bool]:
    """Calendar effects of rural deposits (时点冲存 and the month-start ebb)."""
    month_end = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    left = (month_end - d).days  # 0 on the last day
    quarter_end_month = d.month in (3, 6, 9, 12)
    return {
        "weekend": d.weekday() >= 5,
        "quarter_push": quarter_end_month and left <= 3,  # last 4 days of a quarter
        "year_push": d.month == 12 and left <= 5,  # year end starts earlier and harder
        "after_quarter": d.month in (1, 4, 7, 10) and d.day <= 5,  # money flows back out
        "month_start": d.day <= 3,
    }
