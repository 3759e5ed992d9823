"""The customer-ops reference (tests/reference/customer_ops.py) on hand-built deliveries.

Each test writes a few tiny, contract-exact delivery folders (tests/fixtures/deliveries
/builder.py: GB18030, ``|``, control files, DONE) and runs the reference on them, so the
file reading is exercised too. Every expected value is worked out by hand in the
comments from customer-ops.md; the READING numbers refer to the reference's docstring.

Some runs load dates with calendar gaps between them. The contract's dates have none
once loading has begun; the gaps only keep a test small, and the rule they check is
"only loaded dates inside a window contribute" (§1).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from dagster_project.ingest.pii import hmac_hex
from tests.fixtures.deliveries.builder import write_delivery
from tests.reference.customer_ops import (
    PRECREDIT_DEFAULTS,
    TABLES,
    compute_landing,
    keyed_hash,
    precredit_params,
)

Row = dict[str, Any]
date = dt.date
OLD = date(2020, 1, 1)  # an account opened long ago
BORN = date(1980, 1, 1)  # a customer of 46
FAR = date(2030, 12, 31)  # a maturity far away

ORGS = [
    {"org_no": "100000", "org_name": "省联社", "org_level": 1, "status": "1"},
    {"org_no": "200001", "org_name": "某农商行", "org_level": 2, "parent_org_no": "100000",
     "legal_org_no": "200001", "status": "1"},
    {"org_no": "400001", "org_name": "城关网点", "org_level": 4, "parent_org_no": "200001",
     "legal_org_no": "200001", "status": "1"},
    {"org_no": "400002", "org_name": "乡镇网点", "org_level": 4, "parent_org_no": "200001",
     "legal_org_no": "200001", "status": "1"},
]
MGRS = [
    {"mgr_no": "M1", "org_no": "400001", "status": "1"},
    {"mgr_no": "M2", "org_no": "400002", "status": "1"},
    {"mgr_no": "M3", "org_no": "400002", "status": "0"},  # 离岗: still the owner's org
]
_ids = itertools.count(1)


def fx(usd: float = 7) -> list[Row]:
    return [{"ccy": "CNY", "rate_to_cny": 1}, {"ccy": "USD", "rate_to_cny": usd}]


def cust(no: str, *, cust_type: str = "1", birth: date | None = BORN,
         **kw: Any) -> Row:
    personal = cust_type != "2"
    row = {"cust_no": no, "cust_name": "张三" if personal else "某公司", "cust_type": cust_type,
           "id_type": "01" if personal else "02", "id_no": f"ID-{no}",
           "birth_date": birth if personal else None, "farmer_flag": "0" if personal else None,
           "mgr_no": "M1", "status": "1"}
    row.update(kw)
    return row


def acct(no: str, cust_no: str, balance: float, *, ccy: str = "CNY", open_date: date = OLD,
         mature: date | None = None, status: str = "1") -> Row:
    return {"acct_no": no, "cust_no": cust_no, "org_no": "400001",
            "subject_code": "20110101" if mature is None else "20110102", "ccy": ccy,
            "balance": balance, "open_date": open_date, "mature_date": mature,
            "status": status}


def loan(no: str, cust_no: str, balance: float, *, ccy: str = "CNY", five_class: str = "1",
         overdue_days: int = 0, prin: float = 0, int_: float = 0, mature: date = FAR,
         status: str = "1") -> Row:
    return {"loan_no": no, "cust_no": cust_no, "org_no": "400001", "subject_code": "13030101",
            "ccy": ccy, "balance": balance, "mature_date": mature, "five_class": five_class,
            "overdue_days": overdue_days, "overdue_prin": prin, "overdue_int": int_,
            "status": status}


def limit(no: str, cust_no: str, amt: float, start: date, end: date = FAR,
          status: str = "1") -> Row:
    return {"limit_no": no, "cust_no": cust_no, "org_no": "400001", "limit_amt": amt,
            "start_date": start, "end_date": end, "status": status}


def txn(acct_no: str, d: date, amount: float, dr_cr: str = "D", channel: str = "1") -> Row:
    return {"txn_id": f"T{next(_ids)}", "acct_no": acct_no,
            "txn_time": dt.datetime.combine(d, dt.time(10)), "amount": amount, "dr_cr": dr_cr,
            "channel": channel}


def visit(cust_no: str | None, d: date, mgr: str = "M2") -> Row:
    return {"visit_id": f"V{next(_ids)}", "mgr_no": mgr, "cust_no": cust_no,
            "visit_time": dt.datetime.combine(d, dt.time(9))}


def policy(no: str, cust_no: str, status: str) -> Row:
    return {"policy_no": no, "cust_no": cust_no, "org_no": "400001", "pay_freq": "2",
            "status": status}


def delivery(usd: float = 7, **tables: Sequence[Row]) -> dict[str, Sequence[Row]]:
    """One date's tables: the org tree, managers and FX above, the rest as given."""
    out: dict[str, Sequence[Row]] = {
        "ORG_INFO": ORGS, "CUST_MGR": MGRS, "FX_RATE": fx(usd), "CUST_INFO": [],
        "DEP_ACCT": [], "LOAN_DUEBILL": [], "CREDIT_LIMIT": [], "LOAN_REPAY": [],
        "DEP_TXN": [], "GRID": [], "VISIT_LOG": [], "INS_POLICY": []}
    out.update(tables)
    return out


