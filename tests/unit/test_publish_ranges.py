"""The business-date ranges a published view is written in (publish._date_ranges).

A view is computed one loaded date at a time, so a catch-up of weeks does not compute
it over every date at once; the ranges must still cover every row the single statement
covered, each once, in date order. Checked here on a real DuckDB table whose dates
include some that are not loaded dates (before, between and after them)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from dagster_project.publish import _date_ranges

D = [date(2025, 10, 11), date(2025, 10, 12), date(2025, 10, 14)]


def test_a_night_of_one_date_is_one_statement_as_before() -> None:
    assert _date_ranges(D, D[-1]) == [(" where biz_date >= ?", [D[-1]])]
    assert _date_ranges([], D[0]) == [(" where biz_date >= ?", [D[0]])]
    assert _date_ranges([], None) == [("", [])]


def test_a_window_is_cut_at_each_loaded_date_after_its_start() -> None:
    assert _date_ranges(D, D[0]) == [
        (" where biz_date >= ? and biz_date < ?", [D[0], D[1]]),
        (" where biz_date >= ? and biz_date < ?", [D[1], D[2]]),
        (" where biz_date >= ?", [D[2]]),
    ]
    assert _date_ranges(D, None)[0] == (" where biz_date < ?", [D[0]])


@pytest.mark.parametrize("since", [None, *D, date(2025, 10, 13)])
def test_the_ranges_together_select_every_row_once_in_date_order(since: date | None) -> None:
    con = duckdb.connect()
    con.execute("create table t as select (date '2025-10-09' + i::integer) as biz_date, j "
                "from range(9) r(i), range(3) s(j)")  # 10-09 … 10-17, loaded or not
    con.execute("create table out (biz_date date, j bigint)")
    for where, params in _date_ranges(D, since):
        con.execute(f"insert into out select * from t{where} order by biz_date, j", params)
    cond = "" if since is None else f" where biz_date >= date '{since}'"
    expected = con.execute(f"select * from t{cond} order by biz_date, j").fetchall()
    assert con.execute("select * from out").fetchall() == expected  # same rows, same order
