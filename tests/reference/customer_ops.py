"""Reference implementation of the customer-operations contract (customer-ops.md, version 1).

From the delivered T+1 files of a run of business dates (read as the union writes
them, with ``indicators.load_landing``), it computes for every loaded date D the four
published tables of customer-ops.md, under the contract's table and column names:

- ``customer_profile`` (§2): one row per D and customer;
- ``customer_tag`` (§3): one row per D, customer and tag held;
- ``opportunity_event`` (§4): the events raised on D;
- ``precredit`` (§5): one row per D and customer of cust_type 1 or 3, with the
  bank's default parameters (``PRECREDIT_DEFAULTS``) or a dict of overrides.

It is written from the contracts alone (customer-ops.md §1-§5 and §6's rule for an
entry in force, indicators.md's general rules and single-household credit,
t1-extract-spec.md) and shares nothing with ingestion or dbt, so a difference
between the two is a finding, not a tautology. The blacklist (§6) is not part of a
delivery: the caller passes its entries, either in clear (``id_no``) with the home's
PII key, or already hashed (``id_no_hash``, as ``manual.blacklist_current`` keeps
them), each with ``listed_date`` and ``removed_date``.

Ambiguities of the contract and the reading chosen here (also marked ``READING:`` in
the code). They are listed so they can be compared with an independent reading.

 1. Previous date P (§1): the latest loaded date before D, whatever the calendar gap;
    on the first loaded date there is no P and "(P, D]" is "≤ D" (no lower bound).
 2. Owner (§1): CUST_INFO.mgr_no of D, and the org_no of that mgr_no's CUST_MGR row
    on D whatever the manager's status; org_no is NULL when the customer has no
    manager or the manager is not in CUST_MGR on D.
 3. Customers (§1) are CUST_INFO rows of D with status 1; every table holds rows of
    these customers only. That includes §4: an event whose cust_no is not a
    status-1 customer on D is not raised (it would have no owner on D).
 4. Code columns (cust_type, farmer_flag, education, marital, region_code, grid_no,
    mgr_no, org_no) are published as the delivered codes, VARCHAR, NULL when the
    field is empty.
 5. age (§2): completed years = D.year − birth.year, minus 1 when (month, day) of D is
    before that of birth_date; someone born on 29 February completes a year on
    1 March in a common year. NULL for cust_type 2 or an empty birth_date.
 6. dep_bal (§2, "as DEP_BAL"): Σ balance × rate_to_cny of every DEP_ACCT row of D
    with that cust_no, whatever the account's status (DEP_BAL counts every row of
    the full file); 0 when there is none.
 7. dep_davg_mtd (§2): Σ over the loaded dates of D's month up to D of that date's
    dep_bal (the customer's DEP_ACCT rows of that date at that date's FX, 0 when
    there are none, whether or not the customer was a status-1 customer then),
    divided by the number of those dates.
 8. loan_bal (§2): Σ balance × rate_to_cny of the customer's LOAN_DUEBILL rows of D
    with status 1 (loans in balance); 0 when there is none.
 9. credit_amt (§2): Σ limit_amt of the customer's CREDIT_LIMIT rows of D with
    status 1 and start_date ≤ D ≤ end_date ("active"), else 0; the single-household
    credit's fallback to loan balances never applies, since it is used only for a
    customer who holds an active limit. limit_amt is CNY (§4).
10. "The customer's accounts" for DEP_TXN (mobile_txn_30d, last_txn_date, DORMANT,
    BIG_OUTFLOW/BIG_INFLOW): a DEP_TXN row of date d belongs to the cust_no of its
    acct_no in DEP_ACCT of the same date d. A row whose account is not in that
    day's DEP_ACCT belongs to nobody.
11. The date of a DEP_TXN or VISIT_LOG row is the business date of the delivery that
    holds it (t1-extract-spec §4: "its date = business date").
12. Windows (§1): "last 30 days" = D − 29 … D, "last 180 days" = D − 179 … D; only
    loaded dates in the window contribute. VISITED_90D: last_visit_date ≥ D − 89.
13. policy_cnt (§2): INS_POLICY rows of D with that cust_no and status 1, 2 or 4, of
    every pay_freq (the single-premium exclusion of indicators.md is about lapse
    indicators only).
14. dep_tier (§2): thresholds compared with dep_davg_mtd as computed (a DOUBLE);
    E only when it is exactly 0.
15. MICRO_OWNER (§3): owner_cust_no neither NULL nor ''.
16. NPL (§3): any loan in balance (status 1) with five_class 3, 4 or 5, whatever its
    balance.
17. DORMANT (§3): dep_bal > 0, no DEP_TXN row (either direction, any channel) on the
    customer's accounts dated D − 179 … D, and min(open_date) over the customer's
    DEP_ACCT rows of D (every status) ≤ D − 180; a customer whose accounts all have
    an empty open_date is not DORMANT.
18. "Raised once" (§4): each event type's rule already names the date on which its
    condition first holds — the (P, D] windows of a maturity or of a limit's 30th
    day, the overdue_days 0 → > 0 transition from P to D, the flows of the day D —
    so the rules are applied as written on every loaded date and nothing more is
    suppressed across dates. A deposit whose mature_date moves (rolled over), a
    loan overdue again after being cured, or a customer with big flows on two
    dates gives a new event each time.
19. TD_MATURE (§4): a "time-deposit account" is any DEP_ACCT row with a non-empty
    mature_date (whatever its subject code), status 1 and balance > 0; amount is the
    balance in CNY (× rate_to_cny of D), as the column is CNY.
20. LOAN_MATURE: amount = balance × rate_to_cny of D.
21. BIG_OUTFLOW / BIG_INFLOW: sums of DEP_TXN.amount of D converted with the
    account's ccy (DEP_ACCT of D) and FX_RATE of D; dep_bal on P is the customer's
    dep_bal of P (read 6, P's FX), 0 when they had no account on P. The 50 % test
    is sum ≥ 0.5 × dep_bal(P). Thresholds 50,000 are ≥ on the CNY sum.
22. LIMIT_UNUSED_30D: a CREDIT_LIMIT row of D with status 1 (end_date not looked at)
    and P < start_date + 30 days ≤ D (start_date + 30 ≤ D with no P); loan_bal of D
    = 0 (reading 8, the customer's loans at every org); amount = limit_amt; due_date
    NULL.
23. NEW_OVERDUE: overdue_days on P is the loan's LOAN_DUEBILL row of P whatever its
    status (NULL counted 0); a loan absent on P, or no P, counts 0. amount =
    (overdue_prin + overdue_int) × rate_to_cny of D, a NULL part counted 0; due_date
    NULL.
24. ref_no (§4) is the account, loan or limit number; "empty" for the flow events is
    the empty string '' (not NULL: the key of an event includes ref_no). due_date is
    NULL for every type but TD_MATURE and LOAN_MATURE.
25. Pre-credit rows (§5): customers (read 3) with cust_type 1 or 3.
26. BLACKLIST (§5, §6): the customer's CUST_INFO.id_no of D, hashed with the home's key
    (HMAC-SHA256 hex of the UTF-8 text, exactly as delivered: no trimming or case
    folding), equals the hash of an entry with listed_date ≤ D and (removed_date NULL
    or D < removed_date); id_type is not looked at. An empty id_no matches nothing.
    The one list given is the current version (§6) and applies to every date.
27. BAD_LOAN: any loan in balance (status 1) of the customer, whatever its balance,
    with five_class 3, 4, 5 or overdue_days > 0.
28. Score (§5): education and marital codes outside the table (none exist in the
    contract) get the "empty" points; the dep_davg_mtd bands are ≥ on the DOUBLE;
    the MICRO_OWNER and MOBILE_ACTIVE factors are the §3 tags of D; the sum is
    capped at the cap and published as an integer.
29. Limit (§5): floor(min(cap, score × per_point + share × dep_davg_mtd) / 1000) × 1000
    (the min first, then rounded down), a DOUBLE; NULL when not admitted.
30. Money columns (dep_bal, dep_davg_mtd, loan_bal, credit_amt, amount, limit_amt) are
    DOUBLE, not rounded to the cent; counts (mobile_txn_30d, policy_cnt), age and score
    are integers; admitted is BOOLEAN. The comparison allows 1e-6 relative on the
    first five (sums of converted amounts and averages); limit_amt, whole thousands,
    must be equal.
31. org_no in customer_profile and opportunity_event is the owner's org only (§1); the
    roll-up up the org tree and row-level security are how the serving layer reads
    these rows, not more rows in the tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from tests.reference.indicators import Tables, load_landing

PROFILE_COLUMNS = (
    "biz_date", "cust_no", "cust_type", "farmer_flag", "education", "marital",
    "region_code", "grid_no", "mgr_no", "org_no", "age", "dep_bal", "dep_davg_mtd",
    "loan_bal", "credit_amt", "mobile_txn_30d", "last_txn_date", "last_visit_date",
    "policy_cnt", "dep_tier",
)
TAG_COLUMNS = ("biz_date", "cust_no", "tag_code")
EVENT_COLUMNS = ("biz_date", "event_type", "cust_no", "ref_no", "amount", "due_date",
                 "mgr_no", "org_no")
PRECREDIT_COLUMNS = ("biz_date", "cust_no", "admitted", "reject_reason", "score",
                     "limit_amt")

# §3, in the contract's order.
TAG_CODES = ("FARMER", "MICRO_OWNER", "BORROWER", "CREDIT_UNUSED", "NPL", "MOBILE_ACTIVE",
             "DORMANT", "SENIOR", "VISITED_90D", "POLICY_HOLDER", "HIGH_VALUE")
# §4, in the contract's order.
EVENT_TYPES = ("TD_MATURE", "LOAN_MATURE", "BIG_OUTFLOW", "BIG_INFLOW", "LIMIT_UNUSED_30D",
               "NEW_OVERDUE")
# §5 admission rules, in the order they are tried.
REJECT_REASONS = ("AGE", "BAD_LOAN", "BLACKLIST", "HAS_CREDIT", "LOW_SCORE")

# The four tables: name → (columns, key of one row, DOUBLE money columns compared within
# a tolerance).
TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "customer_profile": (PROFILE_COLUMNS, ("biz_date", "cust_no"),
                         ("dep_bal", "dep_davg_mtd", "loan_bal", "credit_amt")),
    "customer_tag": (TAG_COLUMNS, ("biz_date", "cust_no", "tag_code"), ()),
    "opportunity_event": (EVENT_COLUMNS, ("biz_date", "event_type", "cust_no", "ref_no"),
                          ("amount",)),
    # limit_amt is whole thousands (§5): compared exactly
    "precredit": (PRECREDIT_COLUMNS, ("biz_date", "cust_no"), ()),
}

# §2 dep_tier: (tier, dep_davg_mtd ≥ threshold), then D for > 0 and E for 0.
DEP_TIERS = (("A", 500_000), ("B", 100_000), ("C", 10_000))
# §3 thresholds.
MOBILE_ACTIVE_MIN = 3
SENIOR_AGE = 60
DORMANT_DAYS = 180
VISITED_DAYS = 90
MOBILE_WINDOW_DAYS = 30
MOBILE_CHANNEL = "2"  # 手机银行
# §4 thresholds.
MATURE_AHEAD_DAYS = 30
BIG_FLOW_MIN = 50_000
BIG_OUTFLOW_SHARE = 0.5
LIMIT_UNUSED_DAYS = 30

# §5: "The points, thresholds and the cap are the bank's parameters: ... these values
# by default." ``None`` stands for an empty code.
PRECREDIT_DEFAULTS: dict[str, Any] = {
    "age_min": 18,  # AGE fails when age < 18
    "age_max": 65,  # ... or > 65
    "score_min": 40,  # LOW_SCORE fails when score < 40
    "education_points": {"10": 20, "20": 18, "30": 14, "40": 10, "50": 6, None: 6},
    "marital_points": {"2": 15, "1": 10, "3": 8, "4": 8, None: 8},
    "farmer_points": 10,
    "micro_owner_points": 10,  # MICRO_OWNER tag, or cust_type 3
    "mobile_active_points": 10,
    # dep_davg_mtd: (≥ threshold, points), highest first; then > 0 and = 0.
    "dep_davg_bands": ((500_000, 35), (100_000, 28), (50_000, 22), (10_000, 15)),
    "dep_davg_positive_points": 8,
    "dep_davg_zero_points": 0,
    "score_cap": 100,
    "limit_per_point": 2_000,
    "limit_dep_share": 0.5,
    "limit_cap": 300_000,
    "limit_round": 1_000,  # rounded down to a whole 1,000 yuan
}


def precredit_params(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The default parameters with ``overrides`` applied (unknown names are an error)."""
    params = dict(PRECREDIT_DEFAULTS)
    for name, value in (overrides or {}).items():
        if name not in params:
            raise KeyError(f"unknown pre-credit parameter {name!r}")
        params[name] = value
    return params


