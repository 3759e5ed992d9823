"""The Dagster code location and the DONE sensor (real definitions, real instance)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from dagster_project import contract
from dagster_project.generator.api import TINY_START
from dagster_project.settings import get_settings

DAY1, DAY2, DAY3 = (TINY_START + timedelta(days=i) for i in range(3))


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_code_location_snapshot() -> None:
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    raw = sorted(k.to_user_string() for k in graph.get_all_asset_keys()
                 if k.path[0] == "raw")
    assert raw == sorted(f"raw/{t.raw_table}" for t in contract.TABLES)
    checks = sorted(f"{k.asset_key.to_user_string()}:{k.name}"
                    for k in graph.asset_check_keys)
    assert [c for c in checks if c.startswith("raw/")] == sorted(
        f"raw/{t.raw_table}:expectations" for t in contract.TABLES)
    assert defs.resolve_job_def("ingest") is not None
    assert defs.resolve_sensor_def("delivery_sensor") is not None
    # issue 7: no DONE by the deadline raises a late-delivery alert
    assert defs.resolve_sensor_def("late_delivery_sensor") is not None


def _landing(tiny_landing: Path, home: Path, days: list) -> Path:
    for d in days:
        name = d.strftime(contract.DATE_FORMAT)
        shutil.copytree(tiny_landing / name, home / "landing" / name)
    return home / "landing"


def test_sensor_requests_the_first_loadable_date_and_adds_partitions(
        tiny_landing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_project.sensors.delivery_sensor import delivery_sensor

    monkeypatch.setenv("PUHUI_HOME", str(tmp_path))
    _landing(tiny_landing, tmp_path, [DAY1, DAY3])
    # DAY2 is being written: no DONE yet
    (tmp_path / "landing" / DAY2.strftime("%Y%m%d")).mkdir()
    with DagsterInstance.ephemeral() as instance:
        result = delivery_sensor(build_sensor_context(instance=instance))
    assert isinstance(result, SensorResult)
    (req,) = result.run_requests
    assert req.partition_key == DAY1.isoformat()
    assert req.run_key.startswith(DAY1.isoformat() + "-")
    (add,) = result.dynamic_partitions_requests
    assert sorted(add.partition_keys) == [DAY1.isoformat(), DAY3.isoformat()]


def test_sensor_skips_when_nothing_is_complete(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from dagster_project.sensors.delivery_sensor import delivery_sensor

    monkeypatch.setenv("PUHUI_HOME", str(tmp_path))
    (tmp_path / "landing" / "20251228").mkdir(parents=True)
    with DagsterInstance.ephemeral() as instance:
        result = delivery_sensor(build_sensor_context(instance=instance))
    assert isinstance(result, SkipReason)