def run(tmp_path: Path, days: Mapping[date, Mapping[str, Sequence[Row]]],
        **kw: Any) -> dict[str, pl.DataFrame]:
    landing = tmp_path / "landing"
    for d, tables in days.items():
        write_delivery(landing, d, tables)
    out = compute_landing(landing, **kw)
    for name, (columns, keys, _) in TABLES.items():  # the contract's columns, unique keys
        assert tuple(out[name].columns) == columns, name
        assert out[name].select(keys).is_duplicated().sum() == 0, name
    return out


def row(frame: pl.DataFrame, d: date, cust_no: str) -> dict[str, Any]:
    [r] = frame.filter((pl.col("biz_date") == d) & (pl.col("cust_no") == cust_no)).to_dicts()
    return r


def tags(out: dict[str, pl.DataFrame], d: date) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for r in out["customer_tag"].filter(pl.col("biz_date") == d).iter_rows(named=True):
        held.setdefault(r["cust_no"], set()).add(r["tag_code"])
    return held


# --------------------------------------------------------------------------------------
# §2 customer profile
# --------------------------------------------------------------------------------------

J30, J31, F01 = date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1)


def test_profile_columns_across_a_month_end(tmp_path: Path) -> None:
    def day(d: date) -> dict[str, Sequence[Row]]:
        bal_a1 = {J30: 1000, J31: 3000, F01: 2000}[d]
        custs = [
            cust("C1", birth=date(1966, 2, 1), farmer_flag="1", education="20", marital="2",
                 region_code="411623", grid_no="G1", mgr_no="M2" if d == F01 else "M1"),
            cust("C2", cust_type="2", mgr_no="M3"),
            cust("C3", status="0"),  # 注销: no row
            cust("C5", birth=None, mgr_no=None),
        ]
        accts = [acct("A1", "C1", bal_a1), acct("A2", "C1", 100, ccy="USD", mature=FAR),
                 acct("A3C3", "C3", 5000)]
        if d == J31:
            accts.append(acct("A3", "C1", 0, status="0"))  # closed today, absent after
        if d >= J31:
            custs.append(cust("C4"))  # new on 31 January
            accts.append(acct("A4", "C4", 4000))
        txns = {J30: [txn("A1", J30, 10, "C", "2")],
                J31: [txn("A1", J31, 5, "D", "2"), txn("A2", J31, 1, "D", "1")],
                F01: []}[d]
        visits = [visit("C1", J30, mgr="M2"), visit(None, J30)] if d == J30 else []
        return delivery(
            usd=7.5 if d == F01 else 7,
            CUST_INFO=custs, DEP_ACCT=accts,
            LOAN_DUEBILL=[loan("L1", "C1", 50_000), loan("L2", "C1", 9_999, status="3"),
                          loan("L3", "C1", 1_000, ccy="USD")],
            CREDIT_LIMIT=[limit("E1", "C1", 100_000, date(2025, 6, 1), date(2026, 5, 31)),
                          limit("E2", "C1", 50_000, date(2025, 6, 1), status="0"),
                          limit("E3", "C1", 30_000, date(2025, 1, 1), J30),
                          limit("E4", "C1", 20_000, J31, date(2027, 1, 31)),
                          limit("E5", "C5", 0.01, date(2025, 1, 1), status="0")],
            DEP_TXN=txns, VISIT_LOG=visits,
            INS_POLICY=[policy(f"P{s}", "C1", s) for s in "12345"])

    out = run(tmp_path, {d: day(d) for d in (J30, J31, F01)})
    prof = out["customer_profile"]
    # rows: status-1 customers of each date (C3 never; C4 from 31 January)
    assert prof.group_by("biz_date").len().sort("biz_date").rows() == [(J30, 3), (J31, 4),
                                                                         (F01, 4)]
    c1 = {d: row(prof, d, "C1") for d in (J30, J31, F01)}
    same = {"cust_type": "1", "farmer_flag": "1", "education": "20", "marital": "2",
            "region_code": "411623", "grid_no": "G1",
            "policy_cnt": 3,  # statuses 1, 2, 4 of 1-5
            "last_visit_date": J30}  # the J30 visit, by another manager, still the latest
    for d in (J30, J31, F01):
        assert {k: c1[d][k] for k in same} == same
    # owner: M1 (400001) until M2 (400002) takes over on 1 February
    assert [(c1[d]["mgr_no"], c1[d]["org_no"]) for d in (J30, J31, F01)] == [
        ("M1", "400001"), ("M1", "400001"), ("M2", "400002")]
    # age: born 1966-02-01 → 59 on J30 and J31, 60 on the birthday F01
    assert [c1[d]["age"] for d in (J30, J31, F01)] == [59, 59, 60]
    # dep_bal: A1 + A2 (USD 100 × rate) + A3 (0): J30 1000 + 700 = 1700;
    # J31 3000 + 700 + 0 = 3700; F01 2000 + 100 × 7.5 = 2750
    assert [c1[d]["dep_bal"] for d in (J30, J31, F01)] == pytest.approx([1700, 3700, 2750])
    # dep_davg_mtd: J30 1700; J31 (1700 + 3700) / 2 = 2700; F01 a new month: 2750
    assert [c1[d]["dep_davg_mtd"] for d in (J30, J31, F01)] == pytest.approx(
        [1700, 2700, 2750])
    assert [c1[d]["dep_tier"] for d in (J30, J31, F01)] == ["D", "D", "D"]  # > 0, < 10,000
    # loan_bal: L1 50,000 + L3 USD 1,000 × rate; L2 written off (status 3) is not in
    # balance: 57,000 on J30 and J31, 50,000 + 7,500 = 57,500 on F01
    assert [c1[d]["loan_bal"] for d in (J30, J31, F01)] == pytest.approx(
        [57_000, 57_000, 57_500])
    # credit_amt: active limits (status 1, start ≤ D ≤ end): J30 E1 + E3 (ends J30) =
    # 130,000; J31 and F01 E1 + E4 (starts J31) = 120,000; E2 has status 0
    assert [c1[d]["credit_amt"] for d in (J30, J31, F01)] == pytest.approx(
        [130_000, 120_000, 120_000])
    # mobile_txn_30d: channel-2 rows in D − 29 … D: J30 1; J31 2 (the channel-1 row not);
    # F01 still 2 (nothing new, both inside the window)
    assert [c1[d]["mobile_txn_30d"] for d in (J30, J31, F01)] == [1, 2, 2]
    # last_txn_date: J30, J31, then J31 again on F01 (no transaction that day)
    assert [c1[d]["last_txn_date"] for d in (J30, J31, F01)] == [J30, J31, J31]

    # C2, an enterprise with no account, managed by a manager who has left (M3):
    # age NULL, every sum 0, tier E, the manager's org all the same
    c2 = row(prof, J31, "C2")
    assert (c2["age"], c2["dep_bal"], c2["dep_davg_mtd"], c2["loan_bal"], c2["credit_amt"],
            c2["mobile_txn_30d"], c2["policy_cnt"], c2["dep_tier"], c2["last_txn_date"],
            c2["last_visit_date"], c2["mgr_no"], c2["org_no"]) == (
        None, 0, 0, 0, 0, 0, 0, "E", None, None, "M3", "400002")
    # C4, new on J31 with 4,000: absent on J30 counts 0, so (0 + 4000) / 2 = 2000;
    # F01 4000
    assert row(prof, J31, "C4")["dep_davg_mtd"] == pytest.approx(2000)
    assert row(prof, F01, "C4")["dep_davg_mtd"] == pytest.approx(4000)
    # C5: empty birth_date → age NULL; no manager → mgr_no and org_no NULL; its only
    # limit has status 0 → credit_amt 0
    c5 = row(prof, J31, "C5")
    assert (c5["age"], c5["mgr_no"], c5["org_no"], c5["credit_amt"]) == (None, None, None, 0)


