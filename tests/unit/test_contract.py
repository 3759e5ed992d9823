"""The contract module restates t1-extract-spec.md §4/§5; spot-check it against the spec."""

from dagster_project import contract


def test_thirteen_tables_in_spec_order() -> None:
    assert contract.TABLE_NAMES == (
        "ORG_INFO", "CUST_MGR", "CUST_INFO", "DEP_ACCT", "LOAN_DUEBILL", "CREDIT_LIMIT",
        "LOAN_REPAY", "DEP_TXN", "GRID", "VISIT_LOG", "INS_POLICY", "GL_BAL", "FX_RATE",
    )


def test_column_counts_match_spec_section_4() -> None:
    # counted by hand from the spec's tables
    expected = {"ORG_INFO": 8, "CUST_MGR": 7, "CUST_INFO": 19, "DEP_ACCT": 12,
                "LOAN_DUEBILL": 22, "CREDIT_LIMIT": 8, "LOAN_REPAY": 6, "DEP_TXN": 6,
                "GRID": 8, "VISIT_LOG": 13, "INS_POLICY": 14, "GL_BAL": 4, "FX_RATE": 2}
    assert {t.name: len(t.columns) for t in contract.TABLES} == expected


def test_pii_columns_are_the_ones_the_spec_marks() -> None:
    pii = {(t.name, c.name) for t in contract.TABLES for c in t.columns if c.pii}
    assert pii == {("CUST_MGR", "phone"), ("CUST_INFO", "cust_name"),
                   ("CUST_INFO", "id_no"), ("CUST_INFO", "phone")}


def test_incremental_tables() -> None:
    assert {t.name for t in contract.TABLES if t.kind == "incr"} == {
        "LOAN_REPAY", "DEP_TXN", "VISIT_LOG"}


def test_control_line_format() -> None:
    line = contract.control_line("FX_RATE_20250131.dat", 5, 120, "ABCDEF")
    assert line == "FX_RATE_20250131.dat|5|120|abcdef"
