"""customer-ops.md §6, the blacklist file (黑名单补录): real files, real parsing, real
DuckDB warehouses in tmp_path.

- ID numbers: GB 11643 check digit or GB 32100 check character, worked by hand below;
- a good file (CSV UTF-8, with BOM, GB18030 with a 4-byte character, XLSX) becomes one
  version, IDs keyed-hashed and names masked; old versions are kept with who and when;
- a bad file is rejected whole, with file, row and rule, and the manual tables are
  byte-for-byte what they were; no message, log or table holds an ID or a name in clear;
- the first date a new version changes, by hand.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from dagster_project.ingest.pii import hmac_hex
from dagster_project.manual import ids
from dagster_project.manual.blacklist import BlacklistRejected, read_blacklist
from dagster_project.manual.rebuild import first_changed_date
from dagster_project.manual.service import load_file, versions
from dagster_project.settings import Settings

KEY = "unit-test-pii-key"
HEADER = "证件号码,姓名,列入原因,列入日期,移出日期"


def resident(body: str) -> str:
    """A resident ID with its check digit (the digit itself is tested by hand below)."""
    return body + ids.resident_id_check(body)


ID_A = resident("32128319800101000")
ID_B = resident("32128319850505000")
ID_C = resident("44052418800101001")
ORG = "91350100M000100Y43"  # GB 32100's published example, worked by hand below
ID_X = "11010519491231002X"  # GB 11643's example, check digit X (worked below)
# ID_B with a wrong check digit. An 18-digit string is also read as a credit code, and
# 1 in 31 wrong digits makes a valid one (the contract accepts either kind): skip those.
WRONG_B = next(ID_B[:-1] + d for d in "0123456789"
               if d != ID_B[-1] and not ids.is_credit_code(ID_B[:-1] + d))
NAMES = ("张三丰", "李四光", "𠮷田花子", "泰兴市某某科技有限公司", "王小五")
IDS = (ID_A, ID_B, ID_C, ORG, ID_X)


def csv_bytes(rows: list[str], encoding: str = "utf-8", header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


GOOD_ROWS = [
    f"{ID_A},{NAMES[0]},法院失信被执行人,2025-01-01,",
    f"{ID_B},{NAMES[1]},电信诈骗,2025-03-15,2025-12-31",
    f"{ORG},{NAMES[3]},联社风险预警,2024-07-01,",
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", pii_key=KEY)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def manual_tables(s: Settings) -> dict[str, list]:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    try:
        return {t: sorted(map(repr, con.execute(f"SELECT * FROM manual.{t}").fetchall()))
                for t in ("blacklist_version", "blacklist_entry", "blacklist_current")}
    finally:
        con.close()


def query(s: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(s.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_no_clear_pii(*texts: str) -> None:
    for text in texts:
        for secret in (*IDS, ID_X.lower(), WRONG_B, *NAMES):
            assert secret not in text, "an ID number or a name in clear"


# --- ID numbers ------------------------------------------------------------------------

def test_gb11643_check_digit_worked_by_hand() -> None:
    """11010519491231002X: Σ digit × weight (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2)
    = 7+9+0+5+0+20+2+9+24+27+7+18+30+5+0+0+4 = 167; 167 mod 11 = 2; "10X98765432"[2] = X."""
    assert ids.resident_id_check("11010519491231002") == "X"
    assert ids.is_resident_id("11010519491231002X")
    assert ids.is_resident_id("440524188001010014")  # the standard's other example
    assert not ids.is_resident_id("110105194912310021")
    assert ids.id_problem("110105194912310021").startswith("wrong check digit")


def test_gb32100_check_character_worked_by_hand() -> None:
    """91350100M000100Y43: values 9 1 3 5 0 1 0 0 M=21 0 0 0 1 0 0 Y=30 4, weights
    1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28: Σ = 9+3+27+135+26+420+8+900+112 = 1640;
    1640 mod 31 = 28; 31 − 28 = 3."""
    assert ids.credit_code_check("91350100M000100Y4") == "3"
    assert ids.is_credit_code("91350100M000100Y43")
    assert ids.is_credit_code("91110000802100433B")
    assert ids.id_problem("91350100M000100Y44").startswith("wrong check character")


def test_a_lower_case_x_is_accepted_and_hashed_as_upper_case(settings: Settings,
                                                              tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", csv_bytes([f"{ID_X.lower()},{NAMES[4]},失信,2025-01-01,"]))
    load_file(settings, path, by="E1024", say=lambda _m: None)
    (h,) = query(settings, "SELECT id_no_hash FROM manual.blacklist_current")[0]
    assert h == hmac_hex(KEY.encode(), ID_X)  # CUST_INFO holds the standard's upper case


def test_eighteen_digits_that_make_a_credit_code_pass_as_one() -> None:
    """§6 accepts a valid GB 11643 ID *or* a valid credit code, and digits are credit-code
    characters: 321283198505050000 fails GB 11643 (its digit is 8) but its GB 32100 check
    character is 0. About 1 in 31 mistyped check digits slip through so (docs/customer-ops.md)."""
    assert ids.resident_id_check("32128319850505000") == "8"
    assert ids.is_credit_code("321283198505050000")
    assert ids.id_problem("321283198505050000") is None


def test_ids_of_other_lengths_or_characters_are_named_not_quoted() -> None:
    assert ids.id_problem("1101051949123100") == "has 16 characters, not 18"
    assert ids.id_problem("") == "is empty"
    assert "holds characters" in ids.id_problem("11010519491231002-")


# --- good files ------------------------------------------------------------------------

def stored_entries(s: Settings) -> list[tuple]:
    """The version in force's entries, with the row they came from."""
    return query(s, "SELECT line_no, id_no_hash, name_masked, reason, listed_date, "
                    "removed_date FROM manual.blacklist_entry WHERE version_id = "
                    "(SELECT max(version_id) FROM manual.blacklist_version) ORDER BY line_no")