def test_dep_tier_boundaries(tmp_path: Path) -> None:
    # one date: dep_davg_mtd = dep_bal of that date
    balances = {"T500K": 500_000, "T499K": 499_999.99, "T100K": 100_000,
                "T99K": 99_999.99, "T10K": 10_000, "T9K": 9_999.99, "T1F": 0.01, "T0": 0}
    custs = [cust(c) for c in balances] + [cust("TNONE")]
    accts = [acct(f"A{c}", c, b) for c, b in balances.items()]
    out = run(tmp_path, {J31: delivery(CUST_INFO=custs, DEP_ACCT=accts)})
    tiers = dict(out["customer_profile"].select("cust_no", "dep_tier").iter_rows())
    assert tiers == {"T500K": "A", "T499K": "B", "T100K": "B", "T99K": "C", "T10K": "C",
                     "T9K": "D", "T1F": "D", "T0": "E", "TNONE": "E"}


# --------------------------------------------------------------------------------------
# §2 / §3: the calendar windows (last 30 days, last 180 days, D − 89)
# --------------------------------------------------------------------------------------

D = date(2026, 6, 30)


def ago(n: int) -> date:
    return D - dt.timedelta(days=n)


def test_window_edges_of_mobile_dormant_and_visits(tmp_path: Path) -> None:
    # loaded dates: D − 180 (1 January), D − 179, D − 90, D − 89, D − 30 (31 May),
    # D − 29 (1 June) and D (30 June)
    dates = [ago(n) for n in (180, 179, 90, 89, 30, 29, 0)]
    names = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"]

    def day(d: date) -> dict[str, Sequence[Row]]:
        custs = [cust(c) for c in names]
        balance = {c: 1000 for c in names}
        balance["W5"] = 0  # a zero balance is never dormant
        if d == D:
            balance["W8"] = 3000  # June: 1000 on D − 29, then 3000
        accts = [acct(f"A{c}", c, balance[c]) for c in names if c not in ("W3", "W4")]
        if d == D:
            accts += [acct("AW3", "W3", 1000, open_date=ago(180)),  # opened exactly D − 180
                      acct("AW4", "W4", 1000, open_date=ago(179))]  # opened D − 179
        txns = []
        if d == ago(180):
            txns += [txn("AW1", d, 1), txn("AW2", d, 1)]  # outside the last 180 days on D
        if d == ago(179):
            txns.append(txn("AW2", d, 1))  # inside
        if d == ago(30):
            txns.append(txn("AW6", d, 1, "C", "2"))  # outside the last 30 days on D
        if d == ago(29):
            txns += [txn("AW6", d, 1, "C", "2"), txn("AW6", d, 1, "D", "2"),
                     txn("AW7", d, 1, "C", "2"), txn("AW7", d, 1, "D", "2")]
        if d == D:
            txns += [txn("AW7", d, 1, "D", "2"), txn("AW7", d, 1, "D", "3")]
        visits = []
        if d == ago(90):
            visits.append(visit("W8", d))
        if d == ago(89):
            visits.append(visit("W9", d))
        return delivery(CUST_INFO=custs, DEP_ACCT=accts, DEP_TXN=txns, VISIT_LOG=visits)

    out = run(tmp_path, {d: day(d) for d in dates})
    prof = out["customer_profile"].filter(pl.col("biz_date") == D)
    p = {r["cust_no"]: r for r in prof.iter_rows(named=True)}
    # mobile_txn_30d on D: W6 2 (its D − 30 row is outside), W7 3 (D − 29 ×2, D ×1; the
    # channel-3 row is not mobile)
    assert (p["W6"]["mobile_txn_30d"], p["W7"]["mobile_txn_30d"]) == (2, 3)
    # last_txn_date over every loaded date ≤ D
    assert (p["W1"]["last_txn_date"], p["W2"]["last_txn_date"], p["W7"]["last_txn_date"],
            p["W3"]["last_txn_date"]) == (ago(180), ago(179), D, None)
    assert (p["W8"]["last_visit_date"], p["W9"]["last_visit_date"]) == (ago(90), ago(89))
    # dep_davg_mtd of W8 on 30 June: the June dates loaded are D − 29 and D:
    # (1000 + 3000) / 2 = 2000 (31 May is another month)
    assert p["W8"]["dep_davg_mtd"] == pytest.approx(2000)
    held = tags(out, D)
    # DORMANT: W1 (its only transaction is on D − 180), W3 (its account opened exactly
    # D − 180), W8 and W9 (no transaction at all, accounts of 2020); not W2 (a
    # transaction on D − 179), W4 (opened D − 179), W5 (balance 0), W6 and W7
    # (transactions in the last 30 days)
    dormant = {c for c, t in held.items() if "DORMANT" in t}
    assert dormant == {"W1", "W3", "W8", "W9"}
    assert {c for c, t in held.items() if "MOBILE_ACTIVE" in t} == {"W7"}
    # VISITED_90D: last_visit_date ≥ D − 89
    assert {c for c, t in held.items() if "VISITED_90D" in t} == {"W9"}
    # on D − 90 itself W8's visit is that day: visited
    assert "VISITED_90D" in tags(out, ago(90))["W8"]