# --------------------------------------------------------------------------------------
# Blacklist (§6) and the keyed hash
# --------------------------------------------------------------------------------------


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 hex of the UTF-8 text: the warehouse's keyed hash of an ID number."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def blacklist_frame(entries: pl.DataFrame | list[Mapping[str, Any]] | None,
                    key: bytes | None) -> pl.DataFrame:
    """The entries as (id_match, listed_date, removed_date).

    ``entries`` hold ``id_no`` in clear (hashed here with ``key``; compared in clear
    with CUST_INFO.id_no when ``key`` is None) or ``id_no_hash`` (needs ``key``: the
    customers' ID numbers are hashed with it)."""
    schema = {"id_match": pl.String, "listed_date": pl.Date, "removed_date": pl.Date}
    if entries is None:
        return pl.DataFrame(schema=schema)
    frame = entries if isinstance(entries, pl.DataFrame) else pl.DataFrame(
        list(entries), infer_schema_length=None)
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    if "removed_date" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Date).alias("removed_date"))
    if "id_no_hash" in frame.columns:
        if key is None:
            raise ValueError("hashed blacklist entries need the key that hashed them")
        ident = pl.col("id_no_hash").str.to_lowercase()
    elif key is None:
        ident = pl.col("id_no")
    else:
        ident = pl.col("id_no").map_elements(lambda v: keyed_hash(key, v),
                                             return_dtype=pl.String)
    return frame.select(ident.alias("id_match"), pl.col("listed_date").cast(pl.Date),
                        pl.col("removed_date").cast(pl.Date))


