"""customer-ops.md §6 in the running system: the blacklist against a warehouse that has
really ingested the hand delivery (tests/fixtures/deliveries/hand), through the CLI, the
manual/ folder's sensor and job, and the planner of the rebuild.

- "matching against CUST_INFO uses the keyed hash": a blacklisted customer's
  ``id_no_hash`` is ``raw.cust_info.id_no`` of the same ID after a real ingestion;
- "loading a new version rebuilds the dates whose result it changes": the first
  published date it changes is planned for the pre-credit rebuild
  (``stg_manual__blacklist_entries+``, then the audit and the publish), on the night's
  path (pipeline.next_step, the delivery sensor), and the CLI runs it straight after the
  load.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, SensorResult, SkipReason, build_sensor_context

from dagster_project import pipeline
from dagster_project.audit.clock import beijing_now, naive_beijing
from dagster_project.ingest.delivery import Delivery
from dagster_project.ingest.service import IngestOptions, ingest_delivery
from dagster_project.manual import ids
from dagster_project.manual.blacklist import StoreResult, read_blacklist, store_blacklist
from dagster_project.manual.rebuild import PRECREDIT_SELECT
from dagster_project.manual.service import SETTLE_SECONDS, load_file, take_in
from dagster_project.resources.dbt import prepare_manifest
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings
from tests.fixtures.deliveries.builder import write_delivery
from tests.fixtures.deliveries.hand.data import DATES, rows_on
from tests.reference.compare import REPO, puhui_command

D1, D2, D3 = DATES  # 2025-12-31, 2026-01-01, 2026-01-02
KEY = "integration-test-key"
HEADER = "证件号码,姓名,列入原因,列入日期,移出日期"


def _resident_with_x() -> str:
    """A valid resident ID of C002's birth date whose check digit is X (the file gives it
    with a lower-case x, the delivery with the standard's capital)."""
    for seq in range(1000):
        body = f"32128319800101{seq:03d}"
        if ids.resident_id_check(body) == "X":
            return body + "X"
    raise AssertionError("no body with check digit X")


C002_ID = _resident_with_x()  # 张三, 个人
C001_ID = "91321283MA0000001" + ids.credit_code_check("91321283MA0000001")  # a company
# C002's ID with a wrong check digit that is no credit code either
C002_WRONG = next(C002_ID[:-1] + d for d in "0123456789"
                  if not ids.is_credit_code(C002_ID[:-1] + d))
SECRETS = (C002_ID, C002_ID.lower(), C002_WRONG, C001_ID, "张三", "泰兴市微光科技有限公司")


