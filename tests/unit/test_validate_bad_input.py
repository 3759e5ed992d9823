"""The loose ends of bad input (issue 12): NUL bytes, oversize fields, symlinks.

Each case lands a good delivery first, then the next date broken one way. The broken
date must be rejected naming file, line and rule, moved to a private quarantine, and
leave the warehouse exactly as the good date left it (every raw row, meta.delivery).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project import contract
from dagster_project.ingest.delivery import Delivery
from dagster_project.ingest.errors import DeliveryRejected, Violation
from dagster_project.ingest.rules import TEXT_DEFAULT_MAX_CHARS, TEXT_MAX_CHARS, max_chars
from dagster_project.ingest.sample import Rows, encode_rows, sample_tables, write_delivery
from dagster_project.ingest.service import IngestOptions, ingest_delivery

GOOD, BAD = date(2025, 1, 31), date(2025, 2, 1)
BAD_YMD = "20250201"


def _opts(tmp_path: Path) -> IngestOptions:
    return IngestOptions(quarantine_dir=tmp_path / "quarantine", tmp_dir=tmp_path / "tmp",
                         pii_key=b"test-key")


def _warehouse_digest(con: duckdb.DuckDBPyConnection) -> str:
    """Every raw row and every meta.delivery row, in a stable order, hashed."""
    h = hashlib.sha256()
    for t in contract.TABLES:
        for row in con.execute(f"SELECT * FROM raw.{t.raw_table} ORDER BY ALL").fetchall():
            h.update(repr(row).encode())
    for row in con.execute("SELECT biz_date, fingerprint FROM meta.delivery "
                           "ORDER BY ALL").fetchall():
        h.update(repr(row).encode())
    return h.hexdigest()


def _reject_second_date(tmp_path: Path, mutate: Callable[[Rows], None] | None = None,
                        raw: dict[str, bytes] | None = None,
                        tamper: Callable[[Path], None] | None = None) -> list[Violation]:
    landing = tmp_path / "landing"
    write_delivery(landing, GOOD)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_delivery(con, Delivery(GOOD, landing / "20250131"), _opts(tmp_path),
                    say=lambda _: None)
    before = _warehouse_digest(con)
    rows = sample_tables(BAD)
    if mutate:
        mutate(rows)
    folder = write_delivery(landing, BAD, rows, raw=raw)
    if tamper:
        tamper(folder)
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(BAD, landing / BAD_YMD), _opts(tmp_path),
                        say=lambda _: None)
    assert _warehouse_digest(con) == before, "a rejected delivery changed the warehouse"
    assert con.execute("SELECT count(*) FROM raw.cust_info WHERE biz_date = ?",
                       [BAD]).fetchone() == (0,)
    con.close()
    # moved aside, with the report, into a folder only the owner can open (clear PII)
    assert not (landing / BAD_YMD).exists()
    qdir = next(p for p in (tmp_path / "quarantine").iterdir() if p.name.startswith(BAD_YMD))
    assert stat.S_IMODE((tmp_path / "quarantine").stat().st_mode) == 0o700
    assert stat.S_IMODE(qdir.stat().st_mode) == 0o700
    report = (qdir / "REJECTED.txt").read_text(encoding="utf-8")
    for v in exc.value.violations:
        assert str(v) in report
    return exc.value.violations


def _only(violations: list[Violation], rule: str) -> Violation:
    assert [v.rule for v in violations] == [rule], violations
    return violations[0]


def _set(table: str, line: int, column: str, value: str) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[table][line - 1][contract.TABLES_BY_NAME[table].column_names.index(column)] = value
    return mutate


# --- NUL ---------------------------------------------------------------------------------

def test_a_nul_byte_inside_a_name_is_rejected_with_its_line(tmp_path: Path) -> None:
    """The probe's cust_name '兰考县彩\\x00虹信息有限公司': DuckDB's read_csv loads it."""
    v = _only(_reject_second_date(tmp_path, _set("CUST_INFO", 2, "cust_name",
                                                 "兰考县彩\x00虹信息有限公司")), "nul-byte")
    assert (v.file, v.line) == (f"CUST_INFO_{BAD_YMD}.dat", 2)
    assert "兰考" not in str(v)  # the value (PII for cust_type 1 and 3) is never shown


def test_a_nul_byte_in_an_ascii_file_is_rejected_too(tmp_path: Path) -> None:
    data = encode_rows(sample_tables(BAD)["FX_RATE"]).replace(b"USD", b"US\x00", 1)
    v = _only(_reject_second_date(tmp_path, raw={"FX_RATE": data}), "nul-byte")
    assert (v.file, v.line) == (f"FX_RATE_{BAD_YMD}.dat", 2)


# --- lengths -----------------------------------------------------------------------------

def test_a_four_million_character_name_is_rejected_by_the_free_text_cap(
        tmp_path: Path) -> None:
    v = _only(_reject_second_date(tmp_path, _set("CUST_INFO", 3, "cust_name", "彩" * 4_000_000)),
              "length")
    assert (v.file, v.line, v.column) == (f"CUST_INFO_{BAD_YMD}.dat", 3, "cust_name")
    assert "longer than 200 characters" in v.message


def test_a_note_at_its_cap_loads_and_one_more_character_is_rejected(tmp_path: Path) -> None:
    cap = TEXT_MAX_CHARS[("VISIT_LOG", "note")]
    landing = tmp_path / "ok"
    rows = sample_tables(GOOD)
    _set("VISIT_LOG", 1, "note", "访" * cap)(rows)
    write_delivery(landing, GOOD, rows)
    con = duckdb.connect(str(tmp_path / "ok.duckdb"))
    ingest_delivery(con, Delivery(GOOD, landing / "20250131"), _opts(tmp_path),
                    say=lambda _: None)
    assert con.execute("SELECT max(length(note)) FROM raw.visit_log").fetchone() == (cap,)
    con.close()
    v = _only(_reject_second_date(tmp_path, _set("VISIT_LOG", 1, "note", "访" * (cap + 1))),
              "length")
    assert (v.line, v.column) == (1, "note") and f"longer than {cap}" in v.message


def test_varchar_n_columns_are_held_at_n_characters_not_bytes(tmp_path: Path) -> None:
    # §4 grid_no VARCHAR(16): 16 Chinese characters are 32 GB18030 bytes and still fit
    v = _only(_reject_second_date(tmp_path, _set("CUST_INFO", 1, "grid_no", "网" * 17)),
              "length")
    assert (v.column, v.line) == ("grid_no", 1) and "VARCHAR(16)" in v.message


def test_every_text_column_of_the_contract_has_a_limit() -> None:
    for t in contract.TABLES:
        for col in t.columns:
            if col.type in ("varchar", "char"):
                assert max_chars(t, col) is not None, (t.name, col.name)
    assert all(n <= 1000 for n in TEXT_MAX_CHARS.values()) and TEXT_DEFAULT_MAX_CHARS <= 1000
    unbounded = {(t.name, c.name) for t in contract.TABLES for c in t.columns
                 if c.type in ("varchar", "char") and c.length is None}
    assert set(TEXT_MAX_CHARS) == unbounded  # each free-text column has its stated cap


def test_extract_contract_doc_states_each_free_text_cap() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "extract-contract.md").read_text(
        encoding="utf-8")
    for (table, column), cap in TEXT_MAX_CHARS.items():
        assert f"| {table} | {column} | {cap} |" in doc, (table, column, cap)


# --- symlinks and other non-files --------------------------------------------------------

def _link_data_file(target: Path) -> Callable[[Path], None]:
    def tamper(folder: Path) -> None:
        name = contract.data_file_name("GRID", BAD_YMD)
        (folder / name).unlink()
        os.symlink(target, folder / name)
    return tamper


def test_a_data_file_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside.dat"
    secret.write_bytes(encode_rows(sample_tables(BAD)["GRID"]))  # even a well-formed one
    v = _only(_reject_second_date(tmp_path, tamper=_link_data_file(secret)), "symlink")
    assert v.file == f"GRID_{BAD_YMD}.dat"
    assert secret.exists()  # the link moved to quarantine, never its target


def test_a_control_file_linked_to_a_host_file_is_refused(tmp_path: Path) -> None:
    def tamper(folder: Path) -> None:
        name = contract.control_file_name("FX_RATE", BAD_YMD)
        (folder / name).unlink()
        os.symlink("/etc/passwd", folder / name)
    v = _only(_reject_second_date(tmp_path, tamper=tamper), "symlink")
    assert v.file == f"FX_RATE_{BAD_YMD}.flg"


def test_a_fifo_in_place_of_a_data_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    def tamper(folder: Path) -> None:
        name = contract.data_file_name("GRID", BAD_YMD)
        (folder / name).unlink()
        os.mkfifo(folder / name)  # reading it would block for ever
    v = _only(_reject_second_date(tmp_path, tamper=tamper), "not-a-file")
    assert v.file == f"GRID_{BAD_YMD}.dat"


def test_a_date_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"

    def tamper(folder: Path) -> None:
        folder.rename(elsewhere)
        os.symlink(elsewhere, folder)
    v = _only(_reject_second_date(tmp_path, tamper=tamper), "symlink")
    assert v.file == BAD_YMD
    # the report went into the quarantine, not into the folder the link pointed to
    assert not (elsewhere / "REJECTED.txt").exists()