def in_force(blacklist: pl.DataFrame, d: dt.date) -> pl.DataFrame:
    """§6: in force on D when 列入日期 ≤ D and (移出日期 empty or D < 移出日期)."""
    return blacklist.filter(
        (pl.col("listed_date") <= d)
        & (pl.col("removed_date").is_null() | (pl.lit(d) < pl.col("removed_date"))))


# --------------------------------------------------------------------------------------
# The history of loaded dates
# --------------------------------------------------------------------------------------


def _fx(t: Tables) -> pl.DataFrame:
    """indicators.md, Currency: FX_RATE of the same date; CNY itself is 1."""
    rates = t["FX_RATE"].select("ccy", "rate_to_cny")
    if "CNY" not in rates["ccy"].to_list():
        rates = pl.concat([rates, pl.DataFrame({"ccy": ["CNY"], "rate_to_cny": [1.0]})])
    return rates


def _cny(frame: pl.DataFrame, fx: pl.DataFrame, *amounts: str) -> pl.DataFrame:
    out = frame.join(fx, on="ccy", how="left")
    return out.with_columns([(pl.col(a) * pl.col("rate_to_cny")).alias(f"{a}_cny")
                             for a in amounts]).drop("rate_to_cny")


def _present(col: str) -> pl.Expr:
    return pl.col(col).is_not_null() & (pl.col(col) != "")