def expected_entries() -> list[tuple]:
    k = KEY.encode()
    return [(2, hmac_hex(k, ID_A), "张*", "法院失信被执行人", date(2025, 1, 1), None),
            (3, hmac_hex(k, ID_B), "李*", "电信诈骗", date(2025, 3, 15), date(2025, 12, 31)),
            (4, hmac_hex(k, ORG), "泰*", "联社风险预警", date(2024, 7, 1), None)]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_a_good_csv_becomes_version_1_with_hashed_ids_and_masked_names(
        settings: Settings, tmp_path: Path, encoding: str) -> None:
    said: list[str] = []
    path = write(tmp_path, "黑名单.csv", csv_bytes(GOOD_ROWS, encoding))
    result = load_file(settings, path, by="E1024", say=said.append)
    assert result.version_id == 1 and result.entries == 3
    assert read_blacklist(path).encoding == encoding
    assert stored_entries(settings) == expected_entries()
    (v,) = query(settings, "SELECT version_id, loaded_by, file_name, file_sha256, entry_cnt, "
                           "changes_from, rebuild_from FROM manual.blacklist_version")
    import hashlib
    assert v == (1, "E1024", "黑名单.csv", hashlib.sha256(path.read_bytes()).hexdigest(), 3,
                 date(2024, 7, 1), None)
    assert said[0] == "黑名单.csv: stored as version 1 (3 entries), now in force"
    assert_no_clear_pii(*said)


def test_gb18030_keeps_a_four_byte_character_of_a_name(settings: Settings,
                                                        tmp_path: Path) -> None:
    """𠮷 (U+20BB7) is outside the BMP: GB18030 writes it in four bytes."""
    data = csv_bytes([f"{ID_C},{NAMES[2]},骗贷,2025-02-01,2025-02-02"], "gb18030")
    assert "𠮷".encode("gb18030") in data and len("𠮷".encode("gb18030")) == 4
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    load_file(settings, write(tmp_path, "gb.csv", data), say=lambda _m: None)
    assert query(settings, "SELECT name_masked, reason FROM manual.blacklist_current") == [
        ("𠮷*", "骗贷")]


