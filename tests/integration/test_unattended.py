"""The night with nobody typing anything (issue 11).

The real Dagster webserver and daemon (``puhui serve --only dagster``'s two processes)
run on a free port with a private PUHUI_HOME. Deliveries are dropped into the landing
folder the way the union writes them (data and control files, DONE last): a good
2025-12-28, then 2025-12-29, then a 2025-12-30 whose GL does not reconcile together
with a good 2025-12-31. The delivery sensor alone must publish the first two, quarantine
the third with an alert, keep the fourth waiting behind it, and leave the serving copy
exactly as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest

from dagster_project import contract, orchestrator
from dagster_project.generator import generate
from dagster_project.generator.api import TINY_START
from dagster_project.settings import Settings
from tests.conftest import free_port
from tests.reference.compare import pipeline_missing

pytestmark = [pytest.mark.slow]

D1, D2, D3, D4 = (date.fromordinal(TINY_START.toordinal() + i) for i in range(4))
T = TypeVar("T")


def _drop(source: Path, landing: Path, d: date) -> None:
    """Copy one delivery folder the union's way: every file first, DONE last."""
    name = d.strftime(contract.DATE_FORMAT)
    target = landing / name
    target.mkdir(parents=True)
    done = contract.done_file_name(name)
    for f in sorted((source / name).iterdir()):
        if f.name != done:
            shutil.copy2(f, target / f.name)
    shutil.copy2(source / name / done, target / done)


def _poll(what: str, probe: Callable[[], T | None], timeout: float, orch: object) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert orch.alive(), "webserver or daemon died"  # type: ignore[attr-defined]
        try:
            got = probe()
        except duckdb.Error:  # a run holds the warehouse: look again later
            got = None
        if got:
            return got
        time.sleep(3)
    pytest.fail(f"not within {timeout:.0f} s: {what}")


def _published_through(home: Path) -> date | None:
    serving = home / "serving.duckdb"
    if not serving.exists():
        return None
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select max(biz_date) from indicator_value").fetchone()[0]


def _warehouse(home: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, object]]:
    reason = pipeline_missing()
    if reason:
        pytest.skip(f"real pipeline not available: {reason}")
    home = tmp_path_factory.mktemp("unattended_home")
    # settings the way an operator gives them: the home's puhui.toml (a tick every 5 s)
    (home / "puhui.toml").write_text("delivery_sensor_interval_s = 5\n")
    settings = Settings(home=home, delivery_sensor_interval_s=5)
    orch = orchestrator.start(settings, port=free_port())
    try:
        yield settings, orch
    finally:
        orch.stop()


def test_dropped_deliveries_are_published_and_a_corrupt_one_is_quarantined(
        served: tuple[Settings, object], tmp_path: Path) -> None:
    settings, orch = served
    home = settings.home
    source = tmp_path / "union"
    generate(source, "tiny", TINY_START, 4, seed=0)
    broken = tmp_path / "union_broken"
    generate(broken, "tiny", TINY_START, 3, seed=0, corrupt="gl-mismatch")  # breaks D3
    landing = settings.landing_dir

    _drop(source, landing, D1)
    assert _poll("2025-12-28 published", lambda: _published_through(home) == D1,
                 1800, orch)
    _drop(source, landing, D2)
    assert _poll("2025-12-29 published", lambda: _published_through(home) == D2,
                 1800, orch)
    served_before = hashlib.sha256((home / "serving.duckdb").read_bytes()).hexdigest()

    _drop(broken, landing, D3)
    _drop(source, landing, D4)
    quarantined = _poll("2025-12-30 quarantined",
                        lambda: list(settings.quarantine_dir.glob("20251230-*")), 1200, orch)
    assert "[gl-reconciliation]" in (quarantined[0] / "REJECTED.txt").read_text("utf-8")
    alerts = _poll("the rejection alert recorded", lambda: _warehouse(
        home, "select kind, biz_date from meta.alert where kind = 'rejected_delivery'"),
        120, orch)
    assert alerts == [("rejected_delivery", D3)]
    # a few more sensor ticks: 12-31 waits behind the rejected date, nothing publishes
    time.sleep(20)
    _poll("the warehouse readable", lambda: _warehouse(home, "select 1"), 300, orch)
    assert _warehouse(home, "select biz_date from meta.delivery order by 1") == [(D1,), (D2,)]
    assert (landing / D4.strftime(contract.DATE_FORMAT)).exists()  # still waiting
    assert hashlib.sha256((home / "serving.duckdb").read_bytes()).hexdigest() == served_before
    assert _published_through(home) == D2