# --------------------------------------------------------------------------------------
# §3 tags
# --------------------------------------------------------------------------------------

T = date(2026, 3, 31)
RECENT = T - dt.timedelta(days=10)  # accounts opened recently are never DORMANT


def test_each_tag_is_held_exactly_when_its_rule_holds(tmp_path: Path) -> None:
    custs = [
        cust("K0"),
        cust("K_FARMER", farmer_flag="1"),
        cust("K_MICRO", owner_cust_no="K_ENT"), cust("K_ENT", cust_type="2"),
        cust("K_BORROW"), cust("K_LOAN0"), cust("K_CREDIT_USED"), cust("K_NPL"),
        cust("K_NPL_WO"), cust("K_MOBILE"), cust("K_MOBILE2"), cust("K_DORMANT"),
        cust("K_DORMANT_TXN"), cust("K_DORMANT_ZERO"), cust("K_DORMANT_NEW"),
        cust("K_SENIOR", birth=date(1966, 3, 31)),  # 60 on T
        cust("K_59", birth=date(1966, 4, 1)),  # 59 on T
        cust("K_VISITED"), cust("K_POLICY"), cust("K_POLICY3"), cust("K_HIGH"),
        cust("K_HIGH2"),
        cust("K_GONE", farmer_flag="1", status="0"),  # not a customer: no tag
    ]
    balance = {"K_DORMANT_ZERO": 0, "K_HIGH": 500_000, "K_HIGH2": 499_999.99}
    opened = {"K_DORMANT": T - dt.timedelta(days=180), "K_DORMANT_TXN": OLD,
              "K_DORMANT_ZERO": OLD, "K_DORMANT_NEW": T - dt.timedelta(days=179)}
    accts = [acct(f"A{c['cust_no']}", c["cust_no"], balance.get(c["cust_no"], 1000),
                  open_date=opened.get(c["cust_no"], RECENT))
             for c in custs if c["cust_type"] != "2"]
    loans = [loan("L_BORROW", "K_BORROW", 10_000),
             loan("L_LOAN0", "K_LOAN0", 0),  # in balance, but loan_bal 0
             loan("L_USED", "K_CREDIT_USED", 1),
             loan("L_NPL", "K_NPL", 5_000, five_class="3"),
             loan("L_NPL_WO", "K_NPL_WO", 5_000, five_class="4", status="3")]
    limits = [limit("E_LOAN0", "K_LOAN0", 50_000, date(2025, 1, 1)),
              limit("E_USED", "K_CREDIT_USED", 50_000, date(2025, 1, 1))]
    txns = [txn("AK_MOBILE", T, 1, "D", "2"), txn("AK_MOBILE", T, 1, "C", "2"),
            txn("AK_MOBILE", T, 1, "D", "2"),
            txn("AK_MOBILE2", T, 1, "D", "2"), txn("AK_MOBILE2", T, 1, "D", "2"),
            txn("AK_MOBILE2", T, 1, "D", "3"),
            txn("AK_DORMANT_TXN", T, 1, "C", "1")]
    out = run(tmp_path, {T: delivery(
        CUST_INFO=custs, DEP_ACCT=accts, LOAN_DUEBILL=loans, CREDIT_LIMIT=limits,
        DEP_TXN=txns, VISIT_LOG=[visit("K_VISITED", T)],
        INS_POLICY=[policy("P2", "K_POLICY", "2"), policy("P3", "K_POLICY3", "3")])})
    held = tags(out, T)
    expected = {
        "K_FARMER": {"FARMER"},
        "K_MICRO": {"MICRO_OWNER"},
        "K_BORROW": {"BORROWER"},
        "K_LOAN0": {"CREDIT_UNUSED"},  # credit 50,000, loan_bal 0
        "K_CREDIT_USED": {"BORROWER"},  # credit 50,000 but loan_bal 1
        "K_NPL": {"BORROWER", "NPL"},
        # K_NPL_WO: written off, not in balance: nothing
        "K_MOBILE": {"MOBILE_ACTIVE"},  # 3 mobile rows
        # K_MOBILE2: 2 mobile rows and 1 online banking: nothing
        "K_DORMANT": {"DORMANT"},  # balance, no transaction, opened exactly T − 180
        # K_DORMANT_TXN (a transaction on T), _ZERO (balance 0), _NEW (opened T − 179): no
        "K_SENIOR": {"SENIOR"},
        "K_VISITED": {"VISITED_90D"},
        "K_POLICY": {"POLICY_HOLDER"},  # status 2 (宽限期) counts, 3 (中止) does not
        "K_HIGH": {"HIGH_VALUE"},  # dep_davg_mtd 500,000 = tier A; 499,999.99 is B
    }
    assert held == expected


