"""The real Dagster ingest job on generated `tiny` deliveries (``puhui run`` in process).

Covers t1-extract-spec §1 (complete folders only, order, re-delivery), every corrupt kind
of the generator (rejected with file, line and rule; warehouse untouched), crash safety
of the one-transaction load, and that no PII of the raw files reaches any table.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from dagster_project import contract, pipeline
from dagster_project.generator import generate
from dagster_project.generator.api import TINY_START
from dagster_project.generator.corrupt import CORRUPT_KINDS
from dagster_project.ingest import meta
from dagster_project.settings import Settings

DAY1, DAY2, DAY3 = TINY_START, TINY_START + timedelta(days=1), TINY_START + timedelta(days=2)


def ymd(d: date) -> str:
    return d.strftime(contract.DATE_FORMAT)


PII_KEY = "integration-test-key"


def use_home(home: Path) -> Settings:
    return Settings(home=home, pii_key=PII_KEY)


def ingest_only(s: Settings, **kwargs: object) -> pipeline.RunReport:
    """``puhui run``'s loads without the build-audit-publish (dbt has its own tests)."""
    kwargs.setdefault("say", lambda _m: None)
    return pipeline.run_pending(s, publish=False, **kwargs)  # type: ignore[arg-type]


def snapshot(path: Path, skip: tuple[str, ...] = ("meta.load_log", "meta.alert")
             ) -> dict[str, list]:
    """Every row of every warehouse table (sorted), to compare before/after; the load
    log and the alert record are what a rejection is meant to write."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        # tables, and the raw snapshot views of the full tables (what dbt reads)
        tables = con.execute("SELECT schema_name || '.' || table_name FROM duckdb_tables() "
                             "UNION ALL SELECT schema_name || '.' || view_name FROM duckdb_views() "
                             "WHERE schema_name = 'raw' ORDER BY 1").fetchall()
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM {t}").fetchall()))
                for (t,) in tables if t not in skip}
    finally:
        con.close()


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def control_rows(folder: Path, table: str, d: date) -> int:
    return int((folder / contract.control_file_name(table, ymd(d))).read_text().split("|")[1])


# --- all dates load ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, tiny_landing: Path) -> Iterator[Path]:
    """A home with every tiny date loaded by one ``run_pending``; tests copy it."""
    home = tmp_path_factory.mktemp("loaded")
    shutil.copytree(tiny_landing, home / "landing")
    s = use_home(home)
    report = ingest_only(s)
    home.joinpath("report.txt").write_text(repr(report))
    assert report.ok, report.failed
    yield home


def test_every_tiny_date_loads_with_the_rows_its_control_files_state(
        loaded: Path, tiny_landing: Path) -> None:
    dates = sorted(date.fromisoformat(f"{p.name[:4]}-{p.name[4:6]}-{p.name[6:]}")
                   for p in tiny_landing.iterdir())
    assert len(dates) >= 3
    wh = loaded / "warehouse.duckdb"
    for t in contract.TABLES:
        got = dict(query(wh, f"SELECT biz_date, count(*) FROM raw.{t.raw_table} GROUP BY 1"))
        want = {d: control_rows(tiny_landing / ymd(d), t.name, d) for d in dates}
        assert {d: got.get(d, 0) for d in dates} == want, t.name
    assert query(wh, "SELECT count(*), bool_and(needs_rebuild) FROM meta.delivery") == [
        (len(dates), True)]
    assert query(wh, "SELECT count(*) FROM meta.load_log WHERE status = 'loaded'") == [
        (13 * len(dates),)]
    # one successful Dagster run per date, in the instance under $PUHUI_HOME/dagster
    from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

    with DagsterInstance.from_config(str(loaded / "dagster")) as inst:
        runs = inst.get_runs(RunsFilter(job_name="ingest",
                                        statuses=[DagsterRunStatus.SUCCESS]))
        assert sorted(r.tags["dagster/partition"] for r in runs) == [d.isoformat()
                                                                     for d in dates]


def _raw_pii(landing: Path) -> set[tuple[str, str]]:
    """(value, kind) of ID numbers, phones and personal names in the raw files."""
    values: set[tuple[str, str]] = set()
    ci = contract.TABLES_BY_NAME["CUST_INFO"].column_names
    cm = contract.TABLES_BY_NAME["CUST_MGR"].column_names
    for folder in landing.iterdir():
        for line in next(folder.glob("CUST_INFO_*.dat")).read_bytes().decode("gb18030").split(
                "\n"):
            if not line:
                continue
            f = line.split("|")
            values.update((x, "id") for x in (f[ci.index("id_no")], f[ci.index("phone")]) if x)
            if f[ci.index("cust_type")] in ("1", "3") and f[ci.index("cust_name")]:
                values.add((f[ci.index("cust_name")], "name"))
        for line in next(folder.glob("CUST_MGR_*.dat")).read_bytes().decode("gb18030").split(
                "\n"):
            if line and line.split("|")[cm.index("phone")]:
                values.add((line.split("|")[cm.index("phone")], "id"))
    return values


def test_no_id_number_phone_or_personal_name_in_any_varchar_column(
        loaded: Path, tiny_landing: Path) -> None:
    needles = _raw_pii(tiny_landing)
    assert len(needles) > 100  # the tiny province has hundreds of customers
    con = duckdb.connect(str(loaded / "warehouse.duckdb"), read_only=True)
    try:
        con.execute("CREATE TEMP TABLE needle (v VARCHAR, is_name BOOLEAN)")
        con.executemany("INSERT INTO needle VALUES (?, ?)",
                        [[v, kind == "name"] for v, kind in needles])
        cols = con.execute("SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                           "WHERE data_type = 'VARCHAR' AND NOT internal "
                           "AND database_name <> 'temp'").fetchall()
        assert len(cols) > 40
        hits = []
        for schema, table, column in cols:
            # Staff names (CUST_MGR.mgr_name) are not PII in the contract and share the
            # common surnames+given names of customers, so only ID numbers and phones
            # are looked for there.
            staff = table in ("cust_mgr", "cust_mgr_versions") and column == "mgr_name"
            only = "AND NOT needle.is_name" if staff else ""
            n = con.execute(f'SELECT count(*) FROM {schema}.{table} t JOIN needle '
                            f'ON contains(t."{column}", needle.v) {only}').fetchone()
            if n and n[0]:
                hits.append((schema, table, column, n[0]))
        assert hits == []
    finally:
        con.close()


# --- re-delivery -------------------------------------------------------------------------

def _copy_loaded(loaded: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(loaded / "landing", home / "landing")
    shutil.copy(loaded / "warehouse.duckdb", home / "warehouse.duckdb")
    return home


def _rewrite(folder: Path, table: str, d: date, data: bytes) -> None:
    name = contract.data_file_name(table, ymd(d))
    (folder / name).write_bytes(data)
    (folder / contract.control_file_name(table, ymd(d))).write_text(
        contract.control_line(name, data.count(b"\n"), len(data),
                              hashlib.md5(data).hexdigest()) + "\n")


def test_redelivery_replaces_its_date_and_marks_later_dates_for_rebuild(
        loaded: Path, tmp_path: Path) -> None:
    home = _copy_loaded(loaded, tmp_path)
    s = use_home(home)
    wh = s.warehouse_path
    con = duckdb.connect(str(wh))
    last = con.execute("SELECT max(biz_date) FROM meta.delivery").fetchone()[0]
    meta.clear_rebuild(con, last)  # as after a successful dbt build
    con.close()
    before = snapshot(wh)

    # identical re-delivery (the union sends the same folder again): nothing changes
    done = home / "landing" / ymd(DAY2) / contract.done_file_name(ymd(DAY2))
    done.write_bytes(done.read_bytes())
    report = ingest_only(s)
    assert report.ok and report.loaded == [] and DAY2 in report.unchanged
    assert snapshot(wh) == before

    # corrected re-delivery of DAY2: one transaction fewer in the incremental DEP_TXN
    folder = home / "landing" / ymd(DAY2)
    txn = (folder / contract.data_file_name("DEP_TXN", ymd(DAY2))).read_bytes()
    lines = txn.split(b"\n")[:-1]
    dropped_id = lines[-1].split(b"|")[0].decode()
    _rewrite(folder, "DEP_TXN", DAY2, b"".join(x + b"\n" for x in lines[:-1]))
    report = ingest_only(s)
    assert report.ok and report.loaded == [DAY2]

    after = snapshot(wh)
    assert query(wh, "SELECT count(*) FROM raw.dep_txn WHERE biz_date = ?", [DAY2]) == [
        (len(lines) - 1,)]
    assert query(wh, "SELECT count(*) FROM raw.dep_txn WHERE txn_id = ?", [dropped_id]) == [
        (0,)]
    # every other raw row is as before: snapshots and the versions behind them
    raw = [k for k in before if k.startswith("raw.")]
    assert len(raw) == len(contract.TABLES) + 10  # 10 full tables: a view and versions
    for key in raw:
        if key != "raw.dep_txn":
            assert after[key] == before[key], key
    flags = dict(query(wh, "SELECT biz_date, needs_rebuild FROM meta.delivery"))
    assert {d for d, f in flags.items() if f} == {d for d in flags if d >= DAY2}
    assert query(wh, "SELECT times_loaded FROM meta.delivery WHERE biz_date = ?", [DAY2]) == [
        (2,)]
    con = duckdb.connect(str(wh), read_only=True)
    assert meta.rebuild_from(con) == DAY2
    con.close()


# --- order -------------------------------------------------------------------------------

def test_out_of_order_arrival_waits_for_its_predecessor(
        day1_warehouse: Path, tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    generate(generated, "tiny", TINY_START, 3)
    s = _home_with(day1_warehouse, tmp_path)
    landing = tmp_path / "landing"
    for d in (DAY1, DAY3):
        shutil.copytree(generated / ymd(d), landing / ymd(d))
    report = ingest_only(s, landing=landing)
    assert report.ok and report.loaded == [] and report.unchanged == [DAY1]
    assert [w.biz_date for w in report.waiting] == [DAY3]
    assert DAY2.isoformat() in report.waiting[0].reason
    assert query(s.warehouse_path, "SELECT biz_date FROM meta.delivery") == [(DAY1,)]

    shutil.copytree(generated / ymd(DAY2), landing / ymd(DAY2))
    report = ingest_only(s, landing=landing)
    assert report.ok and report.loaded == [DAY2, DAY3] and report.waiting == []


def _home_with(warehouse: Path, tmp_path: Path) -> Settings:
    s = use_home(tmp_path / "home")
    s.home.mkdir(parents=True)
    shutil.copy(warehouse, s.warehouse_path)
    return s


# --- every corrupt kind ------------------------------------------------------------------

@pytest.fixture(scope="module")
def day1_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A warehouse with DAY1 loaded from a clean 2-day generation."""
    root = tmp_path_factory.mktemp("day1")
    generate(root / "landing", "tiny", TINY_START, 2)
    s = use_home(root / "home")
    report = ingest_only(s, landing=root / "landing", through=DAY1)
    assert report.loaded == [DAY1]
    yield s.warehouse_path