def test_a_good_xlsx_is_read_from_its_first_sheet(settings: Settings, tmp_path: Path) -> None:
    """Written with openpyxl as a bank clerk's Excel would: text IDs, a date cell and a
    text date, columns in another order, and a formatted empty row at the end."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "证件号码", "列入原因", "列入日期", "移出日期"])
    ws.append([NAMES[0], ID_A, "法院失信被执行人", datetime(2025, 1, 1), None])
    ws.append([NAMES[1], ID_B, "电信诈骗", "2025-03-15", "2025-12-31"])
    ws.append([NAMES[3], ORG, "联社风险预警", "2024-07-01", ""])
    ws.append([None, None, None, None, None])
    path = tmp_path / "黑名单.xlsx"
    wb.save(path)
    assert read_blacklist(path).encoding == "xlsx"
    load_file(settings, path, say=lambda _m: None)
    assert stored_entries(settings) == expected_entries()


def test_an_xlsx_id_in_a_number_cell_is_rejected_with_its_excel_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["证件号码", "姓名", "列入原因", "列入日期", "移出日期"])
    ws.append([ID_A, NAMES[0], "失信", "2025-01-01", None])
    ws.append([int(ID_B), NAMES[1], "失信", "2025-01-01", None])  # Excel: 15 digits kept
    path = tmp_path / "num.xlsx"
    wb.save(path)
    with pytest.raises(BlacklistRejected) as e:
        read_blacklist(path)
    assert e.value.lines() == ["num.xlsx: row 3: 证件号码: is a number cell (Excel keeps 15 "
                               "digits of a number): enter the ID as text"]


# --- bad files: rejected whole, the warehouse unchanged ---------------------------------

FAULTS: dict[str, tuple[bytes, list[str]]] = {
    "bad check digit": (
        csv_bytes([GOOD_ROWS[0], f"{WRONG_B},{NAMES[1]},诈骗,2025-01-01,"]),
        ["bad.csv: row 3: 证件号码: wrong check digit (neither a GB 11643 resident ID nor a "
         "GB 32100 unified social credit code)"]),
    "duplicate": (
        csv_bytes([GOOD_ROWS[0], GOOD_ROWS[2], f"{ID_A.lower()},{NAMES[0]},重复,2025-05-01,"]),
        ["bad.csv: row 4: 证件号码: duplicate: the same ID as row 2"]),
    "bad date": (
        csv_bytes([f"{ID_A},{NAMES[0]},失信,2025-02-30,", f"{ID_B},{NAMES[1]},失信,2025/03/01,",
                   f"{ID_C},{NAMES[2]},失信,2025-03-01,20251231"]),
        ["bad.csv: row 2: 列入日期: not a valid calendar date (YYYY-MM-DD)",
         "bad.csv: row 3: 列入日期: not a date in the form YYYY-MM-DD",
         "bad.csv: row 4: 移出日期: not a date in the form YYYY-MM-DD"]),
    "removal before listing": (
        csv_bytes([f"{ID_A},{NAMES[0]},失信,2025-03-01,2025-02-28"]),
        ["bad.csv: row 2: 移出日期: must be after 列入日期 (earlier)"]),
    "removal on the listing day": (
        csv_bytes([GOOD_ROWS[0], f"{ID_B},{NAMES[1]},失信,2025-03-01,2025-03-01"]),
        ["bad.csv: row 3: 移出日期: must be after 列入日期 (the same day)"]),
    "wrong encoding": (
        csv_bytes(GOOD_ROWS, "utf-16"),  # Excel's "Unicode text": BOM FF FE
        ["bad.csv: row 1: wrong encoding: neither UTF-8 (first bad byte on row 1) nor "
         "GB18030 (first bad byte on this row); save the file as CSV UTF-8 or GB18030"]),
    "empty file": (b"", ["bad.csv: the file is empty"]),
    "no data rows": (csv_bytes([]) + b"\n,,,,\n",
                     ["bad.csv: no data rows (an empty blacklist is not a file to load)"]),
    "unknown column": (
        csv_bytes(GOOD_ROWS, header=HEADER + ",备注"),
        ["bad.csv: row 1: column F is not one of 证件号码, 姓名, 列入原因, 列入日期, 移出日期 "
         "(unknown column)"]),
    "missing column": (
        csv_bytes([r.rsplit(",", 1)[0] for r in GOOD_ROWS], header=HEADER.rsplit(",", 1)[0]),
        ["bad.csv: row 1: no column 移出日期 (missing column)"]),
    "no header row": (
        ("\n".join(GOOD_ROWS) + "\n").encode(),  # the first row's ID must not be echoed
        [f"bad.csv: row 1: column {c} is not one of 证件号码, 姓名, 列入原因, 列入日期, 移出日期 "
         "(unknown column)" for c in "ABCD"]
        + ["bad.csv: row 1: column E has values but no name"]
        + [f"bad.csv: row 1: no column {c} (missing column)" for c in
           ("证件号码", "姓名", "列入原因", "列入日期", "移出日期")]),
    "empty required cells": (
        csv_bytes([f",{NAMES[0]},失信,2025-01-01,", f"{ID_B},,,,"]),
        ["bad.csv: row 2: 证件号码: is empty", "bad.csv: row 3: 姓名: is empty",
         "bad.csv: row 3: 列入原因: is empty", "bad.csv: row 3: 列入日期: is empty"]),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_bad_file_is_rejected_whole_and_the_blacklist_stays_what_it_was(
        settings: Settings, tmp_path: Path, fault: str,
        caplog: pytest.LogCaptureFixture) -> None:
    load_file(settings, write(tmp_path, "good.csv", csv_bytes(GOOD_ROWS)), by="E1024",
              say=lambda _m: None)
    before = manual_tables(settings)
    data, expected = FAULTS[fault]
    said: list[str] = []
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BlacklistRejected) as e:
        load_file(settings, write(tmp_path, "bad.csv", data), by="E1025", say=said.append)
    assert e.value.lines() == expected
    assert manual_tables(settings) == before
    assert said == []
    assert_no_clear_pii(str(e.value), e.value.report(), caplog.text)


def test_every_violation_of_the_file_is_reported_with_its_row(tmp_path: Path) -> None:
    data = csv_bytes([
        GOOD_ROWS[0],
        f"{WRONG_B},{NAMES[1]},诈骗,2025-01-01,",
        f"{ID_C},{NAMES[2]},骗贷,2025-13-01,",
        "",  # a blank line is skipped but still counted, as an editor numbers it
        f"{ID_A},{NAMES[0]},失信,2025-01-01,2024-01-01",
    ])
    with pytest.raises(BlacklistRejected) as e:
        read_blacklist(write(tmp_path, "many.csv", data))
    assert [(v.row, v.column) for v in e.value.violations] == [
        (3, "证件号码"), (4, "列入日期"), (6, "证件号码"), (6, "移出日期")]
    assert e.value.lines()[2] == "many.csv: row 6: 证件号码: duplicate: the same ID as row 2"


def test_a_quoted_field_over_two_lines_keeps_the_editor_s_row_numbers(tmp_path: Path) -> None:
    data = csv_bytes([f'{ID_A},{NAMES[0]},"失信\n被执行人",2025-01-01,',
                      f"{ID_B},{NAMES[1]},诈骗,2025-02-30,"])
    with pytest.raises(BlacklistRejected) as e:
        read_blacklist(write(tmp_path, "multi.csv", data))
    assert [v.row for v in e.value.violations] == [4]


def test_a_file_that_is_neither_csv_nor_xlsx_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(BlacklistRejected) as e:
        read_blacklist(write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0"))
    assert e.value.lines() == ["old.xls: not a CSV or XLSX file (.xls)"]


# --- versions ---------------------------------------------------------------------------

def test_versions_keep_who_loaded_them_and_when_and_an_identical_file_stores_nothing(
        settings: Settings, tmp_path: Path) -> None:
    first = write(tmp_path, "v1.csv", csv_bytes(GOOD_ROWS))
    second = write(tmp_path, "v2.csv", csv_bytes(GOOD_ROWS[:2]))
    load_file(settings, first, by="E1024", say=lambda _m: None)
    load_file(settings, second, by="E2048", say=lambda _m: None)
    said: list[str] = []
    again = load_file(settings, second, by="E4096", say=said.append)
    assert not again.stored and again.in_force_id == 2
    assert said == ["v2.csv: identical to version 2, the one in force: nothing stored"]
    # rolling back is loading the older file again: a third version, equal to the first
    load_file(settings, first, by="E1024", say=lambda _m: None)
    rows = versions(settings)
    assert [(v.version_id, v.loaded_by, v.file_name, v.entry_cnt, v.in_force) for v in rows] == [
        (1, "E1024", "v1.csv", 3, False), (2, "E2048", "v2.csv", 2, False),
        (3, "E1024", "v1.csv", 3, True)]
    # Beijing wall-clock time; this machine's zone may differ, so only the order is checked
    assert rows[0].loaded_at <= rows[1].loaded_at <= rows[2].loaded_at
    assert (rows[2].loaded_at - rows[0].loaded_at).total_seconds() < 600
    # removing ORG in v2 changed the list from ORG's listing date; v3 restores it
    assert [v.changes_from for v in rows] == [date(2024, 7, 1)] * 3
    # every version's entries are kept; the view shows the latest one's
    assert query(settings, "SELECT version_id, count(*) FROM manual.blacklist_entry "
                           "GROUP BY 1 ORDER BY 1") == [(1, 3), (2, 2), (3, 3)]
    assert stored_entries(settings) == expected_entries()


def test_the_default_loader_is_the_os_user(settings: Settings, tmp_path: Path) -> None:
    import os
    import pwd

    load_file(settings, write(tmp_path, "a.csv", csv_bytes(GOOD_ROWS)), say=lambda _m: None)
    assert versions(settings)[0].loaded_by == pwd.getpwuid(os.getuid()).pw_name


def test_no_id_number_or_name_in_clear_anywhere_in_the_warehouse(settings: Settings,
                                                                  tmp_path: Path) -> None:
    """Every text column of every table and view, and the file's bytes (IDs are ASCII)."""
    load_file(settings, write(tmp_path, "a.csv", csv_bytes(GOOD_ROWS, "gb18030")),
              say=lambda _m: None)
    load_file(settings, write(tmp_path, "b.csv", csv_bytes(
        [*GOOD_ROWS, f"{ID_X.lower()},{NAMES[4]},失信,2025-01-01,",
         f"{ID_C},{NAMES[2]},骗贷,2025-02-01,"])), say=lambda _m: None)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        cols = con.execute("SELECT table_schema, table_name, column_name FROM "
                           "information_schema.columns WHERE data_type = 'VARCHAR'").fetchall()
        assert len(cols) >= 8
        text = "\n".join(str(v) for s, t, c in cols
                         for (v,) in con.execute(f'SELECT "{c}" FROM "{s}"."{t}"').fetchall())
        con.execute("CHECKPOINT")
    finally:
        con.close()
    assert "张*" in text and "𠮷*" in text  # the masks are there, the values are not
    assert_no_clear_pii(text)
    raw = settings.warehouse_path.read_bytes()
    for secret in IDS:
        assert secret.encode() not in raw