@dataclass
class _Day:
    d: dt.date
    p: dt.date | None  # the previous loaded date, READING 1
    t: Tables
    fx: pl.DataFrame
    acct: pl.DataFrame  # DEP_ACCT with balance_cny
    loans: pl.DataFrame  # LOAN_DUEBILL status 1 with balance_cny
    dep_bal: pl.DataFrame  # (cust_no, dep_bal) of every cust_no with an account on D


class History:
    """Every loaded date's delivery with what the four tables need of it."""

    def __init__(self, deliveries: Mapping[dt.date, Tables]) -> None:
        self.dates = sorted(deliveries)
        self.days: dict[dt.date, _Day] = {}
        txns, visits = [], []
        prev: dt.date | None = None
        for d in self.dates:
            t = deliveries[d]
            fx = _fx(t)
            acct = _cny(t["DEP_ACCT"], fx, "balance")
            loans = _cny(t["LOAN_DUEBILL"].filter(pl.col("status") == "1"), fx, "balance",
                         "overdue_prin", "overdue_int")
            dep_bal = acct.group_by("cust_no").agg(pl.col("balance_cny").sum().alias("dep_bal"))
            self.days[d] = _Day(d, prev, t, fx, acct, loans, dep_bal)
            # READING 10, 11: a transaction belongs to its account's customer of the same
            # date, and is dated by its delivery.
            txn = _cny(
                t["DEP_TXN"].join(acct.select("acct_no", "cust_no", "ccy"), on="acct_no",
                                  how="inner"), fx, "amount")
            txns.append(txn.select(pl.lit(d).alias("txn_date"), "cust_no", "channel",
                                   "dr_cr", "amount_cny"))
            visits.append(t["VISIT_LOG"].filter(_present("cust_no")).select(
                pl.lit(d).alias("visit_date"), "cust_no"))
            prev = d
        self.txns = pl.concat(txns) if txns else pl.DataFrame()
        self.visits = pl.concat(visits) if visits else pl.DataFrame()

    def dep_davg_mtd(self, d: dt.date) -> pl.DataFrame:
        """(cust_no, dep_davg_mtd): READING 7."""
        days = [x for x in self.dates if x.replace(day=1) == d.replace(day=1) and x <= d]
        total = pl.concat([self.days[x].dep_bal for x in days]).group_by("cust_no").agg(
            pl.col("dep_bal").sum().alias("_sum"))
        return total.select("cust_no", (pl.col("_sum") / len(days)).alias("dep_davg_mtd"))


