"""Late, out-of-order and re-delivered dates (t1-extract-spec.md §1) still publish the
reference's values, through `puhui run`'s own incremental path.

Run 1 sees 2025-12-31 and 2026-01-02 (01-01 is late): only 12-31 can be
published, because "dates are loaded in order without gaps" (indicators.md,
Daily averages). Then 01-01 arrives and the union re-delivers (重发) 12-31
corrected; run 2 must publish all three dates exactly as the reference computes
them from the final landing: the corrected 12-31 is the year and month start of
both January dates, so their changes and averages move with it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fixtures.deliveries.builder import write_delivery
from tests.fixtures.deliveries.hand.data import D1, D2, D3, rows_on
from tests.reference import compare
from tests.reference.compare import describe, diff_stores, pipeline_missing, run_puhui
from tests.reference.indicators import compute_landing

NOT_PUBLISHING = ("`puhui run` does not publish serving.duckdb by itself yet; this test is "
                  "about its own incremental path, so it waits for that")


def _corrected_d1() -> dict:
    """12-31 as re-delivered: A001 was 100,000 and is 90,000 (DEP_BAL of 200001 drops
    from 888,000 to 878,000); L002 was 正常 and is 次级 (NPL_BAL 150,000 → 950,000)."""
    rows = rows_on(D1)
    for acct in rows["DEP_ACCT"]:
        if acct["acct_no"] == "A001":
            acct["balance"] = 90_000
    for loan in rows["LOAN_DUEBILL"]:
        if loan["loan_no"] == "L002":
            loan["five_class"] = "3"
    return rows


def _published(home: Path):
    import duckdb

    with duckdb.connect(str(home / "serving.duckdb"), read_only=True) as con:
        return (
            con.sql("select biz_date, org_no, indicator_code, value::double as value "
                    "from indicator_value").pl(),
            con.sql("select biz_date, mgr_no, indicator_code, value::double as value "
                    "from mgr_indicator_value").pl(),
        )


def _assert_same(home: Path, landing: Path) -> None:
    (pub_org, pub_mgr), (ref_org, ref_mgr) = _published(home), compute_landing(landing)
    org, mgr = diff_stores(pub_org, ref_org, "org_no"), diff_stores(pub_mgr, ref_mgr, "mgr_no")
    assert not org and not mgr, ("indicator_value: " + describe(org, "org_no")
                                 + "\nmgr_indicator_value: " + describe(mgr, "mgr_no"))


@pytest.mark.slow
def test_late_date_and_redelivery_publish_the_reference_values(tmp_path: Path) -> None:
    reason = pipeline_missing()
    if reason:
        pytest.skip(f"real pipeline not available: {reason}")
    if compare.run_publishes is False:
        pytest.skip(NOT_PUBLISHING)
    landing, home = tmp_path / "landing", tmp_path / "home"
    for d in (D1, D3):
        write_delivery(landing, d, rows_on(d))

    run_puhui(["run", "--landing", str(landing)], home)
    if not (home / "serving.duckdb").exists():
        pytest.skip(NOT_PUBLISHING)
    # only 12-31 is publishable; the reference over the same loaded dates agrees
    published = tmp_path / "published_so_far"
    shutil.copytree(landing / "20251231", published / "20251231")
    _assert_same(home, published)

    write_delivery(landing, D2, rows_on(D2))
    shutil.rmtree(landing / "20251231")  # 重发: the whole folder again, new DONE
    write_delivery(landing, D1, _corrected_d1())
    run_puhui(["run", "--landing", str(landing)], home)
    _assert_same(home, landing)
