"""A night's publish writes its new file from the standby (publish.py): the file served
before the last publish, brought up to date with that publish's dates and tonight's,
instead of a copy of the whole served file. Whatever it starts from, the file it leaves
must equal a publish of everything from the same warehouse. tiny_home holds 8 dates, so
these tests lower ``publish_standby_after_dates`` to 0 (the default, 45, is where the
standby starts to cost less than the copy at bank scale)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import _record, publish, standby_path
from dagster_project.settings import Settings
from tests.conftest import copy_home, serving_tables, tables_differing

pytestmark = [pytest.mark.slow]

D2, D4 = date(2026, 1, 2), date(2026, 1, 4)  # two of tiny_home's eight dates


def _settings(home: Path) -> Settings:
    return Settings(home=home, publish_standby_after_dates=0)


def _shift(s: Settings, day: date, by: float) -> None:
    """Move one date's published indicator values in the warehouse (what a rebuilt
    re-delivery does), so a publish that misses that date shows it."""
    with duckdb.connect(str(s.warehouse_path)) as con:
        con.execute("update marts.indicator_value set value = value + ? where biz_date = ? "
                    "and value is not null", [by, day])


def _assert_equals_a_whole_publish(s: Settings) -> None:
    night = serving_tables(s.serving_path)
    publish(s)  # everything, from the same warehouse
    whole = serving_tables(s.serving_path)
    differ = tables_differing(night, whole)
    assert not differ, differ


def test_a_night_after_a_night_starts_from_the_standby(tiny_home: Path, tmp_path: Path) -> None:
    s = _settings(copy_home(tiny_home, tmp_path / "home"))
    standby = standby_path(s.serving_path)
    publish(s)  # a whole publish keeps no standby
    assert not standby.exists()
    first = publish(s, D4)
    assert first.written_from == "copy"  # the file served has no night before it
    assert _record(standby).seq == _record(s.serving_path).seq - 1  # type: ignore[union-attr]
    _shift(s, D2, 1.0)
    second = publish(s, D2)
    assert second.written_from == "standby"
    assert _record(s.serving_path).from_date == D2  # type: ignore[union-attr]
    # The standby now is the file before the D2 publish: it lacks D2's new values, and
    # a night from D4 must bring them in too (from min(D2, D4)), or it differs below.
    third = publish(s, D4)
    assert third.written_from == "standby"
    shifted = serving_tables(s.serving_path)["indicator_value"]
    assert shifted.height > 0
    _assert_equals_a_whole_publish(s)


def test_a_standby_held_by_a_reader_is_left_alone(tiny_home: Path, tmp_path: Path) -> None:
    """A query begun before the last swap still reads the standby: DuckDB will not open
    it for writing then, and the night copies the served file instead."""
    s = _settings(copy_home(tiny_home, tmp_path / "home"))
    standby = standby_path(s.serving_path)
    publish(s, D4)
    publish(s, D4)
    assert standby.exists()
    reader = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; "
         f"c = duckdb.connect({str(standby)!r}, read_only=True); "
         "c.execute('select count(*) from indicator_value').fetchone(); "
         "print('reading', flush=True); time.sleep(600)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        _shift(s, D4, 2.0)
        held = publish(s, D4)
        assert held.written_from == "copy"
    finally:
        reader.kill()
        reader.wait()
    assert publish(s, D4).written_from == "standby"  # once the reader is gone
    _assert_equals_a_whole_publish(s)


def test_a_kill_while_the_standby_is_written_leaves_the_served_file(
        tiny_home: Path, tmp_path: Path) -> None:
    """The standby is renamed to the temporary file before it is written: a publish
    killed then leaves the served file as it was, and the next one copies it."""
    s = _settings(copy_home(tiny_home, tmp_path / "home"))
    publish(s, D4)
    publish(s, D4)
    before = serving_tables(s.serving_path)
    _shift(s, D4, 3.0)
    env = {"PUHUI_HOME": str(s.home), "PUHUI_PUBLISH_PAUSE_S": "600",
           "PUHUI_PUBLISH_STANDBY_AFTER_DATES": "0"}
    code = ("from datetime import date; from dagster_project.publish import publish; "
            "from dagster_project.settings import Settings; publish(Settings(), date(2026, 1, 4))")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **env},
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        while line and "pausing" not in line:
            line = proc.stderr.readline()
        assert "pausing" in line
        assert not standby_path(s.serving_path).exists()  # it is the temporary file now
    finally:
        proc.kill()
        proc.wait()
    after = serving_tables(s.serving_path)
    assert tables_differing(before, after) == []
    assert publish(s, D4).written_from == "copy"
    _assert_equals_a_whole_publish(s)


def test_below_the_threshold_a_night_copies_and_keeps_no_standby(
        tiny_home: Path, tmp_path: Path) -> None:
    s = Settings(home=copy_home(tiny_home, tmp_path / "home"),
                 publish_standby_after_dates=8)  # tiny_home's 8 dates are not more
    for _ in range(3):
        assert publish(s, D4).written_from == "copy"
        assert not standby_path(s.serving_path).exists()
    assert _record(s.serving_path).dates == 8  # type: ignore[union-attr]
    s = Settings(home=s.home, publish_standby_after_dates=7)
    assert publish(s, D4).written_from == "copy"  # keeps one: 8 dates are more than 7
    assert publish(s, D4).written_from == "standby"