# --------------------------------------------------------------------------------------
# §4 opportunity events
# --------------------------------------------------------------------------------------

P0, D1, D2 = J30, J31, F01  # P0 the first loaded date (no P), then D1, D2
# P0 + 30 = 1 March, D1 + 30 = 2 March, D2 + 30 = 3 March
M01, M02, M03 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


def _event_days() -> dict[date, dict[str, Sequence[Row]]]:
    days = {}
    for d in (P0, D1, D2):
        custs = [cust(f"EV{i}") for i in (1, 2, 3, 4, 6, 7, 8, 9, 10, 11)]
        custs.append(cust("EV12", mgr_no="M1" if d == P0 else "M2"))  # owner changes on D1
        custs.append(cust("EV13", status="0"))  # not a customer: raises nothing
        if d >= D1:
            custs.append(cust("EV5"))  # a customer from D1 on
        accts = [
            # EV1's time deposits (mature_date set, status 1, balance > 0 unless stated)
            acct("T_PAST", "EV1", 1_000, mature=date(2026, 1, 15)),
            acct("T_P30", "EV1", 2_000, mature=M01),
            acct("T_D30", "EV1", 3_000, mature=M02),
            acct("T_D31", "EV1", 4_000, mature=M03),
            acct("T_USD", "EV1", 100, ccy="USD", mature=M02),
            acct("T_FROZEN", "EV1", 5_000, mature=M02, status="2"),
            acct("T_ZERO", "EV1", 0, mature=M02),
            acct("T_DEMAND", "EV1", 6_000),
            acct("T_GONE", "EV13", 7_000, mature=M02),
            acct("A3", "EV3", 100_000),
            acct("A4", "EV4", 100_002),
            acct("A9", "EV9", 1_000_000),
        ]
        if d >= D1:
            accts += [acct("A5", "EV5", 0), acct("A6", "EV6", 50_000),
                      acct("A7", "EV7", 0), acct("A8", "EV8", 0),
                      acct("A8U", "EV8", 0, ccy="USD")]
        loans = [
            loan("LN_P30", "EV2", 3_000, five_class="2", mature=M01),
            loan("LN_D30", "EV2", 8_000, five_class="2", mature=M02),
            loan("LN_FC3", "EV2", 8_000, five_class="3", mature=M02),
            loan("LN_ZERO", "EV2", 0, mature=M02),
            loan("LN_SETTLED", "EV2", 5, mature=M02, status="2"),
            loan("L11", "EV11", 1_000),
            # EV12's overdue loans
            loan("OD_NEW", "EV12", 9_000,
                 **({} if d == P0 else {"overdue_days": 3 if d == D1 else 4, "prin": 1_000,
                                         "int_": 23.45})),
            loan("OD_OLD", "EV12", 9_000, overdue_days=2 if d == P0 else 3, prin=200, int_=2),
            loan("OD_WO", "EV12", 9_000, overdue_days=40, prin=9_000, status="3"),
            loan("OD_USD", "EV12", 900, ccy="USD",
                 **({} if d == P0 else {"overdue_days": 1, "prin": 100, "int_": 10})),
        ]
        if d >= D1:
            loans.append(loan("OD_ABSENT", "EV12", 9_000, overdue_days=5, prin=500))
        limits = [
            limit("LM_D30", "EV10", 80_000, date(2026, 1, 1)),  # + 30 = D1
            limit("LM_P30", "EV10", 10_000, date(2025, 12, 31)),  # + 30 = P0
            limit("LM_OLD", "EV10", 20_000, date(2025, 6, 1)),  # long before P0
            limit("LM_D29", "EV10", 30_000, date(2026, 1, 2)),  # + 30 = D2
            limit("LM_USED", "EV11", 40_000, date(2026, 1, 1)),  # EV11 has a loan
            limit("LM_OFF", "EV10", 50_000, date(2026, 1, 1), status="0"),
        ]
        txns = {
            P0: [txn("A3", P0, 100_000, "C"),  # EV3's inflow on the first date
                 txn("A9", P0, 60_000, "D")],  # EV9: no P, so the 50 % test holds
            D1: [txn("A3", D1, 30_000, "D"), txn("A3", D1, 20_000, "D", "2"),
                 txn("A4", D1, 50_000, "D"),
                 txn("A5", D1, 50_000, "D"),
                 txn("A6", D1, 49_999.99, "D"), txn("A6", D1, 50_000, "C"),
                 txn("A7", D1, 49_999.99, "C"),
                 txn("A8U", D1, 5_000, "C"), txn("A8", D1, 15_000, "C")],
            D2: [txn("A6", D2, 50_000, "C")],
        }[d]
        days[d] = delivery(CUST_INFO=custs, DEP_ACCT=accts, LOAN_DUEBILL=loans,
                           CREDIT_LIMIT=limits, DEP_TXN=txns)
    return days


