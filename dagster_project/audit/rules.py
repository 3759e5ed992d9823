"""The audit's own rules over the warehouse indicator store (issue 7).

Each rule is one set-based query over all dates of the run and returns one
:class:`CheckResult` per date, so ``meta.audit_log`` says for every date which
rule held. Details name orgs, managers, codes and counts only (no PII).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from dagster_project.audit.bounds import EPSILON, bounds_values_sql
from dagster_project.audit.result import CheckResult
from dagster_project.contract import DEPOSIT_SUBJECTS, LOAN_SUBJECTS
from dagster_project.indicators import codes_for_grain
from dagster_project.settings import Settings

SAMPLES = 5  # offending keys quoted per check: enough to start looking, short for a chat
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


@dataclass(frozen=True)
class Store:
    """Where the warehouse keeps the indicator store (indicators.md "published
    indicator store"): dbt's ``marts`` schema, the relations publish.py copies."""

    org_table: str = "marts.indicator_value"
    mgr_table: str = "marts.mgr_indicator_value"
    # customer-ops.md §5: the pre-credit whitelist and the seed its limits come from
    precredit_table: str = "marts.precredit"
    precredit_parameters: str = "ref.precredit_parameters"

    def __post_init__(self) -> None:
        for t in (self.org_table, self.mgr_table, self.precredit_table,
                  self.precredit_parameters):
            if not _IDENT.match(t):  # inlined into SQL, so only plain identifiers
                raise ValueError(f"not a table name: {t!r}")


def _per_date(
    name: str,
    dates: Sequence[date],
    problems: dict[date, list[str]],
    counts: dict[date, int],
    *,
    blocking: bool = True,
    what: str,
    ok_detail: dict[date, str] | None = None,
) -> list[CheckResult]:
    out = []
    for d in dates:
        n = counts.get(d, 0)
        if n:
            sample = "; ".join(problems[d][:SAMPLES])
            more = f" (first {SAMPLES})" if n > SAMPLES else ""
            detail = f"{n} {what}{more}: {sample}"
        else:
            detail = (ok_detail or {}).get(d, "ok")
        out.append(CheckResult(name, n == 0, blocking, detail, d))
    return out


Row = tuple[Any, ...]


def _group(rows: Iterable[Row], fmt: Callable[[Row], str],
           ) -> tuple[dict[date, list[str]], dict[date, int]]:
    """Count problem rows per date (first column) and keep the first SAMPLES of each."""
    problems: dict[date, list[str]] = defaultdict(list)
    counts: dict[date, int] = defaultdict(int)
    for row in rows:
        d = row[0]
        counts[d] += 1
        if len(problems[d]) < SAMPLES:
            problems[d].append(fmt(row))
    return problems, counts


def _fmt_value(v: float | None) -> str:
    return "NULL" if v is None else f"{v:.6g}"


def value_bounds(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], table: str, key: str, name: str
) -> list[CheckResult]:
    """Every value within what its definition allows (bounds.py), finite, whole where a
    count, not NULL where a sum or count (indicators.md General rules)."""
    rows = con.execute(
        f"""
        with bounds(indicator_code, lo, hi, is_integral, is_not_null) as (
            values {bounds_values_sql()}
        ),
        store as (
            select biz_date, {key} as key_no, indicator_code, value
            from {table}
            where biz_date in (select unnest(?::DATE[]))
        ),
        checked as (
            select
                store.biz_date,
                store.key_no,
                store.indicator_code,
                store.value,
                case
                    when store.value is null and bounds.is_not_null then 'NULL'
                    when store.value is null then null
                    when isnan(store.value) or isinf(store.value) then 'not finite'
                    when store.value < bounds.lo - {EPSILON} then 'below ' || bounds.lo
                    when store.value > bounds.hi + {EPSILON} then 'above ' || bounds.hi
                    when bounds.is_integral
                        and abs(store.value - round(store.value)) > {EPSILON}
                        then 'not whole'
                end as problem
            from store
            left join bounds on store.indicator_code = bounds.indicator_code
        )
        select biz_date, key_no, indicator_code, value, problem
        from checked
        where problem is not null
        order by biz_date, indicator_code, key_no
        """,
        [list(dates)],
    ).fetchall()
    problems, counts = _group(
        rows, lambda r: f"{r[2]}={_fmt_value(r[3])} at {key} {r[1]} ({r[4]})"
    )
    return _per_date(name, dates, problems, counts, what="values out of bounds")


