"""Reference implementation of the indicator dictionary (indicators.md, version 1).

Reads delivery folders as the union writes them (t1-extract-spec.md §1-§2: GB18030,
``|``-separated, no header, columns in §4 order from ``contract.py``) and computes,
for every loaded business date D, the two published tables of indicators.md
"The published indicator store":

- ``indicator_value(biz_date, org_no, indicator_code, value)`` for every org with
  status 1 on D (all four levels) and every org-grain code;
- ``mgr_indicator_value(biz_date, mgr_no, indicator_code, value)`` for every
  manager with status 1 on D and every manager-grain code.

It is written from the two contracts alone and shares nothing with ingestion or
dbt, so that a difference between the two is a finding, not a tautology.

Interpretations the text leaves open are marked ``READING:`` in comments.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from dagster_project import contract

Tables = dict[str, pl.DataFrame]

# The codes of indicators.md, in the dictionary's order.
DEPOSIT_CODES = (
    "DEP_BAL", "DEP_BAL_PERSONAL", "DEP_BAL_CORP", "DEP_BAL_DEMAND",
    "DEP_BAL_YTD_CHG", "DEP_BAL_MTD_CHG", "DEP_DAVG_MTD", "DEP_DAVG_YTD",
)
LOAN_CODES = (
    "LOAN_BAL", "LOAN_BAL_YTD_CHG", "LOAN_GROWTH_YTD", "SM_BAL", "NPL_BAL", "NPL_RATIO",
    "NPL_RATIO_YTD_CHG", "OVD_BAL", "OVD_RATIO", "OVD90_BAL", "NPL_DEVIATION",
)
INCLUSIVE_CODES = (
    "INCL_BAL", "INCL_CUST_CNT", "INCL_SHARE", "INCL_BAL_YTD_CHG", "INCL_GROWTH_YTD",
    "INCL_CUST_YTD_CHG", "INCL_NPL_RATIO", "TWO_INCREASE_MET", "CREDIT_CUST_CNT",
    "CREDIT_USE_RATE", "GRID_HH_CNT", "GRID_CREDIT_COVERAGE",
)
VISIT_CODES = (
    "VISIT_CNT_D", "VISIT_CNT_MTD", "VISIT_CNT_YTD", "VISIT_CUST_MTD", "VISIT_PER_MGR_MTD",
    "VISIT_CONV_MTD", "VISIT_SATIS_MTD",
)
POLICY_CODES = (
    "POLICY_INFORCE_CNT", "POLICY_GRACE_CNT", "POLICY_LAPSED_CNT", "LAPSE_RATE",
    "LAPSE_RATE_PREM", "LAPSE_FOLLOWUP_RATE", "RENEWAL_DUE_30D",
)
ORG_CODES: tuple[str, ...] = (
    DEPOSIT_CODES + LOAN_CODES + INCLUSIVE_CODES + VISIT_CODES + POLICY_CODES
)
# "Manager grain 客户经理维度": the eleven codes listed there.
MGR_CODES: tuple[str, ...] = (
    "DEP_BAL", "DEP_BAL_YTD_CHG", "DEP_DAVG_MTD", "DEP_DAVG_YTD", "LOAN_BAL", "NPL_BAL",
    "NPL_RATIO", "INCL_BAL", "INCL_CUST_CNT", "VISIT_CNT_MTD", "VISIT_CONV_MTD",
)

# "Inclusive finance": the two single-household credit ceilings.
SMALL_MICRO_CREDIT_CAP = 10_000_000
FARMER_CREDIT_CAP = 5_000_000
# "Bancassurance policy lapse": regular-premium pay_freq and the annualising factor.
REGULAR_PAY_FREQ = ("2", "3")
ANNUALISE = {"2": 1, "3": 12}
INFORCE_STATUS = ("1", "2", "4")
RENEWAL_WINDOW_DAYS = 30


# --------------------------------------------------------------------------------------
# Reading deliveries (t1-extract-spec.md §1, §2)
# --------------------------------------------------------------------------------------


def _polars_type(col: contract.Column) -> pl.DataType:
    if col.type == "date":
        return pl.Date()
    if col.type == "timestamp":
        return pl.Datetime()
    if col.type == "int":
        return pl.Int64()
    if col.type.startswith("dec"):
        return pl.Float64()
    return pl.String()


def read_table(path: Path, table: contract.Table) -> pl.DataFrame:
    """One .dat file as typed columns. §2: GB18030, LF records, ``|`` fields, no
    header, no quoting; an empty field is NULL."""
    text = path.read_bytes().decode(contract.ENCODING)
    records = [r for r in text.split(contract.RECORD_SEP) if r != ""]
    names = table.column_names
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    for lineno, record in enumerate(records, start=1):
        fields = record.split(contract.FIELD_SEP)
        if len(fields) != len(names):
            raise ValueError(f"{path}:{lineno}: {len(fields)} fields, §4 has {len(names)}")
        for name, value in zip(names, fields, strict=True):
            columns[name].append(value if value != "" else None)
    frame = pl.DataFrame(columns, schema={n: pl.String for n in names})
    casts = []
    for col in table.columns:
        c = pl.col(col.name)
        if col.type == "date":
            casts.append(c.str.to_date(contract.DATE_FORMAT))
        elif col.type == "timestamp":
            casts.append(c.str.to_datetime(contract.TIMESTAMP_FORMAT))
        else:
            casts.append(c.cast(_polars_type(col)))
    return frame.with_columns(casts)


def read_delivery(folder: Path) -> Tables:
    """All 13 tables of one business date's folder."""
    biz = folder.name
    return {
        t.name: read_table(folder / contract.data_file_name(t.name, biz), t)
        for t in contract.TABLES
    }


