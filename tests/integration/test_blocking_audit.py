"""A failed blocking audit check stops the publish (issue 7, run by Dagster since issue 11).

A copy of the session's published tiny home; the operator's day-move limit is set so
tight (settings ``audit_dep_move_max``) that any deposit move of the last date fails
``dep_bal_day_move``, a blocking rule. The last date is flagged for rebuild, as a
re-delivery flags it, and ``puhui run`` launches the build-audit-publish job: dbt
rebuilds the date, the check fails with ERROR severity, the serving copy is not
materialised, ``serving.duckdb`` keeps its bytes, the date stays flagged for the next
night and the ``audit_failed`` alert is recorded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from dagster_project import pipeline
from dagster_project.settings import Settings
from tests.conftest import copy_home

pytestmark = [pytest.mark.slow]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_blocking_check_stops_the_publish_and_raises_the_alert(
        tiny_home: Path, tiny_landing: Path, tmp_path: Path) -> None:
    home = copy_home(tiny_home, tmp_path / "home")
    settings = Settings(home=home, landing=tiny_landing, audit_dep_move_max=1e-9)
    con = duckdb.connect(str(settings.warehouse_path))
    last = con.execute("select max(biz_date) from meta.delivery").fetchone()[0]
    con.execute("update meta.delivery set needs_rebuild = true where biz_date = ?", [last])
    alerts_before = con.execute("select count(*) from meta.alert").fetchone()[0]
    con.close()
    served = _sha(settings.serving_path)

    said: list[str] = []
    report = pipeline.run_pending(settings, say=said.append)

    assert report.loaded == [] and not report.ok and not report.published
    assert "dep_bal_day_move" in (report.downstream_error or ""), said
    assert _sha(settings.serving_path) == served  # yesterday's publication keeps serving
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute("select biz_date from meta.delivery where needs_rebuild"
                           ).fetchall() == [(last,)]
        alerts = con.execute("select kind, biz_date, title from meta.alert "
                             "order by raised_at").fetchall()[alerts_before:]
    assert [(k, d) for k, d, _ in alerts] == [("audit_failed", last)]
    assert last.isoformat() in alerts[0][2]
    # what the operator sees in the UI: the check failed, the serving copy did not run
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        key = AssetCheckKey(AssetKey(["marts", "indicator_value"]), "dep_bal_day_move")
        execution = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [key])[key]
        assert execution.status.value == "FAILED"
        assert execution.evaluation is not None
        assert execution.evaluation.severity.value == "ERROR"
        run = instance.get_run_by_id(execution.run_id)
        assert run is not None and run.job_name == "build_audit_publish"
        assert run.is_failure
        served_key = AssetKey(["serving", "serving_duckdb"])
        latest = instance.get_latest_materialization_event(served_key)
        assert latest is not None and latest.run_id != run.run_id