# --------------------------------------------------------------------------------------
# §2 customer profile (with the extra facts tags, events and pre-credit need)
# --------------------------------------------------------------------------------------


def _age(d: dt.date) -> pl.Expr:
    """READING 5: completed years between birth_date and D."""
    b = pl.col("birth_date")
    before_birthday = pl.lit(d.month * 100 + d.day) < (b.dt.month().cast(pl.Int32) * 100
                                                       + b.dt.day().cast(pl.Int32))
    years = pl.lit(d.year) - b.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)
    return (pl.when((pl.col("cust_type") == "2") | b.is_null()).then(None)
            .otherwise(years).cast(pl.Int64).alias("age"))


def _dep_tier() -> pl.Expr:
    v = pl.col("dep_davg_mtd")
    expr = pl.when(v >= DEP_TIERS[0][1]).then(pl.lit(DEP_TIERS[0][0]))
    for tier, threshold in DEP_TIERS[1:]:
        expr = expr.when(v >= threshold).then(pl.lit(tier))
    return expr.when(v > 0).then(pl.lit("D")).otherwise(pl.lit("E")).alias("dep_tier")


def _customers(h: History, day: _Day) -> pl.DataFrame:
    """One row per customer of D (status 1) with every §2 column and the facts §3-§5
    need (owner_cust_no, id_no, has_npl, bad_loan, dormant)."""
    d, t = day.d, day.t
    cust = t["CUST_INFO"].filter(pl.col("status") == "1")
    mgr_org = t["CUST_MGR"].select("mgr_no", "org_no").unique("mgr_no", keep="first")
    out = cust.select("cust_no", "cust_type", "farmer_flag", "education", "marital",
                      "region_code", "grid_no", "mgr_no", "birth_date", "owner_cust_no",
                      "id_no").join(mgr_org, on="mgr_no", how="left")  # READING 2
    out = out.with_columns(_age(d))

    loan_facts = day.loans.group_by("cust_no").agg(
        pl.col("balance_cny").sum().alias("loan_bal"),
        pl.col("five_class").is_in(["3", "4", "5"]).any().alias("has_npl"),
        (pl.col("five_class").is_in(["3", "4", "5"])
         | (pl.col("overdue_days").fill_null(0) > 0)).any().alias("bad_loan"),
    )
    lim = t["CREDIT_LIMIT"]
    credit = lim.filter((pl.col("status") == "1") & (pl.col("start_date") <= d)
                        & (pl.col("end_date") >= d)).group_by("cust_no").agg(
        pl.col("limit_amt").sum().alias("credit_amt"))
    first_open = day.acct.group_by("cust_no").agg(pl.col("open_date").min().alias("_first_open"))

    w30 = d - dt.timedelta(days=MOBILE_WINDOW_DAYS - 1)
    w180 = d - dt.timedelta(days=DORMANT_DAYS - 1)
    txn = h.txns.filter(pl.col("txn_date") <= d)
    txn_facts = txn.group_by("cust_no").agg(
        ((pl.col("txn_date") >= w30) & (pl.col("channel") == MOBILE_CHANNEL)).sum()
        .cast(pl.Int64).alias("mobile_txn_30d"),
        pl.col("txn_date").max().alias("last_txn_date"),
        (pl.col("txn_date") >= w180).any().alias("_txn_180d"),
    )
    visit_facts = h.visits.filter(pl.col("visit_date") <= d).group_by("cust_no").agg(
        pl.col("visit_date").max().alias("last_visit_date"))
    policies = t["INS_POLICY"].filter(pl.col("status").is_in(["1", "2", "4"])).group_by(
        "cust_no").agg(pl.len().cast(pl.Int64).alias("policy_cnt"))

    for part in (day.dep_bal, h.dep_davg_mtd(d), loan_facts, credit, first_open, txn_facts,
                 visit_facts, policies):
        out = out.join(part, on="cust_no", how="left")
    out = out.with_columns(
        pl.col("dep_bal").fill_null(0.0),
        pl.col("dep_davg_mtd").fill_null(0.0),
        pl.col("loan_bal").fill_null(0.0),
        pl.col("credit_amt").fill_null(0.0),
        pl.col("mobile_txn_30d").fill_null(0),
        pl.col("policy_cnt").fill_null(0),
        pl.col("has_npl").fill_null(False),
        pl.col("bad_loan").fill_null(False),
        pl.col("_txn_180d").fill_null(False),
    ).with_columns(_dep_tier())
    # READING 17
    dormant = ((pl.col("dep_bal") > 0) & ~pl.col("_txn_180d")
               & (pl.col("_first_open") <= d - dt.timedelta(days=DORMANT_DAYS)).fill_null(False))
    return out.with_columns(dormant.alias("dormant"), pl.lit(d).alias("biz_date"))


