"""The published indicator store on the `tiny` province, through the real path:
generated deliveries → ``puhui run`` (the Dagster jobs: ingestion, the dbt assets with
their data and unit tests, audit, publish; the session's ``tiny_home``) compared with
``puhui build --full-refresh`` and ``publish`` of the same raw layer.

Checks the store's completeness (indicators.md "The published indicator store"),
a few figures re-derived from the raw layer with independent SQL, and that
incremental builds (night by night, and a re-delivery rebuild from a date) give
exactly the tables a full refresh gives.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from dagster_project.dbt_build import build
from dagster_project.indicators import codes_for_grain
from dagster_project.publish import SERVING_TABLES, publish
from dagster_project.settings import Settings

COMPARED = ("indicator_value", "mgr_indicator_value", "org_indicator_wide", "mgr_indicator_wide",
            "fct_org_indicators_daily", "fct_mgr_indicators_daily", "fct_loan_five_class_daily",
            "fct_loan_class_migration", "fct_policy_lapse_reasons", "fct_visit_points",
            "fct_mgr_scorecard", "fct_deposit_balance_daily", "fct_org_deposit_growth",
            "fct_incl_loan_structure_daily", "fct_loan_product_quality_daily",
            "fct_policy_lapse_by_seller", "fct_grid_points", "dim_customer",
            "fct_business_warnings", "serving.srv_indicator_leaf",
            "serving.srv_indicator_customer", "serving.srv_loan_migration",
            "serving.srv_org_flags_daily", "serving.srv_visit_points", "serving.srv_grid_points",
            # customer operations (customer-ops.md §2-§5, issue 15)
            "customer_profile", "customer_tag", "opportunity_event", "precredit",
            # the 客户经营 serving tables (issue 15): srv_opportunity reads 30 days of
            # events back from the first date it builds
            "serving.srv_customer_tag", "serving.srv_customer_tag_overlap",
            "serving.srv_opportunity", "serving.srv_precredit", "serving.srv_customer_lookup",
            # built a date at a time (batch_dates): the full refresh runs one batch per
            # date, the nights one date each; the two with batch_prev_date() read the
            # loaded date before each batch too
            "intermediate.int_customers_profiled", "intermediate.int_customer_changes",
            "intermediate.int_customer_deposits_summed",
            "intermediate.int_customer_outflows_daily",
            "intermediate.int_deposit_balances_booked", "intermediate.int_loans_classified")



@dataclass
class Built:
    incremental: Settings  # the shared tiny home: built night by night (read only)
    full: Settings  # the same raw layer, built with --full-refresh


@pytest.fixture(scope="module")
def built(tiny_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    # tiny_home was built by `puhui run` in two nights (through 2025-12-31, then the
    # rest): the Dagster dbt assets, incrementally
    inc = Settings(home=tiny_home)
    full = Settings(home=tmp_path_factory.mktemp("full_home"))
    full.home.mkdir(parents=True, exist_ok=True)
    shutil.copy(inc.warehouse_path, full.warehouse_path)
    build(full, full_refresh=True)
    yield Built(inc, full)


def _q(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _qualified(table: str) -> str:
    """``schema.name`` of a compared table; a bare name is a mart."""
    return table if "." in table else f"marts.{table}"


def _differences(a: Settings, b: Settings, table: str) -> int:
    """Rows in one warehouse's ``table`` (``marts.`` unless qualified) and not the other's.

    DOUBLE columns are summed per group of the other columns and compared to 1e-9
    relative: a sum of doubles in another order (a full refresh aggregates all dates
    at once) may differ in the last bit, and that is not a difference of figures."""
    table = _qualified(table)
    schema, name = table.split(".")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a.warehouse_path}' as a (read_only)")
        con.execute(f"attach '{b.warehouse_path}' as b (read_only)")
        cols = con.execute("select column_name, data_type from duckdb_columns() where "
                           "database_name = 'a' and schema_name = ? and table_name = ? "
                           "order by column_index", [schema, name]).fetchall()
        doubles = [c for c, t in cols if t == "DOUBLE"]
        if not doubles:
            return con.execute(
                f"select (select count(*) from (select * from a.{table} except all "
                f"select * from b.{table})) + (select count(*) from (select * from "
                f"b.{table} except all select * from a.{table}))").fetchone()[0]
        keys = [c for c, t in cols if t != "DOUBLE"]
        group = ", ".join(keys)
        sums = ", ".join(f"sum({c}) as {c}" for c in doubles)

        def side(db: str) -> str:
            return f"select {group}, count(*) as n, {sums} from {db}.{table} group by all"
        same = " and ".join([f"x.{k} is not distinct from y.{k}" for k in keys])
        close = " and ".join(
            ["x.n = y.n"] + [f"(x.{c} is not distinct from y.{c} or abs(x.{c} - y.{c}) <= "
                             f"1e-9 * greatest(1, abs(x.{c})))" for c in doubles])
        return con.execute(
            f"select count(*) from ({side('a')}) as x full join ({side('b')}) as y on {same} "
            f"where x.n is null or y.n is null or not ({close})").fetchone()[0]
    finally:
        con.close()


def test_store_has_every_active_org_code_and_date(built: Built) -> None:
    s = built.full
    expected = _q(s, "select biz_date, count(*) from raw.org_info where status = '1' "
                     "group by 1 order by 1")
    got = _q(s, "select biz_date, count(distinct org_no), count(*), "
                "count(distinct indicator_code) from marts.indicator_value group by 1 order by 1")
    n_codes = len(codes_for_grain("org"))
    assert len(expected) == 8  # every loaded date is published
    assert [(d, n, n * n_codes, n_codes) for d, n in expected] == got
    # undefined values are rows with NULL, not missing rows: before 2025-12-31 is
    # loaded there is no year start, so the YTD changes are NULL for every org
    nulls = _q(s, "select count(*), count(value) from marts.indicator_value "
                  "where indicator_code = 'DEP_BAL_YTD_CHG' and biz_date = date '2025-12-28'")
    assert nulls[0][0] > 0 and nulls[0][1] == 0


def test_mgr_store_has_every_active_manager(built: Built) -> None:
    s = built.full
    expected = _q(s, "select biz_date, count(*) from raw.cust_mgr where status = '1' "
                     "group by 1 order by 1")
    got = _q(s, "select biz_date, count(distinct mgr_no), count(*) from marts.mgr_indicator_value "
                "group by 1 order by 1")
    n_codes = len(codes_for_grain("mgr"))
    assert [(d, n, n * n_codes) for d, n in expected] == got


def test_province_deposit_and_loan_balances_match_raw(built: Built) -> None:
    """Level 1 covers the whole province: DEP_BAL / LOAN_BAL equal the raw sums in CNY."""
    s = built.full
    rows = _q(s, """
        with dep as (
            select a.biz_date, sum(a.balance * f.rate_to_cny) as v from raw.dep_acct a
            join raw.fx_rate f on f.biz_date = a.biz_date and f.ccy = a.ccy group by 1),
        loan as (
            select l.biz_date, sum(l.balance * f.rate_to_cny) as v from raw.loan_duebill l
            join raw.fx_rate f on f.biz_date = l.biz_date and f.ccy = l.ccy
            where l.status = '1' group by 1),
        prov as (select biz_date, org_no from raw.org_info where org_level = 1)
        select iv.biz_date, iv.indicator_code, iv.value, coalesce(dep.v, loan.v)
        from marts.indicator_value iv
        join prov on prov.biz_date = iv.biz_date and prov.org_no = iv.org_no
        left join dep on dep.biz_date = iv.biz_date and iv.indicator_code = 'DEP_BAL'
        left join loan on loan.biz_date = iv.biz_date and iv.indicator_code = 'LOAN_BAL'
        where iv.indicator_code in ('DEP_BAL', 'LOAN_BAL')""")
    assert len(rows) == 16
    for d, code, value, raw_sum in rows:
        assert value == pytest.approx(float(raw_sum), abs=0.005), (d, code)


def test_year_start_change_uses_31_december(built: Built) -> None:
    """DEP_BAL_YTD_CHG on 2026-01-02 = DEP_BAL(2026-01-02) − DEP_BAL(2025-12-31)."""
    rows = _q(built.full, """
        select cur.org_no, chg.value, cur.value - coalesce(ys.value, 0)
        from marts.indicator_value cur
        join marts.indicator_value chg on chg.biz_date = cur.biz_date and chg.org_no = cur.org_no
            and chg.indicator_code = 'DEP_BAL_YTD_CHG'
        left join marts.indicator_value ys on ys.biz_date = date '2025-12-31'
            and ys.org_no = cur.org_no and ys.indicator_code = 'DEP_BAL'
        where cur.biz_date = date '2026-01-02' and cur.indicator_code = 'DEP_BAL'""")
    assert rows
    for org, chg, expected in rows:
        assert chg == pytest.approx(expected, abs=0.005), org


@pytest.mark.parametrize("table", COMPARED)
def test_incremental_nights_equal_full_refresh(built: Built, table: str) -> None:
    assert _q(built.full, f"select count(*) from {_qualified(table)}")[0][0] > 0
    assert _differences(built.incremental, built.full, table) == 0


def test_rebuild_from_a_redelivered_date_equals_full_refresh(
        built: Built, tmp_path: Path) -> None:
    """A re-delivery of 2025-12-30 rebuilds that date and every later one (from_date)."""
    again = Settings(home=tmp_path / "again")
    again.home.mkdir(parents=True)
    shutil.copy(built.incremental.warehouse_path, again.warehouse_path)
    con = duckdb.connect(str(again.warehouse_path))
    # make the stale state visible: without the rebuild these rows would stay wrong
    con.execute("update marts.indicator_value set value = -1 where biz_date >= date '2025-12-30'")
    # dim_customer is rebuilt per customer: a version the re-delivery no longer has
    # (a customer the corrected file dropped) and a history cut short must both go
    con.execute("insert into marts.dim_customer (cust_no, valid_from_date, is_current) "
                "values ('GONE0001', date '2025-12-30', true)")
    changed = con.execute("select cust_no from marts.dim_customer "
                          "where valid_from_date >= date '2025-12-30' limit 1").fetchone()
    assert changed, "tiny data has customer changes after 2025-12-30"
    con.execute("update marts.dim_customer set valid_to_date = date '2025-12-29', "
                "is_current = false where cust_no = ?", [changed[0]])
    # customer operations: events are append-only per raising date, so a rebuild must
    # replace the dates from from_date, not add to them
    con.execute("update marts.precredit set score = -1 where biz_date >= date '2025-12-30'")
    con.execute("insert into marts.opportunity_event select * from marts.opportunity_event "
                "where biz_date >= date '2025-12-30'")
    # the open opportunities of a rebuilt date include events raised before from_date
    # (srv_opportunity reads them back 30 days): a rebuild that missed them would drop rows
    con.execute("update serving.srv_opportunity set amount = -1 "
                "where biz_date >= date '2025-12-30'")
    # batched models that compare a date with the loaded date before it: the first
    # batch of the rebuild reads 2025-12-29, which it does not rebuild
    con.execute("update intermediate.int_customer_outflows_daily set prev_dep_bal_cny = -1 "
                "where biz_date >= date '2025-12-30'")
    con.execute("delete from intermediate.int_customer_changes "
                "where biz_date >= date '2025-12-30'")
    con.close()
    build(again, from_date="20251230")
    for table in ("indicator_value", "org_indicator_wide", "dim_customer", "precredit",
                  "opportunity_event", "serving.srv_opportunity",
                  "serving.srv_customer_lookup", "intermediate.int_customer_outflows_daily",
                  "intermediate.int_customer_changes"):
        assert _differences(again, built.full, table) == 0


def test_publish_writes_the_agreed_serving_tables(built: Built) -> None:
    s = built.full
    result = publish(s)
    assert result.path == s.serving_path and s.serving_path.exists()
    assert not list(s.home.glob(".serving*"))  # the temporary file was renamed away
    con = duckdb.connect(str(s.serving_path), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables()").fetchall()}
        assert set(SERVING_TABLES) <= tables
        n = con.execute("select count(*) from indicator_value").fetchone()[0]
        assert n == _q(s, "select count(*) from marts.indicator_value")[0][0]
        # the three cascading filters pick exactly one row per date
        dup = con.execute("select count(*) from (select biz_date, lvl2_org_name, lvl3_org_name, "
                          "lvl4_org_name from org_indicator_wide group by all "
                          "having count(*) > 1)").fetchone()[0]
        assert dup == 0
    finally:
        con.close()


def test_published_breakdowns_reconcile_to_the_indicator_store(built: Built) -> None:
    """Issue 6: the 普惠 structure adds up to INCL_BAL (per dimension) and INCL_CUST_CNT
    (customer segments) for every org and date, and the by-seller lapsed counts to
    POLICY_LAPSED_CNT at province level, in the published serving.duckdb."""
    s = built.full
    publish(s)
    con = duckdb.connect(str(s.serving_path), read_only=True)
    try:
        def store(code: str) -> str:
            return (f"select biz_date, org_no, value from indicator_value "
                    f"where indicator_code = '{code}'")

        for dim in ("cust_segment", "prod_cd"):
            checked, bad = con.execute(
                f"with st as (select biz_date, org_no, sum(incl_bal) as bal "
                f"from fct_incl_loan_structure_daily where dimension = '{dim}' group by all), "
                f"v as ({store('INCL_BAL')}) select count(*), count(case when "
                f"abs(v.value - coalesce(st.bal, 0)) > 0.005 then 1 end) from v "
                f"left join st using (biz_date, org_no)").fetchone()
            assert checked > 0 and bad == 0, dim
        bad = con.execute(
            f"with st as (select biz_date, org_no, sum(incl_cust_cnt) as n "
            f"from fct_incl_loan_structure_daily where dimension = 'cust_segment' group by all), "
            f"v as ({store('INCL_CUST_CNT')}) select count(*) from v "
            f"left join st using (biz_date, org_no) where v.value <> coalesce(st.n, 0)"
        ).fetchone()[0]
        assert bad == 0
        rows = con.execute(
            f"with st as (select biz_date, org_no, sum(lapsed_cnt) as n "
            f"from fct_policy_lapse_by_seller group by all), v as ({store('POLICY_LAPSED_CNT')}) "
            f"select v.biz_date, v.value, coalesce(st.n, 0) from v "
            f"left join st using (biz_date, org_no) "
            f"where v.org_no in (select org_no from dim_org where org_level = 1)").fetchall()
        assert rows and any(value > 0 for _, value, _ in rows)
        assert [(d, v, n) for d, v, n in rows if v != n] == []
    finally:
        con.close()


def test_dbt_docs_generate_has_no_warnings(built: Built) -> None:
    """Every model, column doc block and test resolves: warnings are made errors."""
    from dagster_project.dbt_build import dbt_args, run_dbt

    args = dbt_args(built.full, "docs")
    res = run_dbt(built.full, ["--warn-error", *args[:1], "generate", *args[1:]])
    assert res.success, getattr(res, "exception", None)
    assert (built.full.dbt_target_dir / "catalog.json").exists()


def test_no_pii_column_reaches_marts(built: Built) -> None:
    """t1-extract-spec §4: PII columns never reach marts (nor the free-text note)."""
    from dagster_project import contract

    pii = {c.name for t in contract.TABLES for c in t.columns if c.pii} | {"note"}
    cols = _q(built.full, "select table_name, column_name from duckdb_columns() "
                          "where schema_name in ('staging', 'intermediate', 'marts')")
    assert cols
    assert [(t, c) for t, c in cols if c in pii] == []


def test_a_warehouse_from_before_the_blacklist_builds(built: Built,
                                                      tmp_path: Path) -> None:
    """A warehouse loaded by a version without customer operations has no ``manual``
    schema until its next delivery; ``puhui build`` (and a rebuild from the Dagster UI)
    must not fail on the blacklist source before then, and with no list nobody is
    refused for BLACKLIST."""
    old = Settings(home=tmp_path / "old")
    old.home.mkdir(parents=True)
    shutil.copy(built.full.warehouse_path, old.warehouse_path)
    con = duckdb.connect(str(old.warehouse_path))
    con.execute("drop schema manual cascade")
    con.close()
    build(old, from_date="20260104")
    assert _q(old, "select count(*) from manual.blacklist_current") == [(0,)]
    (rows, blacklisted), = _q(old, "select count(*), count(*) filter (where reject_reason "
                                   "= 'BLACKLIST') from marts.precredit "
                                   "where biz_date = date '2026-01-04'")
    assert rows > 0 and blacklisted == 0
    assert _differences(old, built.full, "precredit") == 0