def test_events_at_their_window_edges(tmp_path: Path) -> None:
    out = run(tmp_path, _event_days())
    ev = out["opportunity_event"]

    def on(d: date) -> set[tuple]:
        return set(ev.filter(pl.col("biz_date") == d).select(
            "event_type", "cust_no", "ref_no", pl.col("amount").round(2), "due_date",
            "mgr_no", "org_no").iter_rows())

    m1, m2 = ("M1", "400001"), ("M2", "400002")
    # P0, the first loaded date: every window "(P, D]" is "≤ D"
    assert on(P0) == {
        # mature_date ≤ P0 + 30 (1 March), even one already past
        ("TD_MATURE", "EV1", "T_PAST", 1_000, date(2026, 1, 15), *m1),
        ("TD_MATURE", "EV1", "T_P30", 2_000, M01, *m1),
        ("LOAN_MATURE", "EV2", "LN_P30", 3_000, M01, *m1),
        ("BIG_INFLOW", "EV3", "", 100_000, None, *m1),
        ("BIG_OUTFLOW", "EV9", "", 60_000, None, *m1),  # no P: the 50 % test holds
        # start_date + 30 ≤ P0: P0 itself and long before
        ("LIMIT_UNUSED_30D", "EV10", "LM_P30", 10_000, None, *m1),
        ("LIMIT_UNUSED_30D", "EV10", "LM_OLD", 20_000, None, *m1),
        # no P: overdue on P0 counts as new; 200 + 2
        ("NEW_OVERDUE", "EV12", "OD_OLD", 202, None, *m1),
    }
    assert on(D1) == {
        # 1 March < mature_date ≤ 2 March: exactly D1 + 30; not T_P30 (P + 30); not the
        # frozen, zero-balance or demand accounts, nor EV13 (not a customer)
        ("TD_MATURE", "EV1", "T_D30", 3_000, M02, *m1),
        ("TD_MATURE", "EV1", "T_USD", 700, M02, *m1),  # USD 100 × 7
        # five_class 1 or 2, balance > 0, in balance
        ("LOAN_MATURE", "EV2", "LN_D30", 8_000, M02, *m1),
        # EV3: 30,000 + 20,000 = 50,000 ≥ 50 % of dep_bal on P (100,000)
        ("BIG_OUTFLOW", "EV3", "", 50_000, None, *m1),
        # EV4: 50,000 < 50 % of 100,002; EV5: absent on P, so its dep_bal on P is 0
        ("BIG_OUTFLOW", "EV5", "", 50_000, None, *m1),
        # EV6: credits exactly 50,000 (its 49,999.99 of debits raise nothing); EV7:
        # 49,999.99, nothing; EV8: USD 5,000 × 7 + 15,000 = 50,000
        ("BIG_INFLOW", "EV6", "", 50_000, None, *m1),
        ("BIG_INFLOW", "EV8", "", 50_000, None, *m1),
        # start_date exactly D1 − 30; LM_USED's customer has loan_bal 1,000; LM_OFF status 0
        ("LIMIT_UNUSED_30D", "EV10", "LM_D30", 80_000, None, *m1),
        # 0 on P → > 0 on D1: 1,000 + 23.45; absent on P: 500; USD (100 + 10) × 7 = 770;
        # OD_OLD was already overdue on P; OD_WO is written off. Owned by M2 on D1.
        ("NEW_OVERDUE", "EV12", "OD_NEW", 1_023.45, None, *m2),
        ("NEW_OVERDUE", "EV12", "OD_ABSENT", 500, None, *m2),
        ("NEW_OVERDUE", "EV12", "OD_USD", 770, None, *m2),
    }
    assert on(D2) == {
        ("TD_MATURE", "EV1", "T_D31", 4_000, M03, *m1),  # 3 March = D2 + 30
        # READING 18: a second day of big inflows is a second event (dep_bal of EV6 on
        # P = D1 does not matter for inflows)
        ("BIG_INFLOW", "EV6", "", 50_000, None, *m1),
        ("LIMIT_UNUSED_30D", "EV10", "LM_D29", 30_000, None, *m1),  # start D2 − 30
        # OD_NEW went 3 → 4: not new
    }


def test_events_of_a_date_depend_on_the_previous_loaded_date_only(tmp_path: Path) -> None:
    # D1 alone is a first loaded date: every window is "≤ D1", so T_PAST, T_P30, LN_P30,
    # LM_P30, LM_OLD and OD_OLD are raised on D1 as well; and with no P the 50 % test
    # holds, so EV4's outflow (50,000 < 50 % of 100,002 when P is loaded) is raised too
    out = run(tmp_path, {D1: _event_days()[D1]})
    got = {(r["event_type"], r["ref_no"] or r["cust_no"])
           for r in out["opportunity_event"].iter_rows(named=True)}
    assert got == {
        ("TD_MATURE", "T_PAST"), ("TD_MATURE", "T_P30"), ("TD_MATURE", "T_D30"),
        ("TD_MATURE", "T_USD"), ("LOAN_MATURE", "LN_P30"), ("LOAN_MATURE", "LN_D30"),
        ("BIG_OUTFLOW", "EV3"), ("BIG_OUTFLOW", "EV4"), ("BIG_OUTFLOW", "EV5"),
        ("BIG_INFLOW", "EV6"), ("BIG_INFLOW", "EV8"),
        ("LIMIT_UNUSED_30D", "LM_D30"), ("LIMIT_UNUSED_30D", "LM_P30"),
        ("LIMIT_UNUSED_30D", "LM_OLD"),
        ("NEW_OVERDUE", "OD_NEW"), ("NEW_OVERDUE", "OD_OLD"), ("NEW_OVERDUE", "OD_ABSENT"),
        ("NEW_OVERDUE", "OD_USD"),
    }


