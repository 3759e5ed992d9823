"""Validation rules of t1-extract-spec.md, one broken rule per test, on hand-written rows.

Each test writes the hand delivery of ``ingest.sample`` (every rule holds, GL sums worked
out by hand in its docstring), breaks one rule, ingests it into a real DuckDB file and
checks the rejection names the file, line, column and rule, and that nothing was loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project import contract
from dagster_project.ingest.delivery import Delivery, find_deliveries
from dagster_project.ingest.errors import DeliveryRejected, Violation
from dagster_project.ingest.pii import hmac_hex
from dagster_project.ingest.sample import (
    PII_ID_NUMBERS,
    PII_PERSONAL_NAMES,
    PII_PHONES,
    Rows,
    encode_rows,
    sample_tables,
    write_delivery,
)
from dagster_project.ingest.service import IngestOptions, ingest_delivery

D = date(2025, 1, 31)
YMD = "20250131"
KEY = b"test-key"


def _opts(tmp_path: Path) -> IngestOptions:
    return IngestOptions(quarantine_dir=tmp_path / "quarantine", tmp_dir=tmp_path / "tmp",
                         pii_key=KEY)


def _ingest(tmp_path: Path, mutate: Callable[[Rows], None] | None = None,
            raw: dict[str, bytes] | None = None) -> duckdb.DuckDBPyConnection:
    rows = sample_tables(D)
    if mutate:
        mutate(rows)
    write_delivery(tmp_path / "landing", D, rows, raw=raw)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_delivery(con, Delivery(D, tmp_path / "landing" / YMD), _opts(tmp_path),
                    say=lambda _: None)
    return con


def _rejected(tmp_path: Path, mutate: Callable[[Rows], None] | None = None,
              raw: dict[str, bytes] | None = None) -> list[Violation]:
    with pytest.raises(DeliveryRejected) as exc:
        _ingest(tmp_path, mutate, raw)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    # nothing of the date reached the warehouse, the rejection is logged
    for t in contract.TABLES:
        assert con.execute(f"SELECT count(*) FROM raw.{t.raw_table}").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM meta.delivery").fetchone() == (0,)
    statuses = con.execute("SELECT DISTINCT status FROM meta.load_log").fetchall()
    assert statuses == [("rejected",)]
    # the folder moved to quarantine with a report
    assert not (tmp_path / "landing" / YMD).exists()
    (qdir,) = (tmp_path / "quarantine").iterdir()
    assert qdir.name.startswith(YMD + "-")
    report = (qdir / "REJECTED.txt").read_text(encoding="utf-8")
    for v in exc.value.violations:
        assert str(v) in report
    _assert_no_pii(report)
    _assert_no_pii(" ".join(r[0] or "" for r in con.execute(
        "SELECT reason FROM meta.load_log").fetchall()))
    con.close()
    return exc.value.violations


def _assert_no_pii(text: str) -> None:
    for value in (*PII_ID_NUMBERS, *PII_PHONES, *PII_PERSONAL_NAMES):
        assert value not in text


def _one(violations: list[Violation], rule: str) -> Violation:
    found = [v for v in violations if v.rule == rule]
    assert len(found) == 1, violations
    return found[0]


def _set(table: str, line: int, column: str, value: str) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[table][line - 1][contract.TABLES_BY_NAME[table].column_names.index(column)] = value
    return mutate


# --- a valid delivery loads, with PII protected -----------------------------------------

def test_valid_delivery_loads_every_row_typed(tmp_path: Path) -> None:
    con = _ingest(tmp_path)
    counts = {t.name: con.execute(f"SELECT count(*) FROM raw.{t.raw_table}").fetchone()[0]
              for t in contract.TABLES}
    assert counts == {t: len(r) for t, r in sample_tables(D).items()}
    # §2: decimals keep their value, DATE/TIMESTAMP parse, empty field = NULL
    acct = con.execute("SELECT balance, rate, mature_date, mgr_no FROM raw.dep_acct "
                       "WHERE acct_no = 'A003'").fetchone()
    assert acct == (pytest.approx(200.00), pytest.approx(1.5), date(2026, 1, 1), None)
    txn = con.execute("SELECT strftime(txn_time, '%Y-%m-%d %H:%M:%S') FROM raw.dep_txn "
                      "WHERE txn_id = 'T002'").fetchone()
    assert txn == ("2025-01-31 23:59:59",)
    # the full-width ｜ of §2 survives as text
    note = con.execute("SELECT note FROM raw.visit_log WHERE visit_id = 'V001'").fetchone()
    assert note == ("客户有意向续保｜下周再访",)
    log = con.execute("SELECT file_name, rows, bytes, md5, status FROM meta.load_log "
                      "WHERE table_name = 'FX_RATE'").fetchone()
    data = encode_rows(sample_tables(D)["FX_RATE"])
    assert log == ("FX_RATE_20250131.dat", 2, len(data), hashlib.md5(data).hexdigest(),
                   "loaded")


def test_pii_is_hashed_with_the_key_and_personal_names_masked(tmp_path: Path) -> None:
    con = _ingest(tmp_path)
    rows = con.execute("SELECT cust_no, cust_name, id_no, phone FROM raw.cust_info "
                       "ORDER BY cust_no").fetchall()
    assert rows == [
        ("C001", "张*", hmac_hex(KEY, "330102199001011234"), hmac_hex(KEY, "13812345678")),
        ("C002", "桃源绿茶科技有限公司", hmac_hex(KEY, "91330100MA2B3C4D5E"),
         hmac_hex(KEY, "057188886666")),
        ("C003", "王*", hmac_hex(KEY, "330102198505051235"), hmac_hex(KEY, "13712345679")),
    ]
    assert con.execute("SELECT phone FROM raw.cust_mgr").fetchone() == (
        hmac_hex(KEY, "13900000001"),)


# --- §1 delivery layout ---------------------------------------------------------------

def test_folder_without_done_is_not_a_delivery(tmp_path: Path) -> None:
    write_delivery(tmp_path, D, done=False)
    write_delivery(tmp_path, date(2025, 2, 1))
    assert [d.biz_date for d in find_deliveries(tmp_path)] == [date(2025, 2, 1)]


def test_done_must_list_every_data_file(tmp_path: Path) -> None:
    folder = write_delivery(tmp_path / "landing", D)
    done = folder / f"DONE_{YMD}.flg"
    done.write_text("\n".join(ln for ln in done.read_text().split("\n")
                              if not ln.startswith("GRID")))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(D, folder), _opts(tmp_path), say=lambda _: None)
    v = _one(exc.value.violations, "done-list")
    assert v.file == f"DONE_{YMD}.flg" and "GRID_20250131.dat" in v.message


# --- §2 control files ------------------------------------------------------------------

def _edit_control(tmp_path: Path, table: str, field: int, value: str) -> list[Violation]:
    folder = write_delivery(tmp_path / "landing", D)
    flg = folder / f"{table}_{YMD}.flg"
    parts = flg.read_text().strip().split("|")
    parts[field] = value
    flg.write_text("|".join(parts) + "\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(D, folder), _opts(tmp_path), say=lambda _: None)
    return exc.value.violations


def test_md5_must_match_control_file(tmp_path: Path) -> None:
    v = _one(_edit_control(tmp_path, "DEP_ACCT", 3, "0" * 32), "md5")
    assert v.file == f"DEP_ACCT_{YMD}.dat" and f"DEP_ACCT_{YMD}.flg" in v.message


def test_row_count_must_match_control_file(tmp_path: Path) -> None:
    v = _one(_edit_control(tmp_path, "DEP_ACCT", 1, "4"), "row-count")
    assert v.file == f"DEP_ACCT_{YMD}.dat" and "3 records" in v.message


def test_byte_size_must_match_control_file(tmp_path: Path) -> None:
    v = _one(_edit_control(tmp_path, "GRID", 2, "1"), "byte-size")
    assert v.file == f"GRID_{YMD}.dat" and "says 1" in v.message


def test_control_file_format(tmp_path: Path) -> None:
    v = _one(_edit_control(tmp_path, "GRID", 3, "ABC"), "control-format")
    assert v.file == f"GRID_{YMD}.flg" and v.line == 1


# --- §2 file format ----------------------------------------------------------------------

def test_bytes_that_are_not_gb18030_are_rejected_with_their_line(tmp_path: Path) -> None:
    rows = sample_tables(D)["CUST_INFO"]
    data = encode_rows(rows)
    bad = data.replace("王小二".encode("gb18030"), b"\xff\xff", 1)  # line 3's name
    v = _one(_rejected(tmp_path, raw={"CUST_INFO": bad}), "encoding")
    assert (v.file, v.line) == (f"CUST_INFO_{YMD}.dat", 3)


def test_crlf_records_are_rejected(tmp_path: Path) -> None:
    data = encode_rows(sample_tables(D)["GRID"]).replace(b"\n", b"\r\n")
    v = _one(_rejected(tmp_path, raw={"GRID": data}), "record-separator")
    assert (v.file, v.line) == (f"GRID_{YMD}.dat", 1)


def test_wrong_field_count_names_the_line(tmp_path: Path) -> None:
    def extra_field(rows: Rows) -> None:
        rows["LOAN_DUEBILL"][1].append("1")
    v = _one(_rejected(tmp_path, extra_field), "field-count")
    assert (v.file, v.line) == (f"LOAN_DUEBILL_{YMD}.dat", 2)
    assert "23 field(s), expected 22" in v.message


def test_missing_field_on_a_pii_line_does_not_leak_pii(tmp_path: Path) -> None:
    def drop_field(rows: Rows) -> None:
        del rows["CUST_INFO"][0][5]
    v = _one(_rejected(tmp_path, drop_field), "field-count")
    assert (v.file, v.line) == (f"CUST_INFO_{YMD}.dat", 1)


@pytest.mark.parametrize(("table", "line", "column", "value"), [
    ("DEP_ACCT", 2, "open_date", "20250230"),  # DATE YYYYMMDD, no 30 February
    ("DEP_ACCT", 2, "open_date", "2025-01-01"),
    ("DEP_TXN", 1, "txn_time", "20250131250000"),  # TIMESTAMP YYYYMMDDHHMMSS
    ("DEP_ACCT", 3, "balance", "200.001"),  # at most 2 places
    ("DEP_ACCT", 3, "balance", "1,200.00"),  # no thousands separators
    ("DEP_ACCT", 1, "rate", "0.35001"),  # DECIMAL(8,4): at most 4 places
    ("GRID", 1, "household_cnt", "3.5"),  # INT
    ("GRID", 1, "household_cnt", "+350"),  # digits only (DuckDB's cast would accept it)
    ("GRID", 1, "household_cnt", "1_000"),
    ("DEP_ACCT", 1, "open_date", " 2020010"),  # 8 characters, not 8 digits
    ("DEP_TXN", 2, "txn_time", "2025013112000"),  # 13 digits
    ("FX_RATE", 2, "rate_to_cny", "7.1234567"),  # DECIMAL(12,6)
])
def test_field_types(tmp_path: Path, table: str, line: int, column: str, value: str) -> None:
    v = _one(_rejected(tmp_path, _set(table, line, column, value)), "type")
    assert (v.file, v.line, v.column) == (f"{table}_{YMD}.dat", line, column)


# --- §4 columns ------------------------------------------------------------------------

def test_required_column_must_not_be_empty(tmp_path: Path) -> None:
    v = _one(_rejected(tmp_path, _set("LOAN_DUEBILL", 2, "five_class", "")), "not-null")
    assert (v.file, v.line, v.column) == (f"LOAN_DUEBILL_{YMD}.dat", 2, "five_class")


def test_varchar_length_limit(tmp_path: Path) -> None:
    v = _one(_rejected(tmp_path, _set("CUST_INFO", 2, "grid_no", "G" * 17)), "length")
    assert (v.file, v.line, v.column) == (f"CUST_INFO_{YMD}.dat", 2, "grid_no")


def test_unknown_code_is_a_violation(tmp_path: Path) -> None:
    v = _one(_rejected(tmp_path, _set("LOAN_DUEBILL", 1, "guarantee_type", "9")),
             "code-list")
    assert (v.file, v.line, v.column) == (f"LOAN_DUEBILL_{YMD}.dat", 1, "guarantee_type")
    assert "'9'" in v.message


def test_primary_key_is_unique_within_a_file(tmp_path: Path) -> None:
    v = _one(_rejected(tmp_path, _set("DEP_TXN", 2, "txn_id", "T001")), "duplicate-key")
    assert (v.file, v.line) == (f"DEP_TXN_{YMD}.dat", 2) and "line 1" in v.message


def test_composite_key_of_gl_bal(tmp_path: Path) -> None:
    def dup(rows: Rows) -> None:
        rows["GL_BAL"].append(["B001", "20110101", "CNY", "0.00"])
    assert _one(_rejected(tmp_path, dup), "duplicate-key").line == 5


@pytest.mark.parametrize(("table", "line", "column", "value", "rule"), [
    ("DEP_ACCT", 1, "balance", "-0.01", "range"),
    ("LOAN_DUEBILL", 2, "balance", "-1", "range"),
    ("DEP_TXN", 1, "amount", "0.00", "range"),
    ("LOAN_REPAY", 1, "txn_date", "20250130", "business-date"),
    ("DEP_TXN", 2, "txn_time", "20250201000000", "business-date"),
    ("VISIT_LOG", 2, "visit_time", "20250130235959", "business-date"),
])
def test_record_rules(tmp_path: Path, table: str, line: int, column: str, value: str,
                      rule: str) -> None:
    violations = _rejected(tmp_path, _set(table, line, column, value))
    v = next(x for x in violations if x.rule == rule)
    assert (v.file, v.line, v.column) == (f"{table}_{YMD}.dat", line, column)


# --- references and §5 reconciliation ----------------------------------------------------

def test_account_org_must_exist(tmp_path: Path) -> None:
    # the GL still balances: W002 belongs to no legal entity, so its balance is also
    # missing from the B001 sums, which the reconciliation reports too
    v = _one(_rejected(tmp_path, _set("DEP_ACCT", 2, "org_no", "W002")), "reference")
    assert (v.file, v.line, v.column) == (f"DEP_ACCT_{YMD}.dat", 2, "org_no")


def test_loan_customer_must_exist(tmp_path: Path) -> None:
    v = _one(_rejected(tmp_path, _set("LOAN_DUEBILL", 1, "cust_no", "C999")), "reference")
    assert (v.file, v.line, v.column) == (f"LOAN_DUEBILL_{YMD}.dat", 1, "cust_no")


def test_gl_balance_must_equal_account_sums(tmp_path: Path) -> None:
    v = _one(_rejected(tmp_path, _set("GL_BAL", 4, "balance", "80100.00")),
             "gl-reconciliation")
    assert (v.file, v.line) == (f"GL_BAL_{YMD}.dat", 4)
    assert "80100.00" in v.message and "80000.00" in v.message


def test_settled_loans_are_not_in_the_gl(tmp_path: Path) -> None:
    # L002 is settled (status 2) with balance 0.00; a GL row for its subject must be 0
    def gl(rows: Rows) -> None:
        rows["GL_BAL"].append(["B001", "13030201", "CNY", "0.01"])
    v = _one(_rejected(tmp_path, gl), "gl-reconciliation")
    assert v.line == 5


def test_line_numbers_stay_exact_in_a_big_file(tmp_path: Path) -> None:
    # DuckDB reads big files with several threads; the staging relies on insertion
    # order so that rowid + 1 is the line number. 300k lines span many read chunks.
    n, bad_line = 300_000, 299_998

    def many_txns(rows: Rows) -> None:
        rows["DEP_TXN"] = [[f"T{i:09d}", "A001", YMD + "120000", "1.00", "C", "1"]
                           for i in range(1, n + 1)]
        rows["DEP_TXN"][bad_line - 1][3] = "1.001"
    v = _one(_rejected(tmp_path, many_txns), "type")
    assert (v.file, v.line, v.column, v.count) == (f"DEP_TXN_{YMD}.dat", bad_line, "amount", 1)


def test_independent_hand_delivery_loads(tmp_path: Path) -> None:
    # tests/fixtures/deliveries/hand is written against the spec alone by another hand
    from tests.fixtures.deliveries.hand import DATES, build

    build(tmp_path / "landing")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for delivery in find_deliveries(tmp_path / "landing"):
        ingest_delivery(con, delivery, _opts(tmp_path), say=lambda _: None)
    assert [r[0] for r in con.execute("SELECT biz_date FROM meta.delivery ORDER BY 1")
            .fetchall()] == list(DATES)
    for d in DATES:
        folder = tmp_path / "landing" / d.strftime(contract.DATE_FORMAT)
        for t in contract.TABLES:
            rows = int((folder / contract.control_file_name(t.name, d.strftime("%Y%m%d")))
                       .read_text().split("|")[1])
            got = con.execute(f"SELECT count(*) FROM raw.{t.raw_table} WHERE biz_date = ?",
                              [d]).fetchone()
            assert got == (rows,), (d, t.name)


def test_backfill_two_days_before_the_first_loaded_date(tmp_path: Path) -> None:
    # plan.wait_reason: a back-fill loads when every day up to the first loaded date
    # is delivered; the loader itself must agree with the plan
    landing = tmp_path / "landing"
    first, d1, d2 = date(2025, 2, 3), date(2025, 2, 1), date(2025, 2, 2)
    for d in (first, d1, d2):
        write_delivery(landing, d)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_delivery(con, Delivery(first, landing / "20250203"), _opts(tmp_path),
                    say=lambda _: None)
    ingest_delivery(con, Delivery(d1, landing / "20250201"), _opts(tmp_path),
                    say=lambda _: None)
    ingest_delivery(con, Delivery(d2, landing / "20250202"), _opts(tmp_path),
                    say=lambda _: None)
    assert con.execute("SELECT biz_date FROM meta.delivery ORDER BY 1").fetchall() == [
        (d1,), (d2,), (first,)]
    flags = con.execute("SELECT bool_and(needs_rebuild) FROM meta.delivery").fetchone()
    assert flags == (True,)


def test_date_after_a_gap_waits(tmp_path: Path) -> None:
    from dagster_project.ingest.service import DeliveryWaits

    landing = tmp_path / "landing"
    for d in (date(2025, 2, 1), date(2025, 2, 3)):
        write_delivery(landing, d)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_delivery(con, Delivery(date(2025, 2, 1), landing / "20250201"), _opts(tmp_path),
                    say=lambda _: None)
    with pytest.raises(DeliveryWaits, match="2025-02-02"):
        ingest_delivery(con, Delivery(date(2025, 2, 3), landing / "20250203"),
                        _opts(tmp_path), say=lambda _: None)


def test_coded_integer_column_reports_the_code_list(tmp_path: Path) -> None:
    # org_level is INT with codes 1-4 (§4 ORG_INFO): '5' and '04' break the code list
    v = _one(_rejected(tmp_path, _set("ORG_INFO", 4, "org_level", "04")), "code-list")
    assert (v.file, v.line, v.column) == (f"ORG_INFO_{YMD}.dat", 4, "org_level")


# --- the overlapped path big deliveries take (scans in worker processes) -----------------

def _pooled(tmp_path: Path) -> IngestOptions:
    opts = _opts(tmp_path)
    opts.parallel_min_bytes = 0  # the hand delivery is tiny: force the worker pool
    return opts


def test_pooled_scan_loads_the_same_rows_as_the_serial_one(tmp_path: Path) -> None:
    write_delivery(tmp_path / "landing", D, sample_tables(D))
    folder = tmp_path / "landing" / YMD
    serial = duckdb.connect(str(tmp_path / "serial.duckdb"))
    pooled = duckdb.connect(str(tmp_path / "pooled.duckdb"))
    ingest_delivery(serial, Delivery(D, folder), _opts(tmp_path), say=lambda _: None)
    ingest_delivery(pooled, Delivery(D, folder), _pooled(tmp_path), say=lambda _: None)
    for t in contract.TABLES:
        q = f"SELECT * FROM raw.{t.raw_table} ORDER BY ALL"
        assert pooled.execute(q).fetchall() == serial.execute(q).fetchall(), t.name


def test_pooled_scan_reports_every_bad_file_in_contract_order(tmp_path: Path) -> None:
    # two files broken in their bytes (reported alone, §2) and one in a record, which
    # is not reported: a file whose bytes are wrong makes the rest of the check moot
    rows = sample_tables(D)
    rows["LOAN_DUEBILL"][0][contract.TABLES_BY_NAME["LOAN_DUEBILL"].column_names.index(
        "guarantee_type")] = "9"
    write_delivery(tmp_path / "landing", D, rows, raw={
        "CUST_INFO": encode_rows(rows["CUST_INFO"]).replace("王小二".encode("gb18030"),
                                                            b"\xff\xff", 1),
        "GRID": encode_rows(rows["GRID"]).replace(b"\n", b"\r\n")})
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(D, tmp_path / "landing" / YMD), _pooled(tmp_path),
                        say=lambda _: None)
    got = [(v.file, v.rule, v.line) for v in exc.value.violations]
    order = [contract.data_file_name(t, YMD) for t in contract.TABLE_NAMES]
    assert got == sorted(got, key=lambda g: order.index(g[0]))
    assert (f"CUST_INFO_{YMD}.dat", "encoding", 3) in got
    assert (f"GRID_{YMD}.dat", "record-separator", 1) in got
    assert not [g for g in got if g[1] == "code-list"]
    for t in contract.TABLES:
        assert con.execute(f"SELECT count(*) FROM raw.{t.raw_table}").fetchone() == (0,)


def test_pooled_scan_reports_record_rules_of_several_files(tmp_path: Path) -> None:
    def two(rows: Rows) -> None:
        _set("LOAN_DUEBILL", 1, "guarantee_type", "9")(rows)
        _set("CUST_INFO", 2, "grid_no", "G" * 17)(rows)
    rows = sample_tables(D)
    two(rows)
    write_delivery(tmp_path / "landing", D, rows)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(D, tmp_path / "landing" / YMD), _pooled(tmp_path),
                        say=lambda _: None)
    got = [(v.file, v.rule, v.line, v.column) for v in exc.value.violations]
    assert got == [(f"CUST_INFO_{YMD}.dat", "length", 2, "grid_no"),
                   (f"LOAN_DUEBILL_{YMD}.dat", "code-list", 1, "guarantee_type")]
