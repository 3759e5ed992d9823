"""The Dagster code location: the asset graph snapshot and the delivery sensor's plan
(real definitions, real instance, real warehouse state)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    Definitions,
    SensorResult,
    SkipReason,
    build_sensor_context,
)

from dagster_project import contract
from dagster_project.dbt_build import dbt_args, run_dbt
from dagster_project.definitions import build_defs
from dagster_project.generator.api import TINY_START
from dagster_project.resources.dbt import prepare_manifest
from dagster_project.settings import Settings

DAY1, DAY2, DAY3 = (TINY_START + timedelta(days=i) for i in range(3))
SNAPSHOT = Path(__file__).with_name("asset_graph.snapshot.json")


def graph_snapshot(defs: Definitions) -> dict[str, Any]:
    """Asset keys with their group and upstream keys, checks (and whether they block),
    jobs and sensors: what a lost edge or check would change."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "partitioned": node.partitions_def is not None,
        }
    checks = {}
    for ck in sorted(graph.asset_check_keys, key=lambda c: c.to_user_string()):
        spec = graph.get_check_spec(ck)
        checks[ck.to_user_string()] = {"blocking": spec.blocking}
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs()
                       if not j.name.startswith("__")),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


@pytest.fixture(scope="module")
def defs(tmp_path_factory: pytest.TempPathFactory) -> Definitions:
    return build_defs(Settings(home=tmp_path_factory.mktemp("defs_home")))


def test_asset_graph_matches_the_snapshot(defs: Definitions) -> None:
    """A lost edge, asset or check fails here; after an intended change, regenerate with
    ``uv run python -m tests.integration.test_definitions`` and review the diff."""
    assert graph_snapshot(defs) == json.loads(SNAPSHOT.read_text())


def test_a_manifest_of_other_project_files_is_parsed_again(
        defs: Definitions, tmp_path: Path) -> None:
    """A home keeps its manifest across an upgrade of Puhui. Defining the assets from
    the old one while the night's dbt build parses the new project failed the first
    night after the lookup became a view: dagster-dbt met the event of a test it did
    not know (KeyError 'test.puhui.assert_customer_lookup_one_row_per_customer').
    Whether it is old is told by the project key recorded beside it, not by times: a
    home copied with ``cp -r`` (every file's time made new) once failed its night so."""
    s = Settings(home=tmp_path / "home")
    fresh = prepare_manifest(s)  # parsed, or copied from the checkout's parse
    test = "test.puhui.assert_customer_lookup_one_row_per_customer"
    nodes = set(json.loads(fresh.read_text())["nodes"])
    assert test in nodes
    mark = s.dbt_target_dir / "manifest.project_key"
    key = mark.read_text()
    old = json.loads(fresh.read_text())
    del old["nodes"][test]

    def nodes_after(recorded: str | None) -> set[str]:
        fresh.write_text(json.dumps(old))  # the manifest of an older Puhui: no such test
        os.utime(fresh, (2**31, 2**31))  # and newer than every project file (a copy)
        mark.unlink(missing_ok=True)
        if recorded is not None:
            mark.write_text(recorded)
        return set(json.loads(prepare_manifest(s).read_text())["nodes"])

    assert nodes_after("0" * len(key)) == nodes  # parsed from other files: replaced
    assert mark.read_text() == key
    assert nodes_after(None) == nodes  # a home from before the key was recorded
    assert mark.read_text() == key
    # the key of these files: kept as it is, its time aside (no parse on every start)
    assert test not in nodes_after(key)


def _recorded_profile(home: Path) -> dict[str, str]:
    import msgpack

    state = home / "dbt" / "target" / "partial_parse.msgpack"
    return msgpack.unpackb(state.read_bytes(), raw=False,
                           strict_map_key=False)["state_check"]["profile_hash"]