# --------------------------------------------------------------------------------------
# §5 pre-credit and §6 the blacklist in force
# --------------------------------------------------------------------------------------

KEY = b"reference-test-key"
BLACKLIST = [  # (cust_no whose id_no is listed, listed_date, removed_date)
    ("B_OVD", T - dt.timedelta(days=10), None),
    ("C_BL", T - dt.timedelta(days=10), None),
    ("C_BL_REMOVED_D", T - dt.timedelta(days=10), T),  # D < removed_date fails: not in force
    ("C_BL_REMOVED_D1", T - dt.timedelta(days=10), T + dt.timedelta(days=1)),  # in force
    ("C_BL_LISTED_D", T, None),  # listed_date ≤ D: in force
    ("C_BL_LISTED_D1", T + dt.timedelta(days=1), None),  # not yet
]


def _precredit_day() -> dict[str, Sequence[Row]]:
    # default customer: education and marital empty (6 + 8), not a farmer, no account
    # (dep_davg_mtd 0 → 0 points): score 14
    c = cust
    custs = [
        c("A_17", birth=date(2008, 4, 1)),  # 17 on T (and a bad loan: AGE comes first)
        c("A_18", birth=date(2008, 3, 31), education="10", marital="2", farmer_flag="1"),
        c("A_65", birth=date(1960, 4, 1), education="20", marital="1"),
        c("A_66", birth=date(1960, 3, 31)),
        c("A_NULL", birth=None),
        c("B_OVD"), c("B_NPL"),
        c("B_WO", education="30", marital="3", farmer_flag="1"),
        c("C_BL"), c("C_BL_REMOVED_D"), c("C_BL_REMOVED_D1"), c("C_BL_LISTED_D"),
        c("C_BL_LISTED_D1"),
        c("D_CREDIT"), c("D_CREDIT_EXPIRED", farmer_flag="1"),
        c("E_40", education="30", marital="4", farmer_flag="1"),
        c("E_TYPE3", cust_type="3", education="40", marital="1"),
        c("E_MICRO", owner_cust_no="X_ENT", education="50", marital="2"),
        c("E_MOBILE", education="20", marital="3"),
        c("F_499", education="10", marital="2"),
        c("F_99", education="40", marital="1"),
        c("X_ENT", cust_type="2"),  # enterprise: no pre-credit row
        c("X_GONE", status="0"),  # not a customer
    ]
    balances = {"A_18": 500_000, "A_65": 10_000, "B_WO": 9_999.99,
                "D_CREDIT_EXPIRED": 10_000, "E_40": 0.01, "E_TYPE3": 50_000,
                "E_MICRO": 49_999.99, "E_MOBILE": 100_000, "F_499": 499_999.99,
                "F_99": 99_999.99}
    accts = [acct(f"A{k}", k, v) for k, v in balances.items()]
    loans = [loan("L_A17", "A_17", 1_000, overdue_days=1),
             loan("L_OVD", "B_OVD", 1_000, overdue_days=1),
             loan("L_NPL", "B_NPL", 1_000, five_class="5"),
             loan("L_WO", "B_WO", 1_000, five_class="5", status="3")]  # written off
    limits = [limit(f"E_{k}", k, 10_000, date(2025, 1, 1))
              for k in ("B_OVD", "C_BL", "C_BL_REMOVED_D", "D_CREDIT")]
    limits.append(limit("E_EXP", "D_CREDIT_EXPIRED", 10_000, date(2025, 1, 1),
                        T - dt.timedelta(days=1)))
    txns = [txn("AE_MOBILE", T, 1, "D", "2") for _ in range(3)]
    return delivery(CUST_INFO=custs, DEP_ACCT=accts, LOAN_DUEBILL=loans,
                    CREDIT_LIMIT=limits, DEP_TXN=txns)


# (admitted, reject_reason, score, limit_amt) worked out by hand:
# score = education + marital + farmer + micro owner/type 3 + dep_davg_mtd + mobile
# limit = floor(min(300,000, score × 2,000 + 0.5 × dep_davg_mtd) / 1,000) × 1,000
EXPECTED = {
    "A_17": (False, "AGE", 14, None),  # 17 < 18
    # 18: 20 + 15 + 10 + 35 (500,000) = 80; 160,000 + 250,000 > 300,000 → the cap
    "A_18": (True, None, 80, 300_000),
    # 65: 18 + 10 + 15 (10,000) = 43; 86,000 + 5,000 = 91,000
    "A_65": (True, None, 43, 91_000),
    "A_66": (False, "AGE", 14, None),
    "A_NULL": (False, "AGE", 14, None),
    "B_OVD": (False, "BAD_LOAN", 14, None),  # overdue 1 day; also listed and credited
    "B_NPL": (False, "BAD_LOAN", 14, None),  # five_class 5, not overdue
    # a written-off loan is not in balance: 14 + 8 + 10 + 8 (9,999.99) = 40;
    # 80,000 + 4,999.995 = 84,999.995 → 84,000
    "B_WO": (True, None, 40, 84_000),
    "C_BL": (False, "BLACKLIST", 14, None),  # also credited: BLACKLIST comes first
    "C_BL_REMOVED_D": (False, "HAS_CREDIT", 14, None),  # removed on D: not in force
    "C_BL_REMOVED_D1": (False, "BLACKLIST", 14, None),
    "C_BL_LISTED_D": (False, "BLACKLIST", 14, None),
    "C_BL_LISTED_D1": (False, "LOW_SCORE", 14, None),  # listed tomorrow: not yet
    "D_CREDIT": (False, "HAS_CREDIT", 14, None),
    # its limit ended yesterday: credit_amt 0; 6 + 8 + 10 + 15 (10,000) = 39 < 40
    "D_CREDIT_EXPIRED": (False, "LOW_SCORE", 39, None),
    # 14 + 8 + 10 + 8 (0.01) = 40 = the minimum; 80,000 + 0.005 → 80,000
    "E_40": (True, None, 40, 80_000),
    # 个体工商户: 10 + 10 + 10 (type 3) + 22 (50,000) = 52; 104,000 + 25,000 = 129,000
    "E_TYPE3": (True, None, 52, 129_000),
    # 小微企业主: 6 + 15 + 10 (MICRO_OWNER) + 15 (49,999.99) = 46;
    # 92,000 + 24,999.995 = 116,999.995 → 116,000
    "E_MICRO": (True, None, 46, 116_000),
    # 18 + 8 + 28 (100,000) + 10 (MOBILE_ACTIVE) = 64; 128,000 + 50,000 = 178,000
    "E_MOBILE": (True, None, 64, 178_000),
    # 20 + 15 + 28 (499,999.99) = 63; 126,000 + 249,999.995 > 300,000 → 300,000
    "F_499": (True, None, 63, 300_000),
    # 10 + 10 + 22 (99,999.99) = 42; 84,000 + 49,999.995 = 133,999.995 → 133,000
    "F_99": (True, None, 42, 133_000),
}


