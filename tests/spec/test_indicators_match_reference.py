"""The whole published store equals the reference implementation on generated data.

The session's ``tiny`` province (8 days from 2025-12-28, ``tiny_landing``) as
``puhui run`` published it (``tiny_home``): the run crosses a month end and a year
end, so 2025-12-28 has no loaded period start (changes NULL), 2026-01-01 on have
2025-12-31 loaded as year and month start, and the daily averages restart on
1 January (indicators.md, General rules). The hand delivery covers the same shape
by hand.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dagster_project.generator.api import TINY_DAYS
from tests.reference.compare import describe, diff_stores, serving_store
from tests.reference.indicators import MGR_CODES, ORG_CODES, compute_landing

DAYS = TINY_DAYS


@pytest.fixture(scope="module")
def stores(tiny_landing: Path, tiny_home: Path,
           ) -> tuple[tuple[pl.DataFrame, pl.DataFrame], tuple[pl.DataFrame, pl.DataFrame]]:
    return serving_store(tiny_home), compute_landing(tiny_landing)


@pytest.mark.slow
def test_reference_covers_every_date_org_and_code(stores) -> None:
    # guards the comparison itself: every date, every org-grain and manager-grain code
    _, (org, mgr) = stores
    assert org["biz_date"].n_unique() == DAYS
    assert set(org["indicator_code"]) == set(ORG_CODES)
    assert set(mgr["indicator_code"]) == set(MGR_CODES)


@pytest.mark.slow
def test_indicator_value_equals_reference_row_by_row(stores) -> None:
    (published, _), (reference, _) = stores
    findings = diff_stores(published, reference, "org_no")
    assert not findings, "indicator_value vs reference:\n" + describe(findings, "org_no")


@pytest.mark.slow
def test_mgr_indicator_value_equals_reference_row_by_row(stores) -> None:
    (_, published), (_, reference) = stores
    findings = diff_stores(published, reference, "mgr_no")
    assert not findings, "mgr_indicator_value vs reference:\n" + describe(findings, "mgr_no")