def test_a_copied_home_parses_partially_under_its_own_profile(
        defs: Definitions, tmp_path: Path) -> None:
    """dbt drops its partial-parse state when the profile's connection (the warehouse
    path) differs from the one it recorded, and parses the whole project again: 6-8 CPU-s
    for every new or copied home. prepare_manifest records the home's own profile
    instead; dbt itself then finds the state valid and rewrites the same hash."""
    first, copy = Settings(home=tmp_path / "first"), Settings(home=tmp_path / "copy")
    prepare_manifest(first)
    shutil.copytree(first.dbt_target_dir, copy.dbt_target_dir)
    theirs = _recorded_profile(first.home)
    prepare_manifest(copy)  # a fresh manifest: only the recorded profile changes
    ours = _recorded_profile(copy.home)
    assert ours != theirs  # the warehouse path is part of it
    res = run_dbt(copy, dbt_args(copy, "parse"))
    assert res.success  # type: ignore[attr-defined]
    log = (copy.dbt_target_dir.parent / "logs" / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in log
    perf = json.loads((copy.dbt_target_dir / "perf_info.json").read_text())
    assert perf["is_partial_parse_enabled"] and perf["parsed_path_count"] == 0
    assert perf["path_count"] > 250  # the project's files, every one taken as parsed
    assert _recorded_profile(copy.home) == ours  # what dbt computed is what we wrote


def _upstream(defs: Definitions, key: AssetKey) -> set[AssetKey]:
    graph = defs.resolve_asset_graph()
    seen: set[AssetKey] = set()
    todo = [key]
    while todo:
        for parent in graph.get(todo.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def test_the_graph_reads_from_delivery_to_dashboard(defs: Definitions) -> None:
    """Issue 11: delivery → raw → staging → marts → indicator store → serving → dashboards."""
    graph = defs.resolve_asset_graph()
    cockpit = AssetKey(["superset", "cockpit"])
    assert graph.get(cockpit).parent_keys == {AssetKey(["serving", "serving_duckdb"])}
    up = _upstream(defs, cockpit)
    groups = {graph.get(k).group_name for k in up}
    assert {"landing", "raw", "staging", "intermediate", "marts", "indicator_store",
            "serving"} <= groups
    assert AssetKey(["landing", "t1_delivery"]) in up
    # the cockpit reads deposits, loans, customers and the org tree at least
    assert {AssetKey(["raw", t]) for t in ("dep_acct", "loan_duebill", "cust_info",
                                           "org_info")} <= up
    # every raw table is read by a staging model (no orphan source)
    for t in contract.TABLES:
        children = graph.get(AssetKey(["raw", t.raw_table])).child_keys
        assert any(c.path[0] == "staging" for c in children), t.name


def test_audit_checks_block_the_publish(defs: Definitions) -> None:
    graph = defs.resolve_asset_graph()
    audit = {ck.name for ck in graph.asset_check_keys
             if ck.asset_key == AssetKey(["marts", "indicator_value"])}
    assert {"value_bounds", "completeness", "dep_bal_day_move", "gl_reconciliation",
            "great_expectations"} <= audit
    for ck in graph.asset_check_keys:
        if ck.asset_key.path[0] == "raw" or ck.name in audit:
            assert graph.get_check_spec(ck).blocking, ck
    # dbt tests are asset checks too (dagster-dbt maps them)
    assert any(ck.name.startswith(("not_null_", "unique_")) for ck in graph.asset_check_keys)
    job = defs.resolve_job_def("build_audit_publish")
    in_job = job.asset_layer.asset_graph
    assert AssetKey(["serving", "serving_duckdb"]) in in_job.get_all_asset_keys()
    assert not any(k.path[0] == "raw" for k in in_job.executable_asset_keys)


def test_delivery_sensor_is_on_by_default(defs: Definitions) -> None:
    from dagster import DefaultSensorStatus

    assert defs.resolve_sensor_def("delivery_sensor").default_status == (
        DefaultSensorStatus.RUNNING)
    assert defs.resolve_sensor_def("late_delivery_sensor") is not None


def test_the_blacklist_has_its_own_job_sensor_and_rebuild(defs: Definitions) -> None:
    """customer-ops.md §6: files in manual/ are loaded by their own job, which the whole
    build leaves out (its asset needs a file); a new version rebuilds pre-credit alone."""
    from dagster import DefaultSensorStatus

    assert defs.resolve_sensor_def("manual_sensor").default_status == (
        DefaultSensorStatus.RUNNING)
    load = defs.resolve_job_def("blacklist_load").asset_layer.asset_graph
    assert load.executable_asset_keys == {AssetKey(["manual", "blacklist"])}
    whole = defs.resolve_job_def("build_audit_publish").asset_layer.asset_graph
    assert not any(k.path[0] == "manual" for k in whole.executable_asset_keys)
    rebuild = defs.resolve_job_def("rebuild_precredit").asset_layer.asset_graph
    assert AssetKey(["serving", "serving_duckdb"]) in rebuild.executable_asset_keys
    assert not any(k.path[0] in ("raw", "manual") for k in rebuild.executable_asset_keys)


def _landing(tiny_landing: Path, home: Path, days: list) -> None:
    for d in days:
        name = d.strftime(contract.DATE_FORMAT)
        shutil.copytree(tiny_landing / name, home / "landing" / name)


def test_sensor_requests_the_first_loadable_date_and_adds_partitions(
        defs: Definitions, tiny_landing: Path, tmp_path: Path) -> None:
    from dagster_project.sensors.delivery_sensor import build_delivery_sensor

    _landing(tiny_landing, tmp_path, [DAY1, DAY3])
    # DAY2 is being written: no DONE yet
    (tmp_path / "landing" / DAY2.strftime("%Y%m%d")).mkdir()
    sensor = build_delivery_sensor(Settings(home=tmp_path))
    with DagsterInstance.ephemeral() as instance:
        result = sensor(build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(result, SensorResult)
    (req,) = result.run_requests
    assert req.job_name == "ingest" and req.partition_key == DAY1.isoformat()
    assert req.run_key.startswith(DAY1.isoformat() + "-")
    (add,) = result.dynamic_partitions_requests
    assert sorted(add.partition_keys) == [DAY1.isoformat(), DAY3.isoformat()]


def test_sensor_skips_when_nothing_is_complete(defs: Definitions, tmp_path: Path) -> None:
    from dagster_project.sensors.delivery_sensor import build_delivery_sensor

    (tmp_path / "landing" / "20251228").mkdir(parents=True)
    sensor = build_delivery_sensor(Settings(home=tmp_path))
    with DagsterInstance.ephemeral() as instance:
        result = sensor(build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(result, SkipReason)


if __name__ == "__main__":  # regenerate the snapshot (review the diff before committing)
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        SNAPSHOT.write_text(json.dumps(graph_snapshot(build_defs(Settings(home=Path(home)))),
                                       indent=1, ensure_ascii=False, sort_keys=True) + "\n")


def test_a_run_that_never_started_is_launched_again_one_that_failed_is_not() -> None:
    """A launch that timed out (no start) is retried under a new run key; a load that ran
    and failed (a rejected delivery) is not asked for again until the state changes."""
    from dagster_project.sensors.delivery_sensor import failed_steps

    tried, relaunches = failed_steps([
        ("2025-12-29-abc", False),  # launch timed out
        ("2025-12-29-abc/relaunch1", False),  # and again
        ("2025-12-30-def", True),  # ran and was rejected
    ])
    assert tried == {"2025-12-30-def"}
    assert relaunches == {"2025-12-29-abc": 2}