def dep_bal_day_move(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], settings: Settings, store: Store
) -> list[CheckResult]:
    """No org's DEP_BAL moves more than ``audit_dep_move_max`` of the previous day's
    without a row in meta.audit_explanation (issue 7). A move from 0 to non-zero is
    an unbounded share and counts as a breach. Orgs absent on D−1 (new) and dates
    whose D−1 is not in the store are not compared."""
    rows = con.execute(
        f"""
        with cur as (
            select biz_date, org_no, value
            from {store.org_table}
            where indicator_code = 'DEP_BAL' and biz_date in (select unnest(?::DATE[]))
        ),
        prev as (
            select cast(biz_date + 1 as date) as biz_date, org_no, value as prev_value
            from {store.org_table}
            where indicator_code = 'DEP_BAL'
              and biz_date in (select cast(unnest(?::DATE[]) - 1 as date))
        ),
        moved as (
            select cur.biz_date, cur.org_no, prev.prev_value, cur.value
            from cur
            inner join prev on cur.biz_date = prev.biz_date and cur.org_no = prev.org_no
            where abs(cur.value - prev.prev_value) > ?
              and abs(cur.value - prev.prev_value) > ? * prev.prev_value
        )
        select
            moved.biz_date, moved.org_no, moved.prev_value, moved.value,
            exists (
                select 1 from meta.audit_explanation as explanation
                where explanation.biz_date = moved.biz_date
                  and explanation.rule = 'dep_bal_day_move'
                  and (explanation.org_no = moved.org_no or explanation.org_no is null)
            ) as is_explained
        from moved
        order by moved.biz_date, moved.org_no
        """,
        [list(dates), list(dates), settings.audit_dep_move_min_amount,
         settings.audit_dep_move_max],
    ).fetchall()

    def fmt(r: Row) -> str:
        share = "inf" if r[2] == 0 else f"{(r[3] - r[2]) / r[2]:+.1%}"
        return f"org {r[1]} DEP_BAL {r[2]:.2f} -> {r[3]:.2f} ({share})"

    problems, counts = _group([r for r in rows if not r[4]], fmt)
    explained: dict[date, int] = defaultdict(int)
    for r in rows:
        if r[4]:
            explained[r[0]] += 1
    ok = {d: f"ok; {n} larger moves explained in meta.audit_explanation"
          for d, n in explained.items()}
    limit = f"{settings.audit_dep_move_max:.0%}"
    return _per_date("dep_bal_day_move", dates, problems, counts,
                     what=f"orgs with DEP_BAL moving more than {limit} day over day, unexplained",
                     ok_detail=ok)


def completeness(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[date],
    table: str,
    key: str,
    raw_table: str,
    codes: Sequence[str],
    name: str,
) -> list[CheckResult]:
    """The store has exactly one row per (active key on D) × code, and nothing else
    (indicators.md: "for every org with status 1 on that date … and every org-grain
    code"; an undefined value is a NULL row, not a missing one)."""
    code_rows = ", ".join(f"('{c}')" for c in codes)
    rows = con.execute(
        f"""
        with run_dates as (
            select unnest(?::DATE[]) as biz_date
        ),
        codes(indicator_code) as (values {code_rows}),
        expected as (
            select active.biz_date, active.{key} as key_no, codes.indicator_code
            from {raw_table} as active
            cross join codes
            where active.status = '1'
              and active.biz_date in (select biz_date from run_dates)
        ),
        actual as (
            select biz_date, {key} as key_no, indicator_code, count(*) as row_cnt
            from {table}
            where biz_date in (select biz_date from run_dates)
            group by biz_date, {key}, indicator_code
        ),
        missing as (
            select biz_date, key_no, indicator_code, 'missing' as problem from expected
            except
            select biz_date, key_no, indicator_code, 'missing' from actual
        ),
        unexpected as (
            select biz_date, key_no, indicator_code, 'unexpected' as problem from actual
            except
            select biz_date, key_no, indicator_code, 'unexpected' from expected
        ),
        duplicated as (
            select biz_date, key_no, indicator_code, 'duplicated x' || row_cnt as problem
            from actual where row_cnt > 1
        ),
        no_keys as (
            select run_dates.biz_date, null as key_no, null as indicator_code,
                   'no active rows in {raw_table}' as problem
            from run_dates
            where not exists (
                select 1 from expected where expected.biz_date = run_dates.biz_date
            )
        )
        select * from no_keys
        union all select * from missing
        union all select * from unexpected
        union all select * from duplicated
        order by 1, 4, 2, 3
        """,
        [list(dates)],
    ).fetchall()
    problems, counts = _group(
        rows,
        lambda r: r[3] if r[1] is None else f"{r[3]} {key} {r[1]} {r[2]}",
    )
    return _per_date(name, dates, problems, counts, what="key problems")


