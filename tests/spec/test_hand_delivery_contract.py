"""The hand delivery obeys t1-extract-spec.md, checked from the bytes on disk.

These checks are written from the spec, not from the builder: they reread the
files the way a receiving bank would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from dagster_project import contract
from tests.fixtures.deliveries.builder import encode_table
from tests.fixtures.deliveries.hand import DATES, build


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("hand") / "landing")


def _records(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("gb18030")
    assert "\r" not in text
    assert text == "" or text.endswith("\n")
    return [line.split("|") for line in text.split("\n")[:-1]]


def test_section1_one_folder_per_date_with_13_pairs_and_done_listing_them(
        landing: Path) -> None:
    assert sorted(p.name for p in landing.iterdir()) == ["20251231", "20260101", "20260102"]
    for d in DATES:
        biz = f"{d:%Y%m%d}"
        folder = landing / biz
        names = {p.name for p in folder.iterdir()}
        assert len(names) == 13 * 2 + 1
        done = (folder / f"DONE_{biz}.flg").read_text("ascii").splitlines()
        assert sorted(done) == sorted(f"{t}_{biz}.dat" for t in contract.TABLE_NAMES)


def test_section2_control_file_matches_rows_bytes_and_md5(landing: Path) -> None:
    for folder in landing.iterdir():
        for table in contract.TABLES:
            dat = folder / f"{table.name}_{folder.name}.dat"
            line = (folder / f"{table.name}_{folder.name}.flg").read_text("ascii")
            name, rows, size, md5 = line.strip().split("|")
            data = dat.read_bytes()
            assert name == dat.name
            assert int(rows) == data.count(b"\n") == len(_records(dat))
            assert int(size) == len(data)
            assert md5 == hashlib.md5(data).hexdigest()
            # every record has the §4 number of fields
            assert {len(r) for r in _records(dat)} <= {len(table.columns)}


def test_section2_text_is_gb18030_and_keeps_chinese(landing: Path) -> None:
    raw = (landing / "20260102" / "VISIT_LOG_20260102.dat").read_bytes()
    assert "失效保单跟进".encode("gb18030") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_section5_reconciliation_deposits_and_loans_in_status_1_equal_gl_bal(
        landing: Path) -> None:
    for folder in landing.iterdir():
        biz = folder.name
        orgs = _records(folder / f"ORG_INFO_{biz}.dat")
        legal = {o[0]: o[4] for o in orgs}
        sums: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for a in _records(folder / f"DEP_ACCT_{biz}.dat"):
            sums[(legal[a[2]], a[4], a[5])] += Decimal(a[6])
        for loan in _records(folder / f"LOAN_DUEBILL_{biz}.dat"):
            if loan[21] == "1":
                sums[(legal[loan[3]], loan[5], loan[6])] += Decimal(loan[8])
        gl = {(g[0], g[1], g[2]): Decimal(g[3]) for g in _records(folder / f"GL_BAL_{biz}.dat")}
        assert gl == dict(sums)
        assert gl[("200002", "20110201", "USD")] == Decimal({
            "20251231": "10000", "20260101": "10000", "20260102": "12000"}[biz])


def test_section4_incremental_events_are_dated_on_the_business_date(landing: Path) -> None:
    for folder in landing.iterdir():
        biz = folder.name
        assert all(r[4].startswith(biz) for r in _records(folder / f"VISIT_LOG_{biz}.dat"))
        assert all(r[2].startswith(biz) for r in _records(folder / f"DEP_TXN_{biz}.dat"))
        assert all(r[2] == biz for r in _records(folder / f"LOAN_REPAY_{biz}.dat"))


def test_builder_refuses_what_the_contract_forbids() -> None:
    fx = contract.TABLES_BY_NAME["FX_RATE"]
    with pytest.raises(ValueError, match="code list"):
        encode_table(fx, [{"ccy": "GBP", "rate_to_cny": 9}])
    with pytest.raises(ValueError, match="required"):
        encode_table(fx, [{"ccy": "USD"}])
    with pytest.raises(ValueError, match="duplicate primary key"):
        encode_table(fx, [{"ccy": "USD", "rate_to_cny": 7}, {"ccy": "USD", "rate_to_cny": 7}])
    visit = contract.TABLES_BY_NAME["VISIT_LOG"]
    with pytest.raises(ValueError, match="CR or LF"):
        encode_table(visit, [{"visit_id": "V", "mgr_no": "M", "visit_time":
                              dt.datetime(2026, 1, 2, 9), "note": "a|b"}])
    # §2 DECIMAL: plain, '.' separator, scale per type
    assert encode_table(fx, [{"ccy": "USD", "rate_to_cny": "7.1"}]) == b"USD|7.100000\n"