def _profile(cust: pl.DataFrame) -> pl.DataFrame:
    return cust.select(PROFILE_COLUMNS)


# --------------------------------------------------------------------------------------
# §3 tags
# --------------------------------------------------------------------------------------


def _tag_flags(d: dt.date) -> dict[str, pl.Expr]:
    c = pl.col
    return {
        "FARMER": c("farmer_flag") == "1",
        "MICRO_OWNER": _present("owner_cust_no"),
        "BORROWER": c("loan_bal") > 0,
        "CREDIT_UNUSED": (c("credit_amt") > 0) & (c("loan_bal") == 0),
        "NPL": c("has_npl"),
        "MOBILE_ACTIVE": c("mobile_txn_30d") >= MOBILE_ACTIVE_MIN,
        "DORMANT": c("dormant"),
        "SENIOR": c("age") >= SENIOR_AGE,
        "VISITED_90D": c("last_visit_date") >= d - dt.timedelta(days=VISITED_DAYS - 1),
        "POLICY_HOLDER": c("policy_cnt") > 0,
        "HIGH_VALUE": c("dep_tier") == "A",
    }


def _with_tags(cust: pl.DataFrame, d: dt.date) -> pl.DataFrame:
    return cust.with_columns([e.fill_null(False).alias(f"tag_{code}")
                              for code, e in _tag_flags(d).items()])


def _tags(cust: pl.DataFrame) -> pl.DataFrame:
    flags = cust.select("biz_date", "cust_no", *[f"tag_{code}" for code in TAG_CODES])
    long = flags.unpivot(index=["biz_date", "cust_no"], variable_name="tag_code",
                         value_name="_held")
    return long.filter(pl.col("_held")).select(
        "biz_date", "cust_no", pl.col("tag_code").str.strip_prefix("tag_"))


# --------------------------------------------------------------------------------------
# §4 opportunity events
# --------------------------------------------------------------------------------------


def _window(col: pl.Expr, lo: dt.date | None, hi: dt.date) -> pl.Expr:
    """lo < col ≤ hi; no lower bound when there is no P (§1)."""
    inside = col <= hi
    return inside if lo is None else inside & (col > lo)


