"""The reference's legal-entity balances equal the union's own general ledger.

§5 reconciliation (账账核对) makes GL_BAL, per legal entity, subject and currency,
the sum of DEP_ACCT and of LOAN_DUEBILL status 1. So DEP_BAL and LOAN_BAL of each
法人行社 (level 2), and of the province, can be derived a second way: from GL_BAL
alone, converted with the same date's FX_RATE. Run on the generated ``tiny``
province (8 days across the 2025 year end).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from dagster_project import contract
from tests.reference.indicators import compute_landing


def _records(path: Path) -> list[list[str]]:
    text = path.read_bytes().decode("gb18030")
    return [line.split("|") for line in text.split("\n") if line]


def _gl_totals(folder: Path) -> dict[tuple[str, str], Decimal]:
    """(org_no, 'DEP'|'LOAN') → CNY total from GL_BAL and FX_RATE of that date; the
    level-1 org gets the sum over all legal entities."""
    biz = folder.name
    fx = {r[0]: Decimal(r[1]) for r in _records(folder / f"FX_RATE_{biz}.dat")}
    fx.setdefault("CNY", Decimal(1))
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    level1 = [r[0] for r in _records(folder / f"ORG_INFO_{biz}.dat") if r[2] == "1"]
    for org, subject, ccy, balance in _records(folder / f"GL_BAL_{biz}.dat"):
        kind = "DEP" if subject in contract.DEPOSIT_SUBJECTS else "LOAN"
        amount = Decimal(balance) * fx[ccy]
        for key in [org, *level1]:
            totals[(key, kind)] += amount
    return totals


@pytest.fixture(scope="module")
def reference(tiny_landing: Path) -> pl.DataFrame:
    return compute_landing(tiny_landing)[0]


def test_dep_bal_and_loan_bal_of_legal_entities_and_province_equal_gl_bal(
        tiny_landing: Path, reference: pl.DataFrame) -> None:
    checked = 0
    for folder in sorted(p for p in tiny_landing.iterdir() if p.is_dir()):
        day = reference.filter(pl.col("biz_date") == pl.lit(folder.name).str.to_date("%Y%m%d"))
        assert day.height > 0, f"no reference rows for {folder.name}"
        for (org, kind), total in _gl_totals(folder).items():
            code = "DEP_BAL" if kind == "DEP" else "LOAN_BAL"
            hit = day.filter((pl.col("org_no") == org) & (pl.col("indicator_code") == code))
            if hit.height == 0:  # a merged (status 0) legal entity has no published row
                continue
            assert hit["value"][0] == pytest.approx(float(total), rel=1e-9), (
                f"{folder.name} {org} {code}")
            checked += 1
    assert checked >= 8 * 2 * 2  # every date: at least one entity and the province, both codes