# --- the first date a new version changes -----------------------------------------------

D = date


@pytest.mark.parametrize(("old", "new", "expected"), [
    # same entries, same dates: no date changes
    ({"a": (D(2025, 1, 1), None)}, {"a": (D(2025, 1, 1), None)}, None),
    # both empty
    ({}, {}, None),
    # the first file: from its earliest listing
    ({}, {"a": (D(2025, 3, 1), None), "b": (D(2025, 1, 5), D(2025, 2, 1))}, D(2025, 1, 5)),
    # an entry added, listed on 3 March: until then the two lists agree
    ({"a": (D(2025, 1, 1), None)},
     {"a": (D(2025, 1, 1), None), "b": (D(2025, 3, 1), None)}, D(2025, 3, 1)),
    # an entry taken off the file: it was in force from 1 Jan
    ({"a": (D(2025, 1, 1), None), "b": (D(2024, 6, 1), D(2025, 1, 1))},
     {"b": (D(2024, 6, 1), D(2025, 1, 1))}, D(2025, 1, 1)),
    # an entry that had ended before anything else changed: its listing date
    ({"a": (D(2025, 1, 1), None), "b": (D(2024, 6, 1), D(2024, 7, 1))},
     {"a": (D(2025, 1, 1), None)}, D(2024, 6, 1)),
    # a removal date set: in force before 1 June under both, not from 1 June under the new
    ({"a": (D(2025, 1, 1), None)}, {"a": (D(2025, 1, 1), D(2025, 6, 1))}, D(2025, 6, 1)),
    # the removal moved earlier, 1 June → 1 May: 1 May
    ({"a": (D(2025, 1, 1), D(2025, 6, 1))}, {"a": (D(2025, 1, 1), D(2025, 5, 1))},
     D(2025, 5, 1)),
    # the removal moved later, 1 May → 1 June: 1 May (out under the old, in under the new)
    ({"a": (D(2025, 1, 1), D(2025, 5, 1))}, {"a": (D(2025, 1, 1), D(2025, 6, 1))},
     D(2025, 5, 1)),
    # the listing moved later, 1 Jan → 1 Feb: 1 Jan
    ({"a": (D(2025, 1, 1), None)}, {"a": (D(2025, 2, 1), None)}, D(2025, 1, 1)),
    # the listing moved earlier, 1 Feb → 1 Jan: 1 Jan
    ({"a": (D(2025, 2, 1), None)}, {"a": (D(2025, 1, 1), None)}, D(2025, 1, 1)),
    # one entry's removal on 1 Sept and another added on 1 March: the earlier one
    ({"a": (D(2025, 1, 1), None)},
     {"a": (D(2025, 1, 1), D(2025, 9, 1)), "b": (D(2025, 3, 1), None)}, D(2025, 3, 1)),
    # one person replaced by another over the same dates: from that listing
    ({"a": (D(2025, 4, 1), None)}, {"b": (D(2025, 4, 1), None)}, D(2025, 4, 1)),
])
def test_first_changed_date_by_hand(old: dict, new: dict, expected: date | None) -> None:
    assert first_changed_date(old, new) == expected
    assert first_changed_date(new, old) == expected  # the same question asked backwards
