"""A night's lines already loaded skip the record rules; the verdicts must not change.

On a warehouse that holds the day before, a full table's line identical to one loaded
then is not split or checked again (ingest/stage.py). Each case here breaks one rule
in the second day's delivery — in a changed line, through an unchanged line (a
duplicate, a vanished parent, a GL line that no longer adds up), or by tightening a
rule after the line was loaded — and loads that delivery twice: onto the day before,
and alone into an empty warehouse, where every line is checked. The rejections must be
the same, violation for violation: file, rule, line, column, count and message.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest import rules
from dagster_project.ingest.delivery import Delivery
from dagster_project.ingest.errors import DeliveryRejected, Violation
from dagster_project.ingest.sample import Rows, encode_rows, sample_tables, write_delivery
from dagster_project.ingest.service import IngestOptions, ingest_delivery

D1, D2 = date(2025, 3, 10), date(2025, 3, 11)


def _opts(home: Path) -> IngestOptions:
    return IngestOptions(quarantine_dir=home / "quarantine", tmp_dir=home / "tmp",
                         pii_key=b"k")


def _verdict(home: Path, rows: Rows, raw: dict[str, bytes] | None,
             prior: bool) -> list[Violation]:
    home.mkdir()
    con = duckdb.connect(str(home / "w.duckdb"))
    if prior:
        write_delivery(home / "landing", D1)
        ingest_delivery(con, Delivery(D1, home / "landing" / "20250310"), _opts(home),
                        say=lambda _: None)
    write_delivery(home / "landing", D2, rows, raw=raw)
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(D2, home / "landing" / "20250311"), _opts(home),
                        say=lambda _: None)
    con.close()
    return exc.value.violations


def _set(table: str, line: int, column: int, value: str) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[table][line - 1][column] = value
    return mutate


def _dup(table: str, line: int) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[table].append(list(rows[table][line - 1]))
    return mutate


def _drop(table: str, line: int) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        del rows[table][line - 1]
    return mutate


def _extra_field(table: str, line: int) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[table][line - 1].append("x")
    return mutate


CASES: dict[str, tuple[Callable[[Rows], None] | None, dict[str, bytes] | None]] = {
    # a changed line breaks a record rule
    "changed line, not a decimal": (_set("DEP_ACCT", 1, 6, "1,000.50"), None),
    "changed line, code not in the list": (_set("CUST_INFO", 1, 5, "9"), None),
    "changed line, too many fields": (_extra_field("CUST_INFO", 2), None),
    "changed line, required field empty": (_set("CREDIT_LIMIT", 1, 7, ""), None),
    # unchanged lines take part in the rules across lines
    "an unchanged line repeated: duplicate key": (_dup("DEP_ACCT", 2), None),
    "an unchanged line's org vanished: reference": (_drop("ORG_INFO", 4), None),
    "unchanged accounts, changed GL line: reconciliation": (_set("GL_BAL", 2, 3, "50000.01"),
                                                            None),
    "an empty line among unchanged ones": (None, {
        "GRID": encode_rows(sample_tables(D2)["GRID"]) + b"\n"}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_verdict_is_the_same_with_and_without_the_day_before(tmp_path: Path,
                                                                 case: str) -> None:
    mutate, raw = CASES[case]
    rows = sample_tables(D2)
    if mutate:
        mutate(rows)
    on_prior = _verdict(tmp_path / "night", rows, raw, prior=True)
    alone = _verdict(tmp_path / "alone", rows, raw, prior=False)
    assert on_prior, case
    assert on_prior == alone


def test_a_tightened_rule_checks_the_lines_loaded_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # G001 桃源村 (3 characters) is loaded on D1; an upgrade then caps grid names at 2.
    # The unchanged line must be checked against the new cap (the rules are part of
    # the fingerprint), and rejected as it would be in an empty warehouse.
    home = tmp_path / "night"
    home.mkdir()
    con = duckdb.connect(str(home / "w.duckdb"))
    write_delivery(home / "landing", D1)
    ingest_delivery(con, Delivery(D1, home / "landing" / "20250310"), _opts(home),
                    say=lambda _: None)
    monkeypatch.setitem(rules.TEXT_MAX_CHARS, ("GRID", "grid_name"), 2)
    write_delivery(home / "landing", D2)
    with pytest.raises(DeliveryRejected) as exc:
        ingest_delivery(con, Delivery(D2, home / "landing" / "20250311"), _opts(home),
                        say=lambda _: None)
    assert [(v.file, v.rule, v.line, v.column) for v in exc.value.violations] == [
        ("GRID_20250311.dat", "length", 1, "grid_name")]
    assert exc.value.violations == _verdict(tmp_path / "alone", sample_tables(D2), None,
                                            prior=False)


def test_unchanged_lines_are_not_split_again(tmp_path: Path) -> None:
    """The second day's staging holds only what changed (here: nothing in full tables)."""
    from dagster_project import contract
    from dagster_project.ingest import service

    home = tmp_path / "night"
    home.mkdir()
    con = duckdb.connect(str(home / "w.duckdb"))
    for d in (D1, D2):
        write_delivery(home / "landing", d)
    ingest_delivery(con, Delivery(D1, home / "landing" / "20250310"), _opts(home),
                    say=lambda _: None)
    staged: dict[str, tuple[int, int]] = {}
    real = service.cross_violations

    def spy(c: duckdb.DuckDBPyConnection, ymd: str) -> list[Violation]:
        for t in contract.TABLES:
            staged[t.name] = (c.execute(f"SELECT count(*) FROM stg_{t.raw_table}").fetchone()[0],
                              c.execute(f"SELECT count(*) FROM all_{t.raw_table}").fetchone()[0])
        return real(c, ymd)

    service.cross_violations = spy  # type: ignore[assignment]
    try:
        ingest_delivery(con, Delivery(D2, home / "landing" / "20250311"), _opts(home),
                        say=lambda _: None)
    finally:
        service.cross_violations = real  # type: ignore[assignment]
    rows = {t: len(r) for t, r in sample_tables(D2).items()}
    for t in contract.TABLES:
        # full tables: nothing changed, nothing split; incremental ones: every line
        split = 0 if t.kind == "full" else rows[t.name]
        assert staged[t.name] == (split, rows[t.name]), t.name