def incl_npl_tolerance(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], settings: Settings, store: Store
) -> list[CheckResult]:
    """Flag (non-blocking) INCL_NPL_RATIO > NPL_RATIO + tolerance for banks (org level ≤
    ``audit_incl_npl_max_level``): the regulator's 3pp tolerance for 普惠 NPLs is a
    business warning for leaders, not a data error, so it never blocks publication."""
    rows = con.execute(
        f"""
        with incl as (
            select biz_date, org_no, value as incl_npl_ratio
            from {store.org_table}
            where indicator_code = 'INCL_NPL_RATIO' and biz_date in (select unnest(?::DATE[]))
        ),
        npl as (
            select biz_date, org_no, value as npl_ratio
            from {store.org_table}
            where indicator_code = 'NPL_RATIO' and biz_date in (select unnest(?::DATE[]))
        )
        select incl.biz_date, incl.org_no, npl.npl_ratio, incl.incl_npl_ratio
        from incl
        inner join npl on incl.biz_date = npl.biz_date and incl.org_no = npl.org_no
        inner join raw.org_info as org
            on org.biz_date = incl.biz_date and org.org_no = incl.org_no
        where org.org_level <= ?
          and incl.incl_npl_ratio > npl.npl_ratio + ? + {EPSILON}
        order by incl.biz_date, incl.org_no
        """,
        [list(dates), list(dates), settings.audit_incl_npl_max_level,
         settings.audit_incl_npl_tolerance],
    ).fetchall()
    problems, counts = _group(
        rows, lambda r: f"org {r[1]} INCL_NPL_RATIO {r[3]:.2%} > NPL_RATIO {r[2]:.2%} + "
        f"{settings.audit_incl_npl_tolerance:.0%}"
    )
    return _per_date("incl_npl_tolerance", dates, problems, counts, blocking=False,
                     what="banks above the inclusive-NPL tolerance")


# Float sums of converted balances may differ from the decimal GL by rounding only.
GL_TOLERANCE_YUAN = 0.05


def gl_reconciliation(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], store: Store
) -> list[CheckResult]:
    """账账核对 of the published figures: each legal entity's DEP_BAL and LOAN_BAL equal
    its GL_BAL over the deposit / loan subjects, converted at the same date's FX_RATE.

    Ingestion reconciles the raw accounts with GL_BAL (t1-extract-spec.md, end); this
    checks that the roll-up through the org tree and the FX conversion in the marts
    kept every yuan, so a published balance always agrees with the union's ledger."""
    dep = ", ".join(f"'{c}'" for c in DEPOSIT_SUBJECTS)
    loan = ", ".join(f"'{c}'" for c in LOAN_SUBJECTS)
    rows = con.execute(
        f"""
        with legal as (
            select biz_date, org_no
            from raw.org_info
            where org_level = 2 and status = '1' and biz_date in (select unnest(?::DATE[]))
        ),
        gl as (
            select
                gl_bal.biz_date,
                gl_bal.org_no,
                -- a legal entity's ledger line runs to billions: DECIMAL(18,2) x
                -- DECIMAL(12,6) overflows DuckDB's DECIMAL(18) product, so widen first
                sum(case when gl_bal.subject_code in ({dep})
                    then gl_bal.balance::DECIMAL(38, 2) * fx_rate.rate_to_cny
                    else 0 end) as gl_dep_bal,
                sum(case when gl_bal.subject_code in ({loan})
                    then gl_bal.balance::DECIMAL(38, 2) * fx_rate.rate_to_cny
                    else 0 end) as gl_loan_bal
            from raw.gl_bal as gl_bal
            inner join raw.fx_rate as fx_rate
                on gl_bal.biz_date = fx_rate.biz_date and gl_bal.ccy = fx_rate.ccy
            where gl_bal.biz_date in (select unnest(?::DATE[]))
            group by gl_bal.biz_date, gl_bal.org_no
        ),
        published as (
            select
                biz_date,
                org_no,
                max(case when indicator_code = 'DEP_BAL' then value end) as dep_bal,
                max(case when indicator_code = 'LOAN_BAL' then value end) as loan_bal
            from {store.org_table}
            where indicator_code in ('DEP_BAL', 'LOAN_BAL')
                and biz_date in (select unnest(?::DATE[]))
            group by biz_date, org_no
        ),
        compared as (
            select
                legal.biz_date,
                legal.org_no,
                published.dep_bal,
                coalesce(gl.gl_dep_bal, 0) as gl_dep_bal,
                published.loan_bal,
                coalesce(gl.gl_loan_bal, 0) as gl_loan_bal
            from legal
            left join published
                on legal.biz_date = published.biz_date and legal.org_no = published.org_no
            left join gl on legal.biz_date = gl.biz_date and legal.org_no = gl.org_no
        )
        select biz_date, org_no, dep_bal, gl_dep_bal, loan_bal, gl_loan_bal
        from compared
        where dep_bal is null or loan_bal is null
            or abs(dep_bal - gl_dep_bal) > {GL_TOLERANCE_YUAN}
            or abs(loan_bal - gl_loan_bal) > {GL_TOLERANCE_YUAN}
        order by biz_date, org_no
        """,
        [list(dates)] * 3,
    ).fetchall()
    problems, counts = _group(
        rows, lambda r: f"org {r[1]} DEP_BAL {_fmt_value(r[2])} vs GL {r[3]:.2f}, "
        f"LOAN_BAL {_fmt_value(r[4])} vs GL {r[5]:.2f}"
    )
    return _per_date("gl_reconciliation", dates, problems, counts,
                     what="legal entities whose published balances disagree with GL_BAL")