def _result(out: dict[str, pl.DataFrame]) -> dict[str, tuple]:
    return {r["cust_no"]: (r["admitted"], r["reject_reason"], r["score"], r["limit_amt"])
            for r in out["precredit"].iter_rows(named=True)}


def _clear_blacklist() -> list[dict[str, Any]]:
    return [{"id_no": f"ID-{c}", "listed_date": listed, "removed_date": removed}
            for c, listed, removed in BLACKLIST]


def test_admission_rules_in_order_score_bands_and_limit(tmp_path: Path) -> None:
    out = run(tmp_path, {T: _precredit_day()}, blacklist=_clear_blacklist(), key=KEY)
    assert _result(out) == EXPECTED


@pytest.mark.parametrize("form", ["hashed", "clear without a key"])
def test_blacklist_as_the_warehouse_keeps_it_or_in_clear(tmp_path: Path, form: str) -> None:
    # manual.blacklist_current holds id_no_hash (HMAC-SHA256 hex under the home's key)
    if form == "hashed":
        entries = [{"id_no_hash": hmac_hex(KEY, f"ID-{c}"), "listed_date": listed,
                    "removed_date": removed} for c, listed, removed in BLACKLIST]
        out = run(tmp_path, {T: _precredit_day()}, blacklist=pl.DataFrame(entries), key=KEY)
    else:
        out = run(tmp_path, {T: _precredit_day()}, blacklist=_clear_blacklist())
    assert _result(out) == EXPECTED


def test_no_blacklist_lets_the_next_rule_decide(tmp_path: Path) -> None:
    got = _result(run(tmp_path, {T: _precredit_day()}))
    assert got["C_BL"] == (False, "HAS_CREDIT", 14, None)
    assert got["C_BL_LISTED_D"] == (False, "LOW_SCORE", 14, None)
    assert got["B_OVD"] == EXPECTED["B_OVD"]


def test_the_keyed_hash_is_the_warehouse_one() -> None:
    for value in ("110101199003077777", "91410000MA0000000X", "张三"):
        assert keyed_hash(KEY, value) == hmac_hex(KEY, value)


def test_parameters_can_be_overridden(tmp_path: Path) -> None:
    params = {
        "farmer_points": 30,  # A_18: 20 + 15 + 30 + 35 = 100 → capped at 90
        "score_cap": 90,
        # A_18: min(95,700, 90 × 2,000 + 250,000) = 95,700, then down to 95,000 (READING
        # 29: the cap is applied before the rounding)
        "limit_cap": 95_700,
        "score_min": 14,  # the default customer's 14 now passes LOW_SCORE
    }
    got = _result(run(tmp_path, {T: _precredit_day()}, params=params))
    assert got["A_18"] == (True, None, 90, 95_000)
    # 14 points, 0 deposits: 28,000 → 28,000
    assert got["C_BL_LISTED_D1"] == (True, None, 14, 28_000)
    # B_WO is a farmer: 14 + 8 + 30 + 8 = 60; 120,000 + 4,999.995 = 124,999.995 → 95,000
    assert got["B_WO"] == (True, None, 60, 95_000)
    assert PRECREDIT_DEFAULTS["farmer_points"] == 10  # the defaults are untouched
    with pytest.raises(KeyError):
        precredit_params({"no_such_parameter": 1})


def test_age_of_someone_born_on_29_february(tmp_path: Path) -> None:
    # READING 5: born 2008-02-29 → 17 on 2026-02-28, 18 on 2026-03-01
    f28, m01 = date(2026, 2, 28), date(2026, 3, 1)
    day = delivery(CUST_INFO=[cust("LEAP", birth=date(2008, 2, 29), education="10",
                                   marital="2")],
                   DEP_ACCT=[acct("ALEAP", "LEAP", 10_000)])
    out = run(tmp_path, {f28: day, m01: day})
    prof = out["customer_profile"]
    assert [row(prof, d, "LEAP")["age"] for d in (f28, m01)] == [17, 18]
    pre = out["precredit"]
    # 20 + 15 + 15 (10,000) = 50; 100,000 + 5,000 = 105,000
    assert [(row(pre, d, "LEAP")["reject_reason"], row(pre, d, "LEAP")["limit_amt"])
            for d in (f28, m01)] == [("AGE", None), (None, 105_000)]