def _events(h: History, day: _Day, cust: pl.DataFrame) -> pl.DataFrame:
    d, p = day.d, day.p
    ahead = dt.timedelta(days=MATURE_AHEAD_DAYS)
    p_ahead = None if p is None else p + ahead
    c = pl.col
    frames = []

    # TD_MATURE: READING 19
    td = day.acct.filter(c("mature_date").is_not_null() & (c("status") == "1")
                         & (c("balance") > 0) & _window(c("mature_date"), p_ahead, d + ahead))
    frames.append(td.select(pl.lit("TD_MATURE").alias("event_type"), "cust_no",
                            c("acct_no").alias("ref_no"), c("balance_cny").alias("amount"),
                            c("mature_date").alias("due_date")))

    # LOAN_MATURE: READING 20
    lm = day.loans.filter((c("balance") > 0) & c("five_class").is_in(["1", "2"])
                          & _window(c("mature_date"), p_ahead, d + ahead))
    frames.append(lm.select(pl.lit("LOAN_MATURE").alias("event_type"), "cust_no",
                            c("loan_no").alias("ref_no"), c("balance_cny").alias("amount"),
                            c("mature_date").alias("due_date")))

    # BIG_OUTFLOW / BIG_INFLOW: READING 21
    today = h.txns.filter(c("txn_date") == d)
    flows = today.group_by("cust_no").agg(
        c("amount_cny").filter(c("dr_cr") == "D").sum().alias("_debit"),
        c("amount_cny").filter(c("dr_cr") == "C").sum().alias("_credit"))
    prev_bal = (h.days[p].dep_bal if p is not None
                else pl.DataFrame(schema={"cust_no": pl.String, "dep_bal": pl.Float64}))
    flows = flows.join(prev_bal.rename({"dep_bal": "_bal_p"}), on="cust_no", how="left")
    flows = flows.with_columns(c("_bal_p").fill_null(0.0))
    share_ok = (c("_bal_p") == 0) | (c("_debit") >= BIG_OUTFLOW_SHARE * c("_bal_p"))
    out_ = flows.filter((c("_debit") >= BIG_FLOW_MIN) & share_ok)
    frames.append(out_.select(pl.lit("BIG_OUTFLOW").alias("event_type"), "cust_no",
                              pl.lit("").alias("ref_no"), c("_debit").alias("amount"),
                              pl.lit(None, pl.Date).alias("due_date")))
    in_ = flows.filter(c("_credit") >= BIG_FLOW_MIN)
    frames.append(in_.select(pl.lit("BIG_INFLOW").alias("event_type"), "cust_no",
                             pl.lit("").alias("ref_no"), c("_credit").alias("amount"),
                             pl.lit(None, pl.Date).alias("due_date")))

    # LIMIT_UNUSED_30D: READING 22
    lo = None if p is None else p
    lim = day.t["CREDIT_LIMIT"].filter(
        (c("status") == "1")
        & _window(c("start_date") + dt.timedelta(days=LIMIT_UNUSED_DAYS), lo, d))
    lim = lim.join(cust.select("cust_no", "loan_bal"), on="cust_no", how="inner").filter(
        c("loan_bal") == 0)
    frames.append(lim.select(pl.lit("LIMIT_UNUSED_30D").alias("event_type"), "cust_no",
                             c("limit_no").alias("ref_no"),
                             c("limit_amt").cast(pl.Float64).alias("amount"),
                             pl.lit(None, pl.Date).alias("due_date")))

    # NEW_OVERDUE: READING 23
    od = day.loans.filter(c("overdue_days") > 0)
    if p is not None:
        was = h.days[p].t["LOAN_DUEBILL"].select(
            "loan_no", c("overdue_days").fill_null(0).alias("_od_p"))
        od = od.join(was, on="loan_no", how="left").filter(c("_od_p").fill_null(0) == 0)
    frames.append(od.select(
        pl.lit("NEW_OVERDUE").alias("event_type"), "cust_no", c("loan_no").alias("ref_no"),
        (c("overdue_prin_cny").fill_null(0.0) + c("overdue_int_cny").fill_null(0.0))
        .alias("amount"), pl.lit(None, pl.Date).alias("due_date")))

    events = pl.concat([f.with_columns(c("amount").cast(pl.Float64),
                                       c("due_date").cast(pl.Date)) for f in frames])
    # READING 3: raised for customers of D only, owned by their owner on D.
    owners = cust.select("cust_no", "mgr_no", "org_no")
    events = events.join(owners, on="cust_no", how="inner")
    return events.select(pl.lit(d).alias("biz_date"), *EVENT_COLUMNS[1:])


# --------------------------------------------------------------------------------------
# §5 pre-credit whitelist
# --------------------------------------------------------------------------------------


def _points(col: str, table: Mapping[str | None, int]) -> pl.Expr:
    """Points of a code column; an empty code (and, READING 28, an unknown one) gets the
    ``None`` entry."""
    known = {k: v for k, v in table.items() if k is not None}
    return pl.col(col).replace_strict(known, default=table[None], return_dtype=pl.Int64)\
        .fill_null(table[None])


def _score(params: Mapping[str, Any]) -> pl.Expr:
    c = pl.col
    davg = c("dep_davg_mtd")
    bands = list(params["dep_davg_bands"])
    dep = pl.when(davg >= bands[0][0]).then(bands[0][1])
    for threshold, pts in bands[1:]:
        dep = dep.when(davg >= threshold).then(pts)
    dep = dep.when(davg > 0).then(params["dep_davg_positive_points"]).otherwise(
        params["dep_davg_zero_points"])
    total = (
        _points("education", params["education_points"])
        + _points("marital", params["marital_points"])
        + pl.when(c("farmer_flag") == "1").then(params["farmer_points"]).otherwise(0)
        + pl.when(c("tag_MICRO_OWNER") | (c("cust_type") == "3"))
        .then(params["micro_owner_points"]).otherwise(0)
        + dep.cast(pl.Int64)
        + pl.when(c("tag_MOBILE_ACTIVE")).then(params["mobile_active_points"]).otherwise(0)
    )
    return pl.min_horizontal(total, pl.lit(params["score_cap"])).cast(pl.Int64).alias("score")