def load_landing(landing: Path) -> dict[dt.date, Tables]:
    """Every complete delivery in ``landing``: §1, a folder counts only once its
    ``DONE_<date>.flg`` exists."""
    out: dict[dt.date, Tables] = {}
    for folder in sorted(landing.iterdir()):
        if not (folder.is_dir() and len(folder.name) == 8 and folder.name.isdigit()):
            continue
        if not (folder / contract.done_file_name(folder.name)).exists():
            continue
        out[dt.datetime.strptime(folder.name, contract.DATE_FORMAT).date()] = read_delivery(
            folder
        )
    return out


# --------------------------------------------------------------------------------------
# General rules
# --------------------------------------------------------------------------------------


def ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """General rules, Ratios: a fraction; NULL when the denominator is 0 or NULL."""
    return pl.when(den.is_null() | (den == 0)).then(None).otherwise(num / den)


def year_start(d: dt.date) -> dt.date:
    """General rules, Period starts: 31 December of the previous year."""
    return dt.date(d.year - 1, 12, 31)


def month_start(d: dt.date) -> dt.date:
    """General rules, Period starts: the last day of the previous month."""
    return d.replace(day=1) - dt.timedelta(days=1)


@dataclass
class Day:
    """One business date's delivery with its org tree."""

    biz_date: dt.date
    t: Tables
    ancestors: pl.DataFrame  # (org_no, anc_org_no): anc_org_no's subtree holds org_no
    level1: list[str]

    @property
    def org_nos(self) -> pl.DataFrame:
        return self.t["ORG_INFO"].select("org_no")

    @property
    def mgr_nos(self) -> pl.DataFrame:
        return self.t["CUST_MGR"].select("mgr_no")


