"""The expectation suites and the PII hash: generated from the contract, checked by hand."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project import contract
from dagster_project.checks.suites import SUITES_DIR, build_suite, render, suite_name
from dagster_project.ingest.pii import hmac_hex, hmac_pads, hmac_sql, mask_name_sql


@pytest.mark.parametrize("table", contract.TABLES, ids=lambda t: t.name)
def test_committed_suite_is_generated_from_the_contract(table: contract.Table) -> None:
    path = SUITES_DIR / f"{suite_name(table)}.json"
    assert path.read_text(encoding="utf-8") == render(table), (
        "stale: run python -m dagster_project.checks.suites")


def test_suite_of_loan_duebill_by_hand() -> None:
    suite = build_suite(contract.TABLES_BY_NAME["LOAN_DUEBILL"])
    kinds = [(e["type"], e["kwargs"].get("column")) for e in suite["expectations"]]
    # 9 NOT NULL columns of §4 LOAN_DUEBILL as contract.py marks them
    assert sum(k == "expect_column_values_to_not_be_null" for k, _ in kinds) == 9
    assert ("expect_column_values_to_be_in_set", "five_class") in kinds
    assert ("expect_column_values_to_be_between", "balance") in kinds
    drift = suite["expectations"][-1]
    assert (drift["type"], drift["kwargs"]["column"]) == (
        "expect_column_values_to_be_between", "table_rows")
    assert drift["meta"]["blocking"] is True  # full table


def test_incremental_drift_only_warns() -> None:
    drift = build_suite(contract.TABLES_BY_NAME["DEP_TXN"])["expectations"][-1]
    assert drift["meta"]["blocking"] is False


@pytest.mark.parametrize("key", [b"k", b"x" * 64, b"long-key-" * 20])
@pytest.mark.parametrize("value", ["13812345678", "330102199001011234", "张三"])
def test_sql_hmac_equals_python_hmac(key: bytes, value: str) -> None:
    ipad, opad = hmac_pads(key)
    got = duckdb.connect().execute(f"SELECT {hmac_sql('$v')}",
                                   {"v": value, "ipad": ipad, "opad": opad}).fetchone()
    assert got == (hmac_hex(key, value),)
    # RFC 4231 test case 2, to tie hmac_hex itself to the standard
    assert hmac_hex(b"Jefe", "what do ya want for nothing?") == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")


@pytest.mark.parametrize(("name", "cust_type", "stored"), [
    ("张三丰", "1", "张*"), ("欧阳娜娜", "3", "欧*"),
    ("桃源绿茶科技有限公司", "2", "桃源绿茶科技有限公司"),
    (None, "1", None),
])
def test_personal_names_are_masked(name: str | None, cust_type: str, stored: str | None) -> None:
    got = duckdb.connect().execute(f"SELECT {mask_name_sql('$n', '$t')}",
                                   {"n": name, "t": cust_type}).fetchone()
    assert got == (stored,)
