"""What a morning briefing says, read from the published serving copy only (issue 16).

Everything here comes from ``serving.duckdb``: the publish step writes it only after
the audit passed, so a figure in a briefing is an audited, published figure. A
recipient's org scopes every query the way row-level security scopes the dashboards
(``lvl2_org_no`` / ``lvl3_org_no`` = the org), so a 支行's briefing holds its own
figures, its own outlets and its own warnings, never a sibling's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

# The headline figures (8–10, issue 16): (code, 名称, kind). kind picks the unit:
# "money" 亿元/万元, "ratio" % with changes in 个百分点, "count" with a unit word.
HEADLINES: tuple[tuple[str, str, str], ...] = (
    ("DEP_BAL", "各项存款", "money"),
    ("DEP_BAL_PERSONAL", "储蓄存款", "money"),
    ("LOAN_BAL", "各项贷款", "money"),
    ("NPL_BAL", "不良贷款", "money"),
    ("NPL_RATIO", "不良贷款率", "ratio"),
    ("OVD_RATIO", "逾期贷款率", "ratio"),
    ("INCL_BAL", "普惠贷款", "money"),
    ("INCL_CUST_CNT", "普惠贷款户数", "count:户"),
    ("TWO_INCREASE_MET", "两增达标", "flag"),
    ("VISIT_CNT_MTD", "本月走访", "count:次"),
)
# Month-to-date counts start again on the 1st: against the previous month-end they
# compare two different months, so they get no month change.
NO_MONTH_CHANGE = frozenset({"VISIT_CNT_MTD"})
LEVEL_ZH = {1: "省联社", 2: "法人行社", 3: "支行", 4: "网点"}
# The recipients column of the seed names briefing levels in Chinese.
RECIPIENT_LEVEL = {"法人行社": 2, "支行": 3}


@dataclass(frozen=True)
class Figure:
    code: str
    name: str
    kind: str
    value: float | None
    day_change: float | None  # against the previous published date
    month_change: float | None  # against the last day of the previous month, if published


@dataclass(frozen=True)
class Warning:
    rule_code: str
    rule_name: str
    severity: str
    org_no: str
    org_name: str
    value: float
    threshold: float | None


@dataclass(frozen=True)
class Mover:
    org_no: str
    org_name: str
    dep_bal: float
    day_change: float | None
    month_change: float | None


@dataclass(frozen=True)
class Briefing:
    biz_date: date
    org_no: str
    org_name: str
    org_level: int
    prev_date: date | None
    month_start_date: date | None
    figures: list[Figure]
    warnings: list[Warning]
    top: list[Mover]
    bottom: list[Mover]
    trend: list[tuple[date, float | None, float | None]] = field(default_factory=list)

    @property
    def child_level_zh(self) -> str:
        return LEVEL_ZH.get(self.org_level + 1, "下级机构")


class NotPublished(LookupError):
    """The business date is not in the serving copy: it did not pass the audit (or
    was never delivered), so there are no figures to send."""


def connect(serving_path: Path) -> duckdb.DuckDBPyConnection:
    if not serving_path.exists():
        raise NotPublished(f"{serving_path} does not exist: nothing has been published")
    return duckdb.connect(str(serving_path), read_only=True)


def published_dates(con: duckdb.DuckDBPyConnection) -> list[date]:
    return [r[0] for r in con.execute(
        "select distinct biz_date from org_indicator_wide order by biz_date").fetchall()]


def last_published(serving_path: Path) -> date | None:
    try:
        con = connect(serving_path)
    except NotPublished:
        return None
    try:
        return con.execute("select max(biz_date) from org_indicator_wide").fetchone()[0]
    finally:
        con.close()


def scope_clause(level: int, table: str = "") -> str:
    """Rows of the org's subtree (one ``?`` parameter: the org), as row-level security
    puts it (superset/rls.py); the province sees everything (no parameter)."""
    if level == 1:
        return "true"
    if level in (2, 3):
        return f"{table}lvl{level}_org_no = ?"
    return f"{table}org_no = ?"


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where table_name = ?",
                            [name]).fetchone()[0])


def _value_at(con: duckdb.DuckDBPyConnection, d: date | None, org_no: str,
              code: str) -> float | None:
    if d is None:
        return None
    row = con.execute("select value from indicator_value where biz_date = ? and org_no = ? "
                      "and indicator_code = ?", [d, org_no, code]).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def _diff(now: float | None, then: float | None) -> float | None:
    return None if now is None or then is None else now - then


def warnings_for(con: duckdb.DuckDBPyConnection, biz_date: date, org_no: str, level: int
                 ) -> list[Warning]:
    """The day's firings in the org's subtree whose rule lists the org's level among its
    recipients (warning_rules.recipients)."""
    if not _has_table(con, "fct_business_warnings"):
        return []
    want = next((k for k, v in RECIPIENT_LEVEL.items() if v == level), None)
    rows = con.execute(
        f"select rule_code, rule_name, severity, org_no, org_name, value, threshold, recipients "
        f"from fct_business_warnings where biz_date = ? and {scope_clause(level)} "
        "order by case severity when 'critical' then 0 when 'warning' then 1 else 2 end, "
        "rule_code, org_no, subject_no", [biz_date, *([org_no] if level != 1 else [])]
    ).fetchall()
    out = []
    for code, name, sev, o_no, o_name, value, thr, recipients in rows:
        levels = {s.strip() for s in str(recipients or "").split(";")}
        if level != 1 and want not in levels:
            continue
        out.append(Warning(code, name, sev, o_no, o_name or o_no, float(value),
                           None if thr is None else float(thr)))
    return out


def movers(con: duckdb.DuckDBPyConnection, biz_date: date, prev: date | None, org_no: str,
           level: int, n: int = 3) -> tuple[list[Mover], list[Mover]]:
    """The org's direct children one level down (支行 of a legal entity, 网点 of a
    支行), top and bottom ``n`` by deposit change on the day; disjoint when there are
    fewer than 2n of them."""
    child = level + 1
    rows = con.execute(
        f"""select cur.org_no, cur.org_name, cur.dep_bal, cur.dep_bal - prev.dep_bal,
                   cur.dep_bal_mtd_chg
            from org_indicator_wide as cur
            left join org_indicator_wide as prev
              on prev.org_no = cur.org_no and prev.biz_date = ?
            where cur.biz_date = ? and cur.org_level = ? and {scope_clause(level, 'cur.')}
            order by cur.dep_bal - prev.dep_bal desc nulls last, cur.org_no""",
        [prev, biz_date, child, *([org_no] if level != 1 else [])]).fetchall()
    ms = [Mover(r[0], r[1], float(r[2] or 0), None if r[3] is None else float(r[3]),
                None if r[4] is None else float(r[4])) for r in rows]
    ranked = [m for m in ms if m.day_change is not None]
    # fewer than 2n children: split them, the larger half on top, so none is listed twice
    top = ranked[:min(n, (len(ranked) + 1) // 2)]
    bottom = list(reversed(ranked[len(top):]))[:n]
    return top, bottom


def build(serving_path: Path, biz_date: date, org_no: str) -> Briefing:
    """The briefing of ``org_no`` for ``biz_date``; NotPublished when the date is not
    in the serving copy."""
    con = connect(serving_path)
    try:
        dates = published_dates(con)
        if biz_date not in dates:
            raise NotPublished(f"{biz_date} is not published (last: "
                               f"{dates[-1] if dates else 'none'})")
        org = con.execute("select org_name, org_level from org_indicator_wide "
                          "where biz_date = ? and org_no = ?", [biz_date, org_no]).fetchone()
        if org is None:
            raise LookupError(f"org {org_no} has no published figures on {biz_date}")
        name, level = str(org[0]), int(org[1])
        earlier = [d for d in dates if d < biz_date]
        prev = earlier[-1] if earlier else None
        month_end = biz_date.replace(day=1) - timedelta(days=1)
        month_start = month_end if month_end in dates else None
        figures = []
        for code, label, kind in HEADLINES:
            v = _value_at(con, biz_date, org_no, code)
            month = None if code in NO_MONTH_CHANGE else month_start
            figures.append(Figure(code, label, kind, v,
                                  _diff(v, _value_at(con, prev, org_no, code)),
                                  _diff(v, _value_at(con, month, org_no, code))))
        top, bottom = movers(con, biz_date, prev, org_no, level)
        trend = [(r[0], None if r[1] is None else float(r[1]),
                  None if r[2] is None else float(r[2])) for r in con.execute(
            "select biz_date, dep_bal, loan_bal from org_indicator_wide "
            "where org_no = ? and biz_date <= ? and biz_date > ? order by biz_date",
            [org_no, biz_date, biz_date - timedelta(days=30)]).fetchall()]
        return Briefing(biz_date, org_no, name, level, prev, month_start, figures,
                        warnings_for(con, biz_date, org_no, level), top, bottom, trend)
    finally:
        con.close()


def legal_entities(serving_path: Path, biz_date: date) -> list[str]:
    """Every legal entity (level 2) published on the date: one briefing each."""
    con = connect(serving_path)
    try:
        return [r[0] for r in con.execute(
            "select org_no from org_indicator_wide where biz_date = ? and org_level = 2 "
            "order by org_no", [biz_date]).fetchall()]
    finally:
        con.close()