# the rule id each generator corrupt kind must be reported under
RULE = {
    "md5": "md5",
    "row-count": "row-count",
    "field-count": "field-count",
    "encoding": "encoding",
    "unknown-code": "code-list",
    "duplicate-key": "duplicate-key",
    "gl-mismatch": "gl-reconciliation",
}


def test_rule_table_covers_every_generator_kind() -> None:
    assert set(RULE) | {"no-done"} == set(CORRUPT_KINDS)


@pytest.mark.parametrize("kind", sorted(RULE))
def test_corrupt_delivery_is_rejected_and_leaves_the_warehouse_untouched(
        kind: str, day1_warehouse: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    fault = generate(landing, "tiny", TINY_START, 2, corrupt=kind)[-1].fault
    assert fault is not None
    s = use_home(tmp_path / "home")
    s.home.mkdir(parents=True)
    shutil.copy(day1_warehouse, s.warehouse_path)
    before = snapshot(s.warehouse_path)
    log_before = query(s.warehouse_path, "SELECT count(*) FROM meta.load_log")[0][0]

    said: list[str] = []
    report = ingest_only(s, landing=landing, say=said.append)
    assert not report.ok and [d for d, _ in report.failed] == [DAY2]  # `puhui run` exits 1
    output = "\n".join(said)

    # the generator says which file and line it broke; a broken control file is
    # reported against its data file (whose md5 / row count disagrees with it)
    data_file = fault.file[:-4] + ".dat" if fault.file.endswith(".flg") else fault.file
    rule = RULE[kind]
    where = re.escape(data_file + (f" line {fault.line}" if fault.line else ""))
    assert re.search(where + r"( column \S+)?: " + re.escape(f"[{rule}]"), output), (
        fault, output)
    assert snapshot(s.warehouse_path) == before  # DAY1 untouched, DAY2 absent
    # the rejection is logged per file, and the delivery moved to quarantine with a report
    rejected = query(s.warehouse_path, "SELECT biz_date, file_name, reason FROM "
                     "meta.load_log WHERE status = 'rejected'")
    assert query(s.warehouse_path, "SELECT count(*) FROM meta.load_log")[0][0] > log_before
    assert any(d == DAY2 and f == data_file and f"[{rule}]" in r for d, f, r in rejected)
    assert not (landing / ymd(DAY2)).exists()
    (q,) = s.quarantine_dir.iterdir()
    assert f"[{rule}]" in (q / "REJECTED.txt").read_text(encoding="utf-8")
    # issue 7: a rejected delivery raises one alert, recorded with its reason
    alerts = query(s.warehouse_path, "SELECT kind, biz_date, severity, detail FROM meta.alert")
    assert [(k, d, sev) for k, d, sev, _ in alerts] == [("rejected_delivery", DAY2, "critical")]
    assert f"[{rule}]" in alerts[0][3]


def test_folder_without_done_is_ignored(day1_warehouse: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, "tiny", TINY_START, 2, corrupt="no-done")
    s = use_home(tmp_path / "home")
    s.home.mkdir(parents=True)
    shutil.copy(day1_warehouse, s.warehouse_path)
    before = snapshot(s.warehouse_path, skip=())
    report = ingest_only(s, landing=landing)
    assert report.ok and report.loaded == [] and report.unchanged == [DAY1]
    assert snapshot(s.warehouse_path, skip=()) == before
    assert (landing / ymd(DAY2)).exists()  # still being written: left alone


# --- crash safety ------------------------------------------------------------------------

def test_load_killed_mid_transaction_leaves_no_partial_date_and_rerun_completes(
        day1_warehouse: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, "tiny", TINY_START, 2)
    s = _home_with(day1_warehouse, tmp_path)
    before = snapshot(s.warehouse_path, skip=())

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")},
           "PUHUI_HOME": str(s.home), "PUHUI_PII_KEY": PII_KEY, "PUHUI_LOAD_TXN_PAUSE_S": "120"}
    proc = subprocess.Popen([sys.executable, "-m", "dagster_project.cli", "run", "--landing",
                             str(landing)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the DAY2 inserts are done, COMMIT not yet
            if "load transaction open" in line:
                break
        else:
            pytest.fail("the load never reached its transaction")
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(s.warehouse_path, skip=()) == before  # DAY2 absent everywhere
    report = ingest_only(s, landing=landing)
    assert report.ok and report.loaded == [DAY2]
    for t in contract.TABLES:
        assert query(s.warehouse_path, f"SELECT count(*) FROM raw.{t.raw_table} "
                     "WHERE biz_date = ?", [DAY2]) == [
            (control_rows(landing / ymd(DAY2), t.name, DAY2),)]


# --- what comes after the loads: build, audit, publish from the earliest flagged date ----

def test_after_the_loads_the_next_step_publishes_from_the_earliest_date_needing_rebuild(
        day1_warehouse: Path, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate(landing, "tiny", TINY_START, 2)
    s = _home_with(day1_warehouse, tmp_path)
    s = s.model_copy(update={"landing": landing})
    night = pipeline.next_step(s)
    assert night.step is not None and night.step.action == "load"
    assert night.step.biz_date == DAY2 and night.step.job_name == "ingest"
    assert ingest_only(s).loaded == [DAY2]
    # DAY1 was loaded without a build, DAY2 now: one build from DAY1 through DAY2
    order = [DAY1.isoformat(), DAY2.isoformat()]
    step = pipeline.next_step(s, partitions=order).step
    assert step is not None and step.job_name == "build_audit_publish"
    assert (step.biz_date, step.partition) == (DAY1, DAY2.isoformat())
    assert step.tags == {"dagster/asset_partition_range_start": DAY1.isoformat(),
                         "dagster/asset_partition_range_end": DAY2.isoformat()}
    # keys added out of date order (a back-fill) cannot form a range: the last date alone
    assert pipeline.next_step(s, partitions=order[::-1]).step.tags == {}  # type: ignore[union-attr]
    # a step already tried in this state is not proposed again (no retry loop) ...
    assert pipeline.next_step(s, skip={step.run_key}).step is None
    # ... and once published nothing is left to do
    con = duckdb.connect(str(s.warehouse_path))
    meta.clear_rebuild(con, DAY2)
    con.close()
    assert pipeline.next_step(s).step is None


# --- a failed blocking expectation stops the date ----------------------------------------

def test_blocking_expectation_failure_rejects_the_date(
        tmp_path: Path) -> None:
    from dagster_project.ingest.sample import sample_tables, write_delivery

    s = use_home(tmp_path / "home")
    landing = tmp_path / "landing"
    d1, d2 = date(2025, 1, 1), date(2025, 1, 2)
    write_delivery(landing, d1)
    rows = sample_tables(d2)
    # every contract rule holds (zero balances keep the GL reconciled), but DEP_ACCT,
    # a full table, triples overnight: the blocking drift expectation (0.5x-2x) fails
    rows["DEP_ACCT"] += [[f"Z{i:03d}", "C001", "W001", "P101", "20110101", "CNY", "0.00",
                          "20200101", "", "0.35", "1", ""] for i in range(6)]
    write_delivery(landing, d2, rows)
    assert ingest_only(s, landing=landing, through=d1).loaded == [d1]
    before = snapshot(s.warehouse_path)

    report = ingest_only(s, landing=landing)
    assert report.loaded == [] and [d for d, _ in report.failed] == [d2]
    reason = report.failed[0][1]
    assert "[expectations]" in reason and "raw_dep_acct" in reason and "9 rows" in reason
    assert snapshot(s.warehouse_path) == before
    (q,) = s.quarantine_dir.iterdir()
    assert q.name.startswith("20250102-")
    # the check evaluation is recorded in Dagster as a failed asset check
    from dagster import AssetCheckKey, AssetKey, DagsterInstance

    with DagsterInstance.from_config(str(s.dagster_home)) as inst:
        ev = inst.event_log_storage.get_latest_asset_check_execution_by_key(
            [AssetCheckKey(AssetKey(["raw", "dep_acct"]), "expectations")])
        (execution,) = ev.values()
        assert execution.status.value == "FAILED"
        assert execution.evaluation is not None and execution.evaluation.passed is False