def _precredit(cust: pl.DataFrame, d: dt.date, blacklist: pl.DataFrame, key: bytes | None,
               params: Mapping[str, Any]) -> pl.DataFrame:
    c = pl.col
    rows = cust.filter(c("cust_type").is_in(["1", "3"]))
    listed = in_force(blacklist, d)["id_match"].unique().implode()
    if key is None:
        ident = c("id_no")
    else:
        ident = c("id_no").map_elements(lambda v: keyed_hash(key, v), return_dtype=pl.String)
    rows = rows.with_columns(
        (ident.is_in(listed) & _present("id_no")).fill_null(False).alias("_blacklisted"),
        _score(params))
    age = c("age")
    reason = (
        pl.when(age.is_null() | (age < params["age_min"]) | (age > params["age_max"]))
        .then(pl.lit("AGE"))
        .when(c("bad_loan")).then(pl.lit("BAD_LOAN"))
        .when(c("_blacklisted")).then(pl.lit("BLACKLIST"))
        .when(c("credit_amt") > 0).then(pl.lit("HAS_CREDIT"))
        .when(c("score") < params["score_min"]).then(pl.lit("LOW_SCORE"))
        .otherwise(pl.lit(None, pl.String))
    )
    rows = rows.with_columns(reason.alias("reject_reason")).with_columns(
        c("reject_reason").is_null().alias("admitted"))
    raw = pl.min_horizontal(
        (c("score") * params["limit_per_point"]).cast(pl.Float64)
        + params["limit_dep_share"] * c("dep_davg_mtd"),
        pl.lit(float(params["limit_cap"])))
    step = float(params["limit_round"])
    limit = pl.when(c("admitted")).then((raw / step).floor() * step).otherwise(None)
    return rows.with_columns(limit.cast(pl.Float64).alias("limit_amt")).select(
        PRECREDIT_COLUMNS)


# --------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------


def compute(deliveries: Mapping[dt.date, Tables],
            blacklist: pl.DataFrame | list[Mapping[str, Any]] | None = None,
            key: bytes | None = None,
            params: Mapping[str, Any] | None = None) -> dict[str, pl.DataFrame]:
    """The four tables of every loaded date, by table name, under the contract's
    column names, sorted by their keys."""
    h = History(deliveries)
    bl = blacklist_frame(blacklist, key)
    prm = precredit_params(params)
    parts: dict[str, list[pl.DataFrame]] = {name: [] for name in TABLES}
    for d in h.dates:
        day = h.days[d]
        cust = _with_tags(_customers(h, day), d)
        parts["customer_profile"].append(_profile(cust))
        parts["customer_tag"].append(_tags(cust))
        parts["opportunity_event"].append(_events(h, day, cust))
        parts["precredit"].append(_precredit(cust, d, bl, key, prm))
    out = {}
    for name, (columns, keys, _) in TABLES.items():
        frame = pl.concat(parts[name], how="vertical_relaxed") if parts[name] else None
        out[name] = (frame.select(columns).sort(keys) if frame is not None
                     else pl.DataFrame(schema={c: pl.String for c in columns}))
    return out


def compute_landing(landing: Path, blacklist: pl.DataFrame | list[Mapping[str, Any]] |
                    None = None, key: bytes | None = None,
                    params: Mapping[str, Any] | None = None) -> dict[str, pl.DataFrame]:
    """The four tables of every complete delivery in ``landing``."""
    return compute(load_landing(landing), blacklist, key, params)


def customer_profile(deliveries: Mapping[dt.date, Tables]) -> pl.DataFrame:
    return compute(deliveries)["customer_profile"]


def customer_tag(deliveries: Mapping[dt.date, Tables]) -> pl.DataFrame:
    return compute(deliveries)["customer_tag"]


def opportunity_event(deliveries: Mapping[dt.date, Tables]) -> pl.DataFrame:
    return compute(deliveries)["opportunity_event"]


def precredit(deliveries: Mapping[dt.date, Tables],
              blacklist: pl.DataFrame | list[Mapping[str, Any]] | None = None,
              key: bytes | None = None,
              params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    return compute(deliveries, blacklist, key, params)["precredit"]