def _hand_rows(d: date) -> dict:
    """The hand delivery with valid ID numbers for C001 and C002 (the hand data's own are
    placeholders the ingestion does not check)."""
    rows = rows_on(d)
    for c in rows["CUST_INFO"]:
        if c["cust_no"] == "C002":
            c["id_no"] = C002_ID
        elif c["cust_no"] == "C001":
            c["id_no"] = C001_ID
    return rows


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand delivery's three dates really ingested, then marked built and published
    (as ``build_audit_publish`` leaves them: needs_rebuild false), with the manifest."""
    home = tmp_path_factory.mktemp("hand_home")
    s = Settings(home=home, pii_key=KEY)
    s.ensure_dirs()
    for d in DATES:
        write_delivery(s.landing_dir, d, _hand_rows(d))
    opts = IngestOptions(quarantine_dir=s.quarantine_dir, tmp_dir=s.tmp_dir,
                         pii_key=s.resolved_pii_key())
    con = connect_warehouse(s)
    try:
        for d in DATES:
            r = ingest_delivery(con, Delivery(d, s.landing_dir / f"{d:%Y%m%d}"), opts,
                                say=lambda _m: None)
            assert r.status == "loaded"
        con.execute("UPDATE meta.delivery SET needs_rebuild = false")  # as after a publish
    finally:
        con.close()
    prepare_manifest(s)  # the dbt project of this branch: no precredit model
    return home


@pytest.fixture
def home(built_home: Path, tmp_path: Path) -> Settings:
    target = tmp_path / "home"
    shutil.copytree(built_home, target)
    return Settings(home=target, pii_key=KEY)


def write_csv(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return path


def query(s: Settings, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def assert_no_clear_pii(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# --- the keyed hash matches CUST_INFO ----------------------------------------------------

def test_a_blacklisted_customer_hashes_like_raw_cust_info_id_no(home: Settings,
                                                                 tmp_path: Path) -> None:
    path = write_csv(tmp_path / "黑名单.csv", [
        f"{C002_ID.lower()},张三,法院失信被执行人,2025-06-01,",
        f"{C001_ID},泰兴市微光科技有限公司,联社风险预警,2025-06-01,2026-06-01",
    ], "gb18030")
    load_file(home, path, by="E1024", say=lambda _m: None)
    matched = query(home, """
        SELECT c.biz_date, c.cust_no, b.name_masked, c.cust_name
        FROM raw.cust_info AS c JOIN manual.blacklist_current AS b ON b.id_no_hash = c.id_no
        ORDER BY 1, 2""")
    assert matched == [(d, no, mask, name) for d in DATES for no, mask, name in
                       (("C001", "泰*", "泰兴市微光科技有限公司"), ("C002", "张*", "张*"))]
    # and it is the very hash ingestion stored, not just an equal join
    (stored,) = query(home, "SELECT DISTINCT id_no FROM raw.cust_info WHERE cust_no = 'C002'")
    (listed,) = query(home, "SELECT id_no_hash FROM manual.blacklist_current "
                            "WHERE name_masked = '张*'")
    assert stored == listed


# --- the rebuild a version asks for ------------------------------------------------------

def test_a_change_to_published_dates_asks_the_precredit_rebuild_from_its_first_date(
        home: Settings, tmp_path: Path) -> None:
    said: list[str] = []
    path = write_csv(tmp_path / "a.csv", [f"{C002_ID},张三,失信,2026-01-01,"])
    result = load_file(home, path, say=said.append)
    # listed from 1 Jan 2026: 31 Dec keeps its result, 1 and 2 Jan are rebuilt
    assert result.changes_from == D2 and result.built_dates_changed
    assert result.rebuild_from == D2
    assert query(home, "SELECT rebuild_from FROM manual.blacklist_version") == [(D2,)]
    step = pipeline.next_step(home).step
    assert (step.job_name, step.biz_date, step.partition) == (
        "rebuild_precredit", D2, D3.isoformat())
    assert_no_clear_pii(*said)


def test_the_selection_is_read_with_dbt_s_own_syntax(built_home: Path) -> None:
    from dagster_project.manual.rebuild import selected_models

    manifest = Settings(home=built_home).dbt_target_dir / "manifest.json"
    # PRECREDIT_SELECT: the first model reading the blacklist and what is built on it
    chosen = selected_models(manifest)
    assert {"model.puhui.stg_manual__blacklist_entries", "model.puhui.int_customers_blacklisted",
            "model.puhui.precredit"} <= set(chosen)
    assert not any(n.startswith(("model.puhui.stg_t1__", "model.puhui.int_customers_profiled",
                                 "model.puhui.customer_profile")) for n in chosen), chosen
    assert selected_models(manifest, "fct_mgr_scorecard+") == [
        "model.puhui.fct_mgr_scorecard", "model.puhui.srv_mgr_scorecard"]


def _store(s: Settings, rows: list[str], tmp_path: Path, name: str) -> StoreResult:
    """As ``load_file``, without reading the manifest (the rebuild is always possible)."""
    con = connect_warehouse(s)
    try:
        return store_blacklist(con, read_blacklist(write_csv(tmp_path / name, rows)),
                               s.resolved_pii_key(), "E1024", naive_beijing(beijing_now()),
                               can_rebuild=lambda: True)
    finally:
        con.close()


def test_a_version_changing_published_dates_plans_the_precredit_rebuild_from_the_first(
        home: Settings, tmp_path: Path) -> None:
    # listed from 1 Jan 2026: 31 Dec keeps its result, 1 and 2 Jan change
    r = _store(home, [f"{C002_ID},张三,失信,2026-01-01,"], tmp_path, "v1.csv")
    assert (r.changes_from, r.rebuild_from) == (D2, D2)
    step = pipeline.next_step(home).step
    assert (step.job_name, step.action, step.biz_date, step.partition) == (
        "rebuild_precredit", "precredit", D2, D3.isoformat())
    # the same list with the entry removed from 2 Jan on: only 2 Jan changes more
    r = _store(home, [f"{C002_ID},张三,失信,2026-01-01,2026-01-02"], tmp_path, "v2.csv")
    assert (r.changes_from, r.rebuild_from) == (D3, D3)
    assert pipeline.next_step(home).step.biz_date == D2  # the earliest still waiting
    # a change after the last published date: nothing to rebuild now
    r = _store(home, [f"{C002_ID},张三,失信,2026-01-01,2026-01-02",
                      f"{C001_ID},泰兴市微光科技有限公司,预警,2026-03-01,"], tmp_path, "v3.csv")
    assert (r.changes_from, r.rebuild_from) == (date(2026, 3, 1), None)
    # a whole rebuild due from 2 Jan (a re-delivery) runs the whole graph from the earlier
    con = connect_warehouse(home)
    try:
        con.execute("UPDATE manual.blacklist_version SET rebuild_from = NULL")
        con.execute("UPDATE manual.blacklist_version SET rebuild_from = ? "
                    "WHERE version_id = 1", [D2])
        con.execute("UPDATE meta.delivery SET needs_rebuild = true WHERE biz_date = ?", [D3])
    finally:
        con.close()
    step = pipeline.next_step(home).step
    assert (step.job_name, step.biz_date) == ("build_audit_publish", D2)


def test_the_delivery_sensor_launches_the_precredit_rebuild(home: Settings,
                                                            tmp_path: Path) -> None:
    from dagster_project.definitions import build_defs

    _store(home, [f"{C002_ID},张三,失信,2025-01-01,"], tmp_path, "v1.csv")
    defs = build_defs(home)
    sensor = defs.resolve_sensor_def("delivery_sensor")
    with DagsterInstance.ephemeral() as instance:
        pipeline.add_partitions(instance, list(DATES))
        result = sensor(build_sensor_context(instance=instance, definitions=defs))
    assert isinstance(result, SensorResult)
    (req,) = result.run_requests
    assert req.job_name == "rebuild_precredit"
    assert req.tags["dagster/asset_partition_range_start"] == D1.isoformat()
    assert req.tags["dagster/asset_partition_range_end"] == D3.isoformat()
    job = defs.resolve_job_def("rebuild_precredit")
    keys = {k.to_user_string() for k in job.asset_layer.asset_graph.executable_asset_keys}
    # what reads the blacklist, what is built on it, and the publish; nothing else
    assert PRECREDIT_SELECT == "stg_manual__blacklist_entries+"
    assert {"staging/stg_manual__blacklist_entries", "intermediate/int_customers_blacklisted",
            "marts/precredit", "serving/serving_duckdb"} <= keys
    assert not any(k.startswith(("raw/", "staging/stg_t1__", "marts/customer_profile",
                                 "intermediate/int_customers_profiled", "marts/indicator"))
                   for k in keys), keys
    audit = {c.name for c in job.asset_layer.asset_graph.asset_check_keys}
    assert {"value_bounds", "completeness", "gl_reconciliation"} <= audit


# --- the manual/ folder: sensor, job, loaded/ and rejected/ ------------------------------

def _settle(path: Path) -> None:
    old = time.time() - SETTLE_SECONDS - 5
    os.utime(path, (old, old))


def test_files_dropped_in_manual_are_loaded_or_rejected_and_moved(home: Settings) -> None:
    from dagster_project.definitions import build_defs

    good = write_csv(home.manual_dir / "黑名单-2026-01.csv", [
        f"{C002_ID},张三,法院失信被执行人,2026-01-01,"])
    bad = write_csv(home.manual_dir / "黑名单-错.csv", [
        f"{C002_ID},张三,失信,2026-01-01,", f"{C002_ID.lower()},张三,重复,2026-01-02,"])
    young = write_csv(home.manual_dir / "still-copying.csv", ["x"])
    (home.manual_dir / "~$黑名单.xlsx").write_bytes(b"lock")  # Excel's lock file
    _settle(good)
    _settle(bad)
    os.utime(bad, (good.stat().st_mtime + 1,) * 2)  # dropped after the good one
    defs = build_defs(home)
    sensor = defs.resolve_sensor_def("manual_sensor")
    job = defs.resolve_job_def("blacklist_load")
    with DagsterInstance.ephemeral() as instance:
        runs = []
        for expected in (good, bad):
            req = sensor(build_sensor_context(instance=instance, definitions=defs))
            assert req.run_config["ops"]["manual__blacklist"]["config"]["path"] == str(expected)
            result = job.execute_in_process(run_config=req.run_config, instance=instance,
                                            raise_on_error=False)
            runs.append(result)
        skip = sensor(build_sensor_context(instance=instance, definitions=defs))
        events = "\n".join(str(e) for r in runs for e in instance.all_logs(r.run_id))
    assert isinstance(skip, SkipReason)  # the young file and the lock file wait
    assert runs[0].success and not runs[1].success
    assert young.exists() and not good.exists() and not bad.exists()
    (loaded,) = (home.manual_dir / "loaded").iterdir()
    assert loaded.name.endswith("-黑名单-2026-01.csv")
    rejected = sorted(p.name for p in (home.manual_dir / "rejected").iterdir())
    assert len(rejected) == 2 and rejected[1] == rejected[0] + ".errors.txt"
    report = (home.manual_dir / "rejected" / rejected[1]).read_text("utf-8")
    assert report.splitlines()[1] == ("黑名单-错.csv: row 3: 证件号码: duplicate: the same ID "
                                      "as row 2")
    (v,) = query(home, "SELECT version_id, file_name, entry_cnt, loaded_by, rebuild_from "
                       "FROM manual.blacklist_version")
    from dagster_project.manual.service import os_user
    # listed from 1 Jan 2026, a published date: the pre-credit rebuild waits from there
    assert v == (1, "黑名单-2026-01.csv", 1, os_user(), D2)
    assert "duplicate: the same ID as row 2" in events  # the Failure names the rule
    assert_no_clear_pii(events, report)


def test_take_in_leaves_a_file_it_could_not_load_for_the_next_try(home: Settings) -> None:
    """A busy warehouse (another writer) is no verdict on the file."""
    path = write_csv(home.manual_dir / "a.csv", [f"{C002_ID},张三,失信,2026-01-01,"])
    holder = duckdb.connect(str(home.warehouse_path))  # the one writer
    try:
        probe = subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; "
             "from dagster_project.settings import Settings; "
             "from dagster_project.manual.service import take_in; "
             f"take_in(Settings(home=Path({str(home.home)!r}), pii_key={KEY!r}), "
             f"Path({str(path)!r}))"], capture_output=True, text=True, cwd=REPO)
    finally:
        holder.close()
    assert probe.returncode != 0 and "lock" in probe.stderr.lower()
    assert path.exists() and not any((home.manual_dir / "rejected").iterdir())
    taken = take_in(home, path, say=lambda _m: None)
    assert taken.result.version_id == 1 and not path.exists()


# --- the CLI -----------------------------------------------------------------------------

def puhui(s: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env.update(PUHUI_HOME=str(s.home), PUHUI_PII_KEY=KEY)
    return subprocess.run([*puhui_command(), *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=600)


def test_the_cli_loads_lists_and_rejects(home: Settings, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "黑名单.csv", [f"{C002_ID.lower()},张三,失信,2026-01-01,"],
                     "gb18030")
    # this home's dates are marked published without marts: the rebuild is left to the
    # night (test_a_loaded_blacklist_rebuilds_the_published_pre_credit runs it for real)
    done = puhui(home, "blacklist", "load", str(good), "--by", "E1024", "--no-rebuild")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "黑名单.csv: stored as version 1 (1 entries), now in force",
        "changes the blacklist in force from 2026-01-01: pre-credit is rebuilt from "
        "2026-01-01 on",
        "rebuild left to the delivery sensor or `puhui run`"]
    again = puhui(home, "blacklist", "load", str(good))
    assert again.returncode == 0
    assert again.stdout == "黑名单.csv: identical to version 1, the one in force: nothing stored\n"
    bad = write_csv(tmp_path / "bad.csv", [f"{C002_ID},张三,失信,2026-01-01,2025-12-31",
                                           f"{C002_WRONG},张三,失信,2026-13-01,"])
    before = query(home, "SELECT * FROM manual.blacklist_entry")
    rejected = puhui(home, "blacklist", "load", str(bad))
    assert rejected.returncode == 1 and rejected.stdout == ""
    assert rejected.stderr.splitlines() == [
        "blacklist file bad.csv rejected, nothing stored (3 violation(s)):",
        "bad.csv: row 2: 移出日期: must be after 列入日期 (earlier)",
        "bad.csv: row 3: 证件号码: wrong check digit (neither a GB 11643 resident ID nor a GB "
        "32100 unified social credit code)",
        "bad.csv: row 3: 列入日期: not a valid calendar date (YYYY-MM-DD)"]
    assert query(home, "SELECT * FROM manual.blacklist_entry") == before
    listing = puhui(home, "blacklist", "list")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    assert lines[0].split() == ["version", "loaded_at", "(Beijing)", "loaded_by", "entries",
                                "changes_from", "rebuild", "file"]
    assert lines[1].split()[0] == "1" and lines[1].split()[3:] == [
        "E1024", "1", "2026-01-01", "from", "2026-01-01", "黑名单.csv", "←", "in", "force"]
    assert_no_clear_pii(done.stdout, done.stderr, rejected.stderr, listing.stdout)


def test_a_loaded_blacklist_rebuilds_the_published_pre_credit(tmp_path: Path) -> None:
    """The whole path for real: the hand delivery run, built and published by `puhui
    run`; then `puhui blacklist load` lists 张三 (C002) from 1 Jan 2026 and rebuilds
    pre-credit from that date. 31 Dec keeps its result; on 1 and 2 Jan C002 is refused
    for BLACKLIST unless an earlier rule (AGE, BAD_LOAN) already refused them; nobody
    else's row moves."""
    s = Settings(home=tmp_path / "home", pii_key=KEY)
    s.ensure_dirs()
    landing = tmp_path / "landing"
    for d in DATES:
        write_delivery(landing, d, _hand_rows(d))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUHUI_")}
    env.update(PUHUI_HOME=str(s.home), PUHUI_PII_KEY=KEY)
    run = subprocess.run([*puhui_command(), "run", "--landing", str(landing)], cwd=REPO,
                         env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    def published() -> dict[tuple[date, str], tuple]:
        with duckdb.connect(str(s.serving_path), read_only=True) as con:
            return {(r[0], r[1]): r[2:] for r in con.execute(
                "select biz_date, cust_no, admitted, reject_reason, score, limit_amt "
                "from precredit").fetchall()}

    before = published()
    assert {d for d, _ in before} == set(DATES)
    good = write_csv(tmp_path / "黑名单.csv", [f"{C002_ID},张三,失信,2026-01-01,"])
    done = puhui(s, "blacklist", "load", str(good), "--by", "E1024")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert ("changes the blacklist in force from 2026-01-01: pre-credit is rebuilt from "
            "2026-01-01 on") in done.stdout
    after = published()
    assert after.keys() == before.keys()
    moved = {k for k in before if before[k] != after[k]}
    assert {c for _, c in moved} <= {"C002"} and {d for d, _ in moved} <= {D2, D3}
    for d in (D2, D3):
        admitted, reason, score, limit = after[(d, "C002")]
        earlier = before[(d, "C002")][1] in ("AGE", "BAD_LOAN")
        assert reason == (before[(d, "C002")][1] if earlier else "BLACKLIST")
        assert not admitted and limit is None and score == before[(d, "C002")][2]
    assert after[(D1, "C002")] == before[(D1, "C002")]
    assert query(s, "SELECT rebuild_from FROM manual.blacklist_version") == [(None,)]
    assert_no_clear_pii(done.stdout, done.stderr, run.stdout)