def org_ancestors(org_info: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """General rules, Org roll-up: an org's value covers records booked at it or at
    any org below it by ORG_INFO parent links on D; level 1 covers the whole
    province. Returns (org_no, anc_org_no) pairs, each org being its own ancestor,
    and every level-1 org an ancestor of every org.

    READING: the roll-up follows the links of every ORG_INFO row on D, whatever its
    status (a merged org's records still belong to its parents); only the published
    rows are limited to status 1."""
    parent = dict(zip(org_info["org_no"], org_info["parent_org_no"], strict=True))
    level1 = org_info.filter(pl.col("org_level") == 1)["org_no"].to_list()
    pairs: list[tuple[str, str]] = []
    for org in parent:
        chain: list[str] = []
        cur: str | None = org
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parent.get(cur)
        chain += [o for o in level1 if o not in chain]
        pairs += [(org, a) for a in chain]
    frame = pl.DataFrame(pairs, schema={"org_no": pl.String, "anc_org_no": pl.String},
                         orient="row")
    return frame, level1


def rollup(records: pl.DataFrame, org_col: str, day: Day) -> pl.DataFrame:
    """Each record once for every org whose subtree holds it (column anc_org_no).
    A record booked at an org missing from ORG_INFO on D still counts at level 1,
    which "covers the whole province"."""
    anc = day.ancestors.rename({"org_no": "_rec_org"})
    rec = records.with_columns(pl.col(org_col).alias("_rec_org"))
    known = rec.join(anc, on="_rec_org", how="inner")
    unknown = rec.filter(~pl.col("_rec_org").is_in(anc["_rec_org"].implode()).fill_null(False))
    unknown = unknown.join(pl.DataFrame({"anc_org_no": day.level1}, schema={
        "anc_org_no": pl.String}), how="cross")
    return pl.concat([known, unknown], how="diagonal_relaxed").drop("_rec_org")


def per_key(keys: pl.DataFrame, grouped: pl.DataFrame, key: str,
            zero_fill: Iterable[str] = ()) -> pl.DataFrame:
    """Attach aggregates to every key; General rules, Empty sets: a sum or count over
    no records is 0 (``zero_fill``), an average stays NULL."""
    # Every figure is a DOUBLE in the store; counts come out of polars as unsigned
    # integers, and a change of counts (INCL_CUST_YTD_CHG) must be able to go negative.
    grouped = grouped.rename({grouped.columns[0]: key}).with_columns(
        pl.exclude(key).cast(pl.Float64))
    out = keys.join(grouped, on=key, how="left")
    return out.with_columns([pl.col(c).fill_null(0) for c in zero_fill])


def to_cny(frame: pl.DataFrame, amount: str, fx: pl.DataFrame) -> pl.DataFrame:
    """General rules, Currency: ``balance * rate_to_cny`` with FX_RATE of the same
    date (FX_RATE §4: CNY itself is 1)."""
    rates = fx.select("ccy", "rate_to_cny")
    if "CNY" not in rates["ccy"].to_list():
        rates = pl.concat([rates, pl.DataFrame({"ccy": ["CNY"], "rate_to_cny": [1.0]})])
    return frame.join(rates, on="ccy", how="left").with_columns(
        (pl.col(amount) * pl.col("rate_to_cny")).alias(f"{amount}_cny")
    )


# --------------------------------------------------------------------------------------
# Deposits 存款
# --------------------------------------------------------------------------------------

PERSONAL_SUBJECTS = ("20110101", "20110102")  # DEP_BAL_PERSONAL 储蓄存款
CORP_SUBJECTS = ("20110201", "20110202", "20110301")  # DEP_BAL_CORP 对公存款
DEMAND_SUBJECTS = ("20110101", "20110201")  # DEP_BAL_DEMAND 活期存款


def deposit_aggs() -> list[pl.Expr]:
    b = pl.col("balance_cny")
    s = pl.col("subject_code")
    return [
        b.sum().alias("DEP_BAL"),  # Σ DEP_ACCT.balance (CNY), every row of the full file
        b.filter(s.is_in(PERSONAL_SUBJECTS)).sum().alias("DEP_BAL_PERSONAL"),
        b.filter(s.is_in(CORP_SUBJECTS)).sum().alias("DEP_BAL_CORP"),
        b.filter(s.is_in(DEMAND_SUBJECTS)).sum().alias("DEP_BAL_DEMAND"),
    ]


def deposits(day: Day) -> pl.DataFrame:
    """Deposit balances per org, rolled up by DEP_ACCT.org_no."""
    acct = to_cny(day.t["DEP_ACCT"], "balance", day.t["FX_RATE"])
    grouped = rollup(acct, "org_no", day).group_by("anc_org_no").agg(deposit_aggs())
    return per_key(day.org_nos, grouped, "org_no", zero_fill=("DEP_BAL", "DEP_BAL_PERSONAL",
                                                              "DEP_BAL_CORP", "DEP_BAL_DEMAND"))


# --------------------------------------------------------------------------------------
# Loans, asset quality and inclusive finance 贷款与资产质量, 普惠金融
# --------------------------------------------------------------------------------------


def valid_limits(day: Day) -> pl.DataFrame:
    """CREDIT_LIMIT rows with status 1 and start_date ≤ D ≤ end_date."""
    d = day.biz_date
    return day.t["CREDIT_LIMIT"].filter(
        (pl.col("status") == "1") & (pl.col("start_date") <= d) & (pl.col("end_date") >= d)
    )


def loans_in_balance(day: Day) -> pl.DataFrame:
    """General rules: loans in balance are LOAN_DUEBILL rows with status 1; with the
    CNY balance and the inclusive flag of "Inclusive finance"."""
    loans = to_cny(day.t["LOAN_DUEBILL"].filter(pl.col("status") == "1"), "balance",
                   day.t["FX_RATE"])
    # Single-household credit 单户授信总额: Σ limit_amt of valid limits, else the
    # Σ CNY balance of the customer's loans in balance (at every org).
    limit_sum = valid_limits(day).group_by("cust_no").agg(pl.col("limit_amt").sum().alias("_lim"))
    loan_sum = loans.group_by("cust_no").agg(pl.col("balance_cny").sum().alias("_lns"))
    shc = loan_sum.join(limit_sum, on="cust_no", how="full", coalesce=True).select(
        "cust_no", pl.coalesce("_lim", "_lns").alias("single_household_credit"))
    cust = day.t["CUST_INFO"].select("cust_no", "cust_type", "ent_scale", "farmer_flag",
                                     "owner_cust_no")
    loans = loans.join(cust, on="cust_no", how="left").join(shc, on="cust_no", how="left")
    shc_c = pl.col("single_household_credit")
    ctype = pl.col("cust_type")
    business = pl.col("purpose") == "1"  # 经营
    owner = pl.col("owner_cust_no").is_not_null() & (pl.col("owner_cust_no") != "")
    small_micro = (shc_c <= SMALL_MICRO_CREDIT_CAP) & (
        ((ctype == "2") & pl.col("ent_scale").is_in(["3", "4"]))  # (a)
        | ((ctype == "3") & business)  # (b) 个体工商户, 经营
        | ((ctype == "1") & owner & business)  # (c) 小微企业主, 经营
    )
    farmer = (shc_c <= FARMER_CREDIT_CAP) & (ctype == "1") & (pl.col("farmer_flag") == "1") \
        & business
    # "A loan that meets both counts once": one flag per loan row, never a union.
    return loans.with_columns(
        (small_micro.fill_null(False) | farmer.fill_null(False)).alias("is_inclusive")
    )


def loan_aggs() -> list[pl.Expr]:
    b = pl.col("balance_cny")
    fc = pl.col("five_class")
    npl = fc.is_in(["3", "4", "5"])  # 次级+可疑+损失
    incl = pl.col("is_inclusive")
    return [
        b.sum().alias("LOAN_BAL"),
        b.filter(fc == "2").sum().alias("SM_BAL"),
        b.filter(npl).sum().alias("NPL_BAL"),
        # OVD_BAL: the whole balance of each loan with overdue_days > 0
        b.filter(pl.col("overdue_days") > 0).sum().alias("OVD_BAL"),
        b.filter(pl.col("overdue_days") > 90).sum().alias("OVD90_BAL"),
        b.filter(incl).sum().alias("INCL_BAL"),
        # INCL_CUST_CNT: distinct cust_no with an inclusive loan of balance > 0
        pl.col("cust_no").filter(incl & (b > 0)).n_unique().alias("INCL_CUST_CNT"),
        b.filter(incl & npl).sum().alias("_INCL_NPL_BAL"),
    ]


LOAN_BASE = ("LOAN_BAL", "SM_BAL", "NPL_BAL", "OVD_BAL", "OVD90_BAL", "INCL_BAL",
             "INCL_CUST_CNT", "_INCL_NPL_BAL")


def loans(day: Day) -> pl.DataFrame:
    """Loan balances per org, rolled up by LOAN_DUEBILL.org_no."""
    grouped = rollup(loans_in_balance(day), "org_no", day).group_by("anc_org_no").agg(
        loan_aggs())
    return per_key(day.org_nos, grouped, "org_no", zero_fill=LOAN_BASE)


def credit_and_grid(day: Day) -> pl.DataFrame:
    """CREDIT_CUST_CNT, CREDIT_USE_RATE's numerator, GRID_HH_CNT and the numerator of
    GRID_CREDIT_COVERAGE."""
    limits = valid_limits(day)
    # CREDIT_USE_RATE: a credited customer "who has a loan in balance with balance > 0".
    # READING: such a loan anywhere in the province, not only under this org.
    users = day.t["LOAN_DUEBILL"].filter((pl.col("status") == "1") & (pl.col("balance") > 0))
    used = limits["cust_no"].is_in(users["cust_no"].implode())
    credit = rollup(limits.with_columns(used.alias("_used")), "org_no", day).group_by(
        "anc_org_no").agg(
        pl.col("cust_no").n_unique().alias("CREDIT_CUST_CNT"),
        pl.col("cust_no").filter(pl.col("_used")).n_unique().alias("_CREDIT_USED_CNT"),
    )
    # GRID_HH_CNT: Σ GRID.household_cnt, grids by GRID.org_no.
    grids = rollup(day.t["GRID"], "org_no", day).group_by("anc_org_no").agg(
        pl.col("household_cnt").sum().alias("GRID_HH_CNT"))
    # GRID_CREDIT_COVERAGE numerator: customers of cust_type 1 or 3 whose grid_no is a
    # grid of this subtree and who count in CREDIT_CUST_CNT anywhere.
    credited = limits["cust_no"].unique().implode()
    cust = day.t["CUST_INFO"].filter(
        pl.col("cust_type").is_in(["1", "3"]) & pl.col("cust_no").is_in(credited)
    ).select("cust_no", "grid_no")
    cust = cust.join(day.t["GRID"].select("grid_no", pl.col("org_no").alias("grid_org")),
                     on="grid_no", how="inner")
    covered = rollup(cust, "grid_org", day).group_by("anc_org_no").agg(
        pl.col("cust_no").n_unique().alias("_GRID_CREDITED_CNT"))
    out = per_key(day.org_nos, credit, "org_no",
                  zero_fill=("CREDIT_CUST_CNT", "_CREDIT_USED_CNT"))
    out = per_key(out, grids, "org_no", zero_fill=("GRID_HH_CNT",))
    return per_key(out, covered, "org_no", zero_fill=("_GRID_CREDITED_CNT",))


# --------------------------------------------------------------------------------------
# Customer-manager visits 走访
# --------------------------------------------------------------------------------------


def visits_up_to(history: dict[dt.date, Day], d: dt.date, first: dt.date) -> pl.DataFrame:
    """VISIT_LOG rows of the loaded deliveries dated first..d, with visit_date = the
    business date (§4 VISIT_LOG: visit_time's date = business date)."""
    frames = [day.t["VISIT_LOG"].with_columns(pl.lit(bd).alias("visit_date"))
              for bd, day in history.items() if first <= bd <= d]
    return pl.concat(frames, how="vertical_relaxed")


def visits(day: Day, history: dict[dt.date, Day]) -> pl.DataFrame:
    """Visit counts per org: "Visits roll up by the org of the visiting manager on D"
    (CUST_MGR.org_no on D, also for the earlier visits of the month and year)."""
    d = day.biz_date
    mgr_org = day.t["CUST_MGR"].select("mgr_no", pl.col("org_no").alias("mgr_org"))
    ytd = visits_up_to(history, d, dt.date(d.year, 1, 1)).join(mgr_org, on="mgr_no",
                                                               how="left")
    mtd = pl.col("visit_date") >= d.replace(day=1)
    grouped = rollup(ytd, "mgr_org", day).group_by("anc_org_no").agg(
        (pl.col("visit_date") == d).sum().alias("VISIT_CNT_D"),
        mtd.sum().alias("VISIT_CNT_MTD"),
        pl.len().alias("VISIT_CNT_YTD"),
        pl.col("cust_no").filter(mtd).drop_nulls().n_unique().alias("VISIT_CUST_MTD"),
        (mtd & pl.col("outcome").is_in(["3", "4"])).sum().alias("_VISIT_CONV_CNT"),
        # average over MTD visits that have a satisfaction; NULL over none
        pl.col("satisfaction").filter(mtd).mean().alias("VISIT_SATIS_MTD"),
    )
    # VISIT_PER_MGR_MTD's denominator: managers with status 1 in the subtree on D.
    mgrs = rollup(day.t["CUST_MGR"].filter(pl.col("status") == "1"), "org_no", day).group_by(
        "anc_org_no").agg(pl.len().alias("_MGR_CNT"))
    out = per_key(day.org_nos, grouped, "org_no", zero_fill=(
        "VISIT_CNT_D", "VISIT_CNT_MTD", "VISIT_CNT_YTD", "VISIT_CUST_MTD", "_VISIT_CONV_CNT"))
    return per_key(out, mgrs, "org_no", zero_fill=("_MGR_CNT",))


# --------------------------------------------------------------------------------------
# Bancassurance policy lapse 保单失效
# --------------------------------------------------------------------------------------


def policies(day: Day, history: dict[dt.date, Day]) -> pl.DataFrame:
    """Policy counts and premiums per org, rolled up by INS_POLICY.org_no; single-premium
    (pay_freq 1) policies are left out of every lapse indicator."""
    d = day.biz_date
    pol = day.t["INS_POLICY"].filter(pl.col("pay_freq").is_in(REGULAR_PAY_FREQ))
    # LAPSE_FOLLOWUP_RATE: a visit_type 4 row for the policy dated status_date..D.
    followups = visits_up_to(history, d, dt.date.min).filter(pl.col("visit_type") == "4")
    followed = (
        pol.filter(pl.col("status") == "3").select("policy_no", "status_date")
        .join(followups.select("policy_no", "visit_date"), on="policy_no", how="inner")
        .filter((pl.col("visit_date") >= pl.col("status_date")) & (pl.col("visit_date") <= d))
        ["policy_no"].unique().implode()
    )
    status = pl.col("status")
    annual = pl.col("premium") * pl.col("pay_freq").replace_strict(ANNUALISE,
                                                                   return_dtype=pl.Int64)
    inforce = status.is_in(INFORCE_STATUS)
    due = (pl.col("next_due_date") > d) & (
        pl.col("next_due_date") <= d + dt.timedelta(days=RENEWAL_WINDOW_DAYS))
    grouped = rollup(pol, "org_no", day).group_by("anc_org_no").agg(
        inforce.sum().alias("POLICY_INFORCE_CNT"),
        (status == "2").sum().alias("POLICY_GRACE_CNT"),
        (status == "3").sum().alias("POLICY_LAPSED_CNT"),
        annual.filter(status == "3").sum().alias("_PREM_LAPSED"),
        annual.filter(status.is_in(["1", "2", "3", "4"])).sum().alias("_PREM_ALL"),
        ((status == "3") & pl.col("policy_no").is_in(followed)).sum().alias("_FOLLOWED_CNT"),
        # RENEWAL_DUE_30D: Σ premium (per instalment, not annualised)
        pl.col("premium").filter(inforce & due).sum().alias("RENEWAL_DUE_30D"),
    )
    return per_key(day.org_nos, grouped, "org_no", zero_fill=(
        "POLICY_INFORCE_CNT", "POLICY_GRACE_CNT", "POLICY_LAPSED_CNT", "_PREM_LAPSED",
        "_PREM_ALL", "_FOLLOWED_CNT", "RENEWAL_DUE_30D"))


# --------------------------------------------------------------------------------------
# Manager grain 客户经理维度
# --------------------------------------------------------------------------------------


def manager_base(day: Day, history: dict[dt.date, Day]) -> pl.DataFrame:
    """Deposits by DEP_ACCT.mgr_no, loans by LOAN_DUEBILL.mgr_no, visits by
    VISIT_LOG.mgr_no, for every manager on file on D."""
    d = day.biz_date
    acct = to_cny(day.t["DEP_ACCT"], "balance", day.t["FX_RATE"])
    dep = acct.group_by("mgr_no").agg(pl.col("balance_cny").sum().alias("DEP_BAL"))
    lns = loans_in_balance(day).group_by("mgr_no").agg(loan_aggs())
    mtd = visits_up_to(history, d, d.replace(day=1)).group_by("mgr_no").agg(
        pl.len().alias("VISIT_CNT_MTD"),
        pl.col("outcome").is_in(["3", "4"]).sum().alias("_VISIT_CONV_CNT"))
    out = per_key(day.mgr_nos, dep, "mgr_no", zero_fill=("DEP_BAL",))
    out = per_key(out, lns, "mgr_no", zero_fill=LOAN_BASE)
    return per_key(out, mtd, "mgr_no", zero_fill=("VISIT_CNT_MTD", "_VISIT_CONV_CNT"))


# --------------------------------------------------------------------------------------
# Period comparisons and daily averages (General rules)
# --------------------------------------------------------------------------------------


def at_period_start(frame: pl.DataFrame, base: dict[dt.date, pl.DataFrame], start: dt.date,
                    key: str, codes: Iterable[str], suffix: str) -> pl.DataFrame:
    """Attach ``<code><suffix>`` = the value on the period-start date: NULL when that
    date is not loaded (so changes against it are NULL, never 0); 0 for a key that
    did not exist on a loaded start date.

    READING: an org "exists" on a date when it is in that day's ORG_INFO (a manager:
    in CUST_MGR), and then its value is the one computed for it that day, even a
    NULL ratio; for one that did not exist every value is 0, ratios included."""
    codes = list(codes)
    names = {c: f"{c}{suffix}" for c in codes}
    if start not in base:
        return frame.with_columns([pl.lit(None, pl.Float64).alias(n) for n in names.values()])
    then = base[start].select(key, *codes).rename(names).with_columns(
        pl.lit(True).alias("_existed"))
    out = frame.join(then, on=key, how="left")
    return out.with_columns([
        pl.when(pl.col("_existed").is_null()).then(0).otherwise(pl.col(n)).alias(n)
        for n in names.values()
    ]).drop("_existed")


def daily_average(frame: pl.DataFrame, base: dict[dt.date, pl.DataFrame], first: dt.date,
                  d: dt.date, key: str, code: str, alias: str) -> pl.DataFrame:
    """日均: Σ daily values over the loaded days first..d / the number of those days;
    a key absent on a day contributes 0 that day (a sum over no records)."""
    days = [bd for bd in base if first <= bd <= d]
    total = pl.concat([base[bd].select(key, code) for bd in days]).group_by(key).agg(
        pl.col(code).sum().alias("_sum"))
    return frame.join(total, on=key, how="left").with_columns(
        (pl.col("_sum").fill_null(0) / len(days)).alias(alias)).drop("_sum")


# --------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------


def org_base(day: Day, history: dict[dt.date, Day]) -> pl.DataFrame:
    """Every quantity of D that needs no other date, for every org in ORG_INFO on D."""
    out = deposits(day)
    for part in (loans(day), credit_and_grid(day), visits(day, history),
                 policies(day, history)):
        out = out.join(part, on="org_no", how="left")
    return out.with_columns(
        ratio(pl.col("NPL_BAL"), pl.col("LOAN_BAL")).alias("NPL_RATIO"))


def org_indicators(d: dt.date, base: dict[dt.date, pl.DataFrame]) -> pl.DataFrame:
    """All org-grain codes of D from the base values of D and earlier dates."""
    ys, ms = year_start(d), month_start(d)
    f = base[d]
    f = at_period_start(f, base, ys, "org_no",
                        ("DEP_BAL", "LOAN_BAL", "NPL_RATIO", "INCL_BAL", "INCL_CUST_CNT"),
                        "_ys")
    f = at_period_start(f, base, ms, "org_no", ("DEP_BAL",), "_ms")
    f = daily_average(f, base, d.replace(day=1), d, "org_no", "DEP_BAL", "DEP_DAVG_MTD")
    f = daily_average(f, base, dt.date(d.year, 1, 1), d, "org_no", "DEP_BAL", "DEP_DAVG_YTD")
    c = pl.col
    f = f.with_columns(
        (c("DEP_BAL") - c("DEP_BAL_ys")).alias("DEP_BAL_YTD_CHG"),
        (c("DEP_BAL") - c("DEP_BAL_ms")).alias("DEP_BAL_MTD_CHG"),
        (c("LOAN_BAL") - c("LOAN_BAL_ys")).alias("LOAN_BAL_YTD_CHG"),
        (ratio(c("LOAN_BAL"), c("LOAN_BAL_ys")) - 1).alias("LOAN_GROWTH_YTD"),
        (c("NPL_RATIO") - c("NPL_RATIO_ys")).alias("NPL_RATIO_YTD_CHG"),
        ratio(c("OVD_BAL"), c("LOAN_BAL")).alias("OVD_RATIO"),
        ratio(c("OVD90_BAL"), c("NPL_BAL")).alias("NPL_DEVIATION"),
        ratio(c("INCL_BAL"), c("LOAN_BAL")).alias("INCL_SHARE"),
        (c("INCL_BAL") - c("INCL_BAL_ys")).alias("INCL_BAL_YTD_CHG"),
        (ratio(c("INCL_BAL"), c("INCL_BAL_ys")) - 1).alias("INCL_GROWTH_YTD"),
        (c("INCL_CUST_CNT") - c("INCL_CUST_CNT_ys")).alias("INCL_CUST_YTD_CHG"),
        ratio(c("_INCL_NPL_BAL"), c("INCL_BAL")).alias("INCL_NPL_RATIO"),
        ratio(c("_CREDIT_USED_CNT"), c("CREDIT_CUST_CNT")).alias("CREDIT_USE_RATE"),
        ratio(c("_GRID_CREDITED_CNT"), c("GRID_HH_CNT")).alias("GRID_CREDIT_COVERAGE"),
        ratio(c("VISIT_CNT_MTD"), c("_MGR_CNT")).alias("VISIT_PER_MGR_MTD"),
        ratio(c("_VISIT_CONV_CNT"), c("VISIT_CNT_MTD")).alias("VISIT_CONV_MTD"),
        ratio(c("POLICY_LAPSED_CNT"), c("POLICY_INFORCE_CNT") + c("POLICY_LAPSED_CNT"))
        .alias("LAPSE_RATE"),
        ratio(c("_PREM_LAPSED"), c("_PREM_ALL")).alias("LAPSE_RATE_PREM"),
        ratio(c("_FOLLOWED_CNT"), c("POLICY_LAPSED_CNT")).alias("LAPSE_FOLLOWUP_RATE"),
    )
    # TWO_INCREASE_MET 两增: NULL when either input is NULL, else 1/0.
    met = (c("INCL_GROWTH_YTD") >= c("LOAN_GROWTH_YTD")) & (c("INCL_CUST_YTD_CHG") >= 0)
    return f.with_columns(
        pl.when(c("INCL_GROWTH_YTD").is_null() | c("LOAN_GROWTH_YTD").is_null()
                | c("INCL_CUST_YTD_CHG").is_null())
        .then(None).otherwise(met.cast(pl.Float64)).alias("TWO_INCREASE_MET"))


def mgr_indicators(d: dt.date, base: dict[dt.date, pl.DataFrame]) -> pl.DataFrame:
    """The manager-grain codes of D."""
    c = pl.col
    f = at_period_start(base[d], base, year_start(d), "mgr_no", ("DEP_BAL",), "_ys")
    f = daily_average(f, base, d.replace(day=1), d, "mgr_no", "DEP_BAL", "DEP_DAVG_MTD")
    f = daily_average(f, base, dt.date(d.year, 1, 1), d, "mgr_no", "DEP_BAL", "DEP_DAVG_YTD")
    return f.with_columns(
        (c("DEP_BAL") - c("DEP_BAL_ys")).alias("DEP_BAL_YTD_CHG"),
        ratio(c("NPL_BAL"), c("LOAN_BAL")).alias("NPL_RATIO"),
        ratio(c("_VISIT_CONV_CNT"), c("VISIT_CNT_MTD")).alias("VISIT_CONV_MTD"),
    )


def _long(frame: pl.DataFrame, d: dt.date, key: str, codes: tuple[str, ...]) -> pl.DataFrame:
    wide = frame.select(key, *[pl.col(code).cast(pl.Float64) for code in codes])
    return wide.unpivot(index=key, on=list(codes), variable_name="indicator_code",
                        value_name="value").select(
        pl.lit(d).alias("biz_date"), key, "indicator_code", "value")


def compute_store(deliveries: dict[dt.date, Tables]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(indicator_value, mgr_indicator_value) for every loaded business date."""
    history: dict[dt.date, Day] = {}
    org_base_by_date: dict[dt.date, pl.DataFrame] = {}
    mgr_base_by_date: dict[dt.date, pl.DataFrame] = {}
    for d in sorted(deliveries):
        anc, level1 = org_ancestors(deliveries[d]["ORG_INFO"])
        history[d] = Day(d, deliveries[d], anc, level1)
        # "An indicator for D uses the deliveries of D and of earlier dates only."
        org_base_by_date[d] = org_base(history[d], history)
        mgr_base_by_date[d] = manager_base(history[d], history)
    org_rows, mgr_rows = [], []
    for d, day in history.items():
        active_orgs = day.t["ORG_INFO"].filter(pl.col("status") == "1").select("org_no")
        active_mgrs = day.t["CUST_MGR"].filter(pl.col("status") == "1").select("mgr_no")
        orgs = active_orgs.join(org_indicators(d, org_base_by_date), on="org_no", how="left")
        mgrs = active_mgrs.join(mgr_indicators(d, mgr_base_by_date), on="mgr_no", how="left")
        org_rows.append(_long(orgs, d, "org_no", ORG_CODES))
        mgr_rows.append(_long(mgrs, d, "mgr_no", MGR_CODES))
    return (
        pl.concat(org_rows).sort("biz_date", "org_no", "indicator_code"),
        pl.concat(mgr_rows).sort("biz_date", "mgr_no", "indicator_code"),
    )


def compute_landing(landing: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(indicator_value, mgr_indicator_value) of every complete delivery in landing."""
    return compute_store(load_landing(landing))