def _relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, _, name = relation.rpartition(".")
    return bool(con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ?", [schema or "main", name]).fetchone()[0])


def precredit_limits(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], store: Store
) -> list[CheckResult]:
    """预授信 limits before publish (customer-ops.md §5): every admitted customer has a
    limit, no limit is above LIMIT_CAP of the seed precredit_parameters (read from the
    warehouse, the value the model used) and a rejected customer has none. The dbt
    tests assert_precredit_* fail the build on the same; this keeps a hand-edited or
    stale warehouse from being published. Details are counts, never customers.

    A warehouse without the table (an indicator store built by other means, as the
    audit's own tests do) has nothing to check here; publish.py refuses to publish
    without it, so nothing unchecked reaches the serving copy."""
    if not _relation_exists(con, store.precredit_table):
        return [CheckResult("precredit_limits", True, True,
                            f"no {store.precredit_table}: nothing to check", d) for d in dates]
    rows = con.execute(
        f"""
        with cap as (
            select max(value) as limit_cap
            from {store.precredit_parameters}
            where parameter = 'LIMIT_CAP'
        ),
        judged as (
            select
                precredit.biz_date,
                case
                    when precredit.admitted and precredit.limit_amt is null
                        then 'admitted without a limit'
                    when not precredit.admitted and precredit.limit_amt is not null
                        then 'limit without admission'
                    when precredit.limit_amt is not null and cap.limit_cap is null
                        then 'limit but no LIMIT_CAP in the seed'
                    when precredit.limit_amt > cap.limit_cap
                        then 'limit above the cap ' || cap.limit_cap
                end as problem
            from {store.precredit_table} as precredit
            cross join cap
            where precredit.biz_date in (select unnest(?::DATE[]))
        )
        select biz_date, problem, count(*) as customer_cnt
        from judged
        where problem is not null
        group by biz_date, problem
        order by biz_date, problem
        """,
        [list(dates)],
    ).fetchall()
    problems: dict[date, list[str]] = defaultdict(list)
    counts: dict[date, int] = defaultdict(int)
    for d, problem, n in rows:
        problems[d].append(f"{n} {problem}")
        counts[d] += n
    return _per_date("precredit_limits", dates, problems, counts,
                     what="pre-credit rows with a wrong limit")


def all_rules(
    con: duckdb.DuckDBPyConnection, dates: Sequence[date], settings: Settings, store: Store
) -> list[CheckResult]:
    return [
        *value_bounds(con, dates, store.org_table, "org_no", "value_bounds_org"),
        *value_bounds(con, dates, store.mgr_table, "mgr_no", "value_bounds_mgr"),
        *completeness(con, dates, store.org_table, "org_no", "raw.org_info",
                      codes_for_grain("org"), "completeness_org"),
        *completeness(con, dates, store.mgr_table, "mgr_no", "raw.cust_mgr",
                      codes_for_grain("mgr"), "completeness_mgr"),
        *dep_bal_day_move(con, dates, settings, store),
        *incl_npl_tolerance(con, dates, settings, store),
        *gl_reconciliation(con, dates, store),
        *precredit_limits(con, dates, store),
    ]
