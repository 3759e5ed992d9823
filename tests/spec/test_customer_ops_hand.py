"""customer-ops.md §1-§5 on the hand-worked delivery (tests/fixtures/deliveries/custops).

Every expected row below was worked out by hand from the rows of data.py; the
comment beside it is the arithmetic. The real pipeline runs on a real DuckDB home
(`puhui run`'s own path: ingestion, the Dagster dbt assets, the audit, publish), and
the rows are read from the published serving copy:

1. D1 = 2026-02-27 (the first loaded date: no P), D2 as first delivered, and D3 =
   2026-03-01, with the bank's blacklist (versions written as §6's loader stores them;
   K12 listed since 2025, K13 listed from D2, K14 removed on D2);
2. then D2 is re-delivered (重发) with loan LB1 overdue one day, which moves K28's
   NEW_OVERDUE from D3 to D2 and its pre-credit on D2 from LOW_SCORE to BAD_LOAN.

Points (seed precredit_parameters, the contract's values): education 10→20, 20→18,
30→14, 40→10, 50/empty→6; marital 2→15, 1→10, 3/4/empty→8; 农户 10; MICRO_OWNER or
个体工商户 10; dep_davg_mtd ≥500,000→35, ≥100,000→28, ≥50,000→22, ≥10,000→15, >0→8,
0→0; MOBILE_ACTIVE 10. Limit = min(300,000, score × 2,000 + 0.5 × dep_davg_mtd) rounded
down to 1,000. USD is 7.10 / 7.20 / 7.00 on D1 / D2 / D3.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dagster_project.dbt_build import build
from dagster_project.ingest.pii import hmac_hex
from dagster_project.manual.schema import ensure_manual
from dagster_project.pipeline import run_pending
from dagster_project.resources.duckdb import connect_warehouse
from dagster_project.settings import Settings
from tests.fixtures.customer_ops import PII_COLUMNS, TABLES, TAGS
from tests.fixtures.deliveries.builder import write_delivery
from tests.fixtures.deliveries.custops.data import PII_VALUES, id_no, rows_on, write_landing

pytestmark = [pytest.mark.slow]

D1, D2, D3 = dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 1)
NULL = None
ALL = (D1, D2, D3)
KEY = "custops-hand-test-key"  # the PII key of the test home (settings.pii_key)

# The bank's blacklist (§6): (ID number, 列入日期, 移出日期); the last matches nobody.
BLACKLIST = [
    (id_no("K12", "19880808"), dt.date(2025, 1, 1), None),
    (id_no("K13", "19901010"), D2, None),  # in force from D2
    (id_no("K14", "19921212"), dt.date(2025, 1, 1), D2),  # D < 移出日期: D1 only
    ("110101199001011234", dt.date(2025, 1, 1), None),
]

# ---------------------------------------------------------------------------------------
# §4 opportunity events: (biz_date, event_type, cust_no, ref_no, amount, due_date, mgr, org)
# ---------------------------------------------------------------------------------------
Event = tuple[dt.date, str, str, str, float, dt.date | None, str, str]
M01, M02 = ("M01", "400111"), ("M02", "300011")
EVENTS: list[Event] = [
    # D1, the first loaded date: no P, so every window "(P, D]" is "<= D"
    # TA1 matures 03-29 = D1 + 30 (<= D1 + 30): raised on D1
    (D1, "TD_MATURE", "K21", "TA1", 100_000, dt.date(2026, 3, 29), *M01),
    # TA2 matured 02-20, still status 1 with a balance: <= D1 + 30, raised on the first date
    (D1, "TD_MATURE", "K21", "TA2", 30_000, dt.date(2026, 2, 20), *M01),
    # LA4 matures 03-29 = D1 + 30, class 1, balance 20,000
    (D1, "LOAN_MATURE", "K22", "LA4", 20_000, dt.date(2026, 3, 29), *M01),
    # K19 debits 50,000 on D1; no P, so the 50 % condition holds
    (D1, "BIG_OUTFLOW", "K19", "", 50_000, NULL, *M01),
    # K27 credits USD 10,000 x 7.10 (FX of D1) = 71,000 >= 50,000
    (D1, "BIG_INFLOW", "K27", "", 71_000, NULL, *M01),
    # CL12 started 2025-06-01: start + 30 <= D1, K12 has no loan (the first date: "<= D")
    (D1, "LIMIT_UNUSED_30D", "K12", "CL12", 100_000, NULL, *M01),
    # CL12B started 01-28 = D1 − 30: start + 30 = D1
    (D1, "LIMIT_UNUSED_30D", "K12", "CL12B", 50_000, NULL, *M01),
    # L10 overdue 100 days on D1, no P (counts as 0): overdue_prin 10,000 + int 1,500
    (D1, "NEW_OVERDUE", "K10", "L10", 11_500, NULL, *M01),
    # L11 overdue 5 days on D1: 2,000 + 100
    (D1, "NEW_OVERDUE", "K11", "L11", 2_100, NULL, *M01),
    # D2 (P = D1): TA1 at P + 30 = 03-29 is not raised again; TA3 at 03-30 = D2 + 30 is
    (D2, "TD_MATURE", "K21", "TA3", 40_000, dt.date(2026, 3, 30), *M01),
    # LA1 at 03-30 = D2 + 30 (LA4 at P + 30 is not; LA5 has balance 0; L10 is 次级)
    (D2, "LOAN_MATURE", "K22", "LA1", 80_000, dt.date(2026, 3, 30), *M01),
    # K23: 30,000 + 20,000 = 50,000 >= 50,000 and = 50 % of its 100,000 on P; owner M02
    (D2, "BIG_OUTFLOW", "K23", "", 50_000, NULL, *M02),
    # K25 is new on D2 (absent on P: the 50 % condition holds): 60,000
    (D2, "BIG_OUTFLOW", "K25", "", 60_000, NULL, *M01),
    # K18: 30,000 + 20,000 = 50,000 (exactly the threshold)
    (D2, "BIG_INFLOW", "K18", "", 50_000, NULL, *M01),
    # K25: its opening credit 70,000
    (D2, "BIG_INFLOW", "K25", "", 70_000, NULL, *M01),
    # CL15 started 01-29 = D2 − 30: start + 30 = D2 in (D1, D2]
    (D2, "LIMIT_UNUSED_30D", "K15", "CL15", 80_000, NULL, *M01),
    # LB1 overdue 1 day on D2 (corrected delivery), 0 on P: 500 + 20
    (D2, "NEW_OVERDUE", "K28", "LB1", 520, NULL, *M01),
    # D3 (P = D2): TA4 at 03-31 = D3 + 30, USD 1,000 x 7.00 (TA3 at P + 30 is not raised)
    (D3, "TD_MATURE", "K21", "TA4", 7_000, dt.date(2026, 3, 31), *M01),
    # L11 at 03-31 = D3 + 30: 关注 (class 2), balance 40,000 > 0
    (D3, "LOAN_MATURE", "K11", "L11", 40_000, dt.date(2026, 3, 31), *M01),
    # CL16 started 01-30 = D3 − 30: start + 30 = D3
    (D3, "LIMIT_UNUSED_30D", "K16", "CL16", 60_000, NULL, *M01),
    # LB2 is new on D3 (absent on P counts as 0), overdue 3 days: 300 + 30
    (D3, "NEW_OVERDUE", "K29", "LB2", 330, NULL, *M01),
]
# Not raised anywhere: TA5 (frozen), TA6 (balance 0), K19 on D2 (50,000 < 50 % of
# 1,000,000), K24 on D2 (50,000 < 50 % of 100,000.02 = 50,000.01), K26 (49,999.99 each
# way), K18 on D3 (49,999.99), CL17 (K17 has a loan), CL17B (status 0), CL20 (K20 has a
# loan), K11/K10 on D2 and D3 (already overdue on P).

# As first delivered, LB1 was not overdue on D2, so its event was raised on D3 instead:
# overdue 2 days, 1,000 + 50.
EVENTS_FIRST: list[Event] = [
    *(e for e in EVENTS if e[3] != "LB1"),
    (D3, "NEW_OVERDUE", "K28", "LB1", 1_050, NULL, *M01),
]

# ---------------------------------------------------------------------------------------
# §5 pre-credit: cust_no -> (admitted, reject_reason, score, limit_amt) on D1, D2, D3
# ---------------------------------------------------------------------------------------
Pre = tuple[bool, str | None, int, float | None]


def ok(score: int, limit: float) -> Pre:
    return (True, None, score, limit)


def no(reason: str, score: int) -> Pre:
    return (False, reason, score, None)


PRECREDIT: dict[str, tuple[Pre | None, Pre, Pre]] = {
    # 20 + 15 + 10 农户 + 10 小微企业主 + 35 (500,000) + 10 mobile = 100 (the cap);
    # min(300,000, 100 x 2,000 + 0.5 x 500,000 = 450,000) = 300,000
    "K01": (ok(100, 300_000),) * 3,
    # 18 + 10 + 22 (99,999) = 50: 100,000 + 49,999.5 = 149,999.5 → 149,000;
    # D2 dep_davg (99,999 + 100,001) / 2 = 100,000 → 28: 56, 112,000 + 50,000 = 162,000;
    # D3 (March) 40,000 → 15: 43, 86,000 + 20,000 = 106,000
    "K02": (ok(50, 149_000), ok(56, 162_000), ok(43, 106_000)),
    # 6 + 10 + 10 农户 + 15 (10,000) = 41; 17 on D1 (born 2008-02-28), 18 on D2:
    # 82,000 + 5,000 = 87,000
    "K03": (no("AGE", 41), ok(41, 87_000), ok(41, 87_000)),
    # 6 + 8 (both empty) + 28 (200,000) = 42: 84,000 + 100,000; born 1960-03-01: 66 on D3
    "K04": (ok(42, 184_000), ok(42, 184_000), no("AGE", 42)),
    # 14 + 8 + 8 (9,999.99 > 0) = 30 < 40
    "K05": (no("LOW_SCORE", 30),) * 3,
    # 10 + 8 + 10 农户 + 15 = 43: 86,000 + 5,000
    "K06": (ok(43, 91_000),) * 3,
    # 14 + 10 + 15 = 39 < 40
    "K07": (no("LOW_SCORE", 39),) * 3,
    # 10 + 15 + 15 = 40 (>= 40): 80,000 + 5,000
    "K08": (ok(40, 85_000),) * 3,
    # no birth date: age NULL → AGE (18 + 15 + 22 = 55)
    "K09": (no("AGE", 55),) * 3,
    # 66 and an NPL loan: AGE comes first (6 + 15 + 0 = 21)
    "K10": (no("AGE", 21),) * 3,
    # L11 overdue (关注): BAD_LOAN (18 + 15 = 33)
    "K11": (no("BAD_LOAN", 33),) * 3,
    # blacklisted and holding credit: BLACKLIST comes first (18 + 15 + 22 = 55)
    "K12": (no("BLACKLIST", 55),) * 3,
    # 20 + 10 + 28 (120,000) = 58: 116,000 + 60,000; listed from D2
    "K13": (ok(58, 176_000), no("BLACKLIST", 58), no("BLACKLIST", 58)),
    # 10 + 15 + 15 = 40: removed on D2 (in force while D < 移出日期): 80,000 + 15,000
    "K14": (no("BLACKLIST", 40), ok(40, 95_000), ok(40, 95_000)),
    # CL15 80,000 valid: HAS_CREDIT (14 + 15 + 22 = 51)
    "K15": (no("HAS_CREDIT", 51),) * 3,
    # CL16 60,000 valid from 01-30: HAS_CREDIT (6 + 8 + 0 = 14)
    "K16": (no("HAS_CREDIT", 14),) * 3,
    # CL17 200,000 (CL17B status 0 is no credit): HAS_CREDIT (20 + 15 + 0 = 35)
    "K17": (no("HAS_CREDIT", 35),) * 3,
    # 个体工商户: 14 + 15 + 10 + 28 (123,457) = 67: 134,000 + 61,728.5 = 195,728.5 → 195,000
    "K18": (ok(67, 195_000),) * 3,
    # 20 + 15 + 35 (1,000,000) = 70: 140,000 + 500,000 capped at 300,000
    "K19": (ok(70, 300_000),) * 3,
    # 10 + 15 + 10 农户 + 28 = 63; dep_davg 197,100 / 197,150 / 197,000:
    # 126,000 + 98,550 / 98,575 / 98,500 → 224,000 each day
    "K21": (ok(63, 224_000),) * 3,
    # 18 + 15 + 0 = 33
    "K22": (no("LOW_SCORE", 33),) * 3,
    # 18 + 15 + 28 (100,000) = 61: 122,000 + 50,000; D2 (100,000 + 50,000) / 2 = 75,000
    # → 22: 55, 110,000 + 37,500 = 147,500 → 147,000; D3 50,000: 110,000 + 25,000
    "K23": (ok(61, 172_000), ok(55, 147_000), ok(55, 135_000)),
    # 6 + 10 + 28 (100,000.02) = 44: 88,000 + 50,000.01 → 138,000; then 75,000.02 and
    # 50,000.02 → 22: 38 < 40
    "K24": (ok(44, 138_000), no("LOW_SCORE", 38), no("LOW_SCORE", 38)),
    # new on D2: dep_davg (0 on D1 + 10,000) / 2 = 5,000 → 8: 20 + 10 + 8 = 38;
    # D3 10,000 → 15: 45, 90,000 + 5,000
    "K25": (None, no("LOW_SCORE", 38), ok(45, 95_000)),
    # 18 + 8 + 0 = 26
    "K26": (no("LOW_SCORE", 26),) * 3,
    # 20 + 15 + 22 = 57; USD 10,000: dep_davg 71,000 / 71,500 / 70,000:
    # 114,000 + 35,500 / 35,750 / 35,000 → 149,000 each day
    "K27": (ok(57, 149_000),) * 3,
    # 18 + 15 = 33; LB1 overdue from D2 (corrected delivery): BAD_LOAN
    "K28": (no("LOW_SCORE", 33), no("BAD_LOAN", 33), no("BAD_LOAN", 33)),
    # 10 + 15 = 25; LB2 (new on D3) overdue: BAD_LOAN
    "K29": (no("LOW_SCORE", 25), no("LOW_SCORE", 25), no("BAD_LOAN", 25)),
}
# K20 is 对公 (no pre-credit row); K30 is 注销 (no row at all).

# ---------------------------------------------------------------------------------------
# §3 tags: cust_no -> the tags held on D1, D2, D3
# ---------------------------------------------------------------------------------------
TAGS_HELD: dict[str, tuple[set[str], set[str], set[str]]] = {
    # farmer_flag 1; owner_cust_no K20; 3 mobile transactions on D1 (in D − 29 … D all three
    # days); dep_davg 500,000 → tier A
    "K01": ({"FARMER", "MICRO_OWNER", "MOBILE_ACTIVE", "HIGH_VALUE"},) * 3,
    "K03": ({"FARMER"},) * 3,
    # 65/65/66; A04 200,000 opened 2015, never a transaction; visited D1 (>= D − 89);
    # P01 in force (P02 lapsed does not count)
    "K04": ({"SENIOR", "DORMANT", "VISITED_90D", "POLICY_HOLDER"},) * 3,
    # 59 on D1, 60 from D2; A05 opened 2025-09-01: > D1 − 180 = 08-31, <= D2 − 180 = 09-01
    "K05": (set(), {"SENIOR", "DORMANT"}, {"SENIOR", "DORMANT"}),
    "K06": ({"FARMER"},) * 3,
    # visited on D2
    "K08": (set(), {"VISITED_90D"}, {"VISITED_90D"}),
    # 66, L10 次级 30,000 in balance
    "K10": ({"SENIOR", "BORROWER", "NPL"},) * 3,
    # L11 关注: a borrower, not NPL
    "K11": ({"BORROWER"},) * 3,
    # credit 150,000 (CL12 + CL12B), no loan
    "K12": ({"CREDIT_UNUSED"},) * 3,
    "K15": ({"CREDIT_UNUSED"},) * 3,
    "K16": ({"CREDIT_UNUSED"},) * 3,
    # credit 200,000 and loan_bal 50,000: a borrower, not CREDIT_UNUSED
    "K17": ({"BORROWER"},) * 3,
    # P03 宽限期 (status 2) counts
    "K18": ({"POLICY_HOLDER"},) * 3,
    # dep_davg 1,000,000; transactions on D1 and D2 (not DORMANT although opened 2015)
    "K19": ({"HIGH_VALUE"},) * 3,
    # 对公: L20 3,000,000; 20,000,000 never moved, account opened 2015; visited D3
    "K20": ({"BORROWER", "DORMANT", "HIGH_VALUE"}, {"BORROWER", "DORMANT", "HIGH_VALUE"},
            {"BORROWER", "DORMANT", "HIGH_VALUE", "VISITED_90D"}),
    # 农户, 60, time deposits opened 2024 without transactions, P04 复效 counts
    "K21": ({"FARMER", "SENIOR", "DORMANT", "POLICY_HOLDER"},) * 3,
    # LA1 80,000 + LA4 20,000 + LA5 0
    "K22": ({"BORROWER"},) * 3,
    "K28": ({"BORROWER"},) * 3,
    # LB2 from D3
    "K29": (set(), set(), {"BORROWER"}),
}
# No tag: K02 (2 mobile transactions), K07, K09, K13, K14, K23-K27 (accounts opened
# 2025-12-01 or later: not DORMANT; K26's balance is 0).

# ---------------------------------------------------------------------------------------
# §2 profile rows of some customers (every column): cust_type, farmer_flag, education,
# marital, region_code, grid_no, mgr_no, org_no, age, dep_bal, dep_davg_mtd, loan_bal,
# credit_amt, mobile_txn_30d, last_txn_date, last_visit_date, policy_cnt, dep_tier
# ---------------------------------------------------------------------------------------
R, G = "321283", "G01"
PROFILE: dict[tuple[dt.date, str], tuple[Any, ...]] = {
    # 45 (born 1980-05-01); 3 mobile transactions on D1 count on D1, D2, D3
    (D1, "K01"): ("1", "1", "10", "2", R, G, *M01, 45, 500_000, 500_000, 0, 0, 3, D1, NULL, 0, "A"),
    (D2, "K01"): ("1", "1", "10", "2", R, G, *M01, 45, 500_000, 500_000, 0, 0, 3, D1, NULL, 0, "A"),
    (D3, "K01"): ("1", "1", "10", "2", R, G, *M01, 45, 500_000, 500_000, 0, 0, 3, D1, NULL, 0, "A"),
    # D1 99,999 → C; D2 (99,999 + 100,001) / 2 = 100,000 → B, mobile 1 + 1;
    # D3 a new month: 40,000 → C, its D3 transaction is at the counter (mobile still 2)
    (D1, "K02"): ("1", "0", "20", "1", R, G, *M01, 36, 99_999, 99_999, 0, 0, 1, D1, NULL, 0, "C"),
    (D2, "K02"): ("1", "0", "20", "1", R, G, *M01, 36, 100_001, 100_000, 0, 0, 2, D2, NULL, 0,
                  "B"),
    (D3, "K02"): ("1", "0", "20", "1", R, G, *M01, 36, 40_000, 40_000, 0, 0, 2, D3, NULL, 0, "C"),
    # born 2008-02-28: 17 on 02-27, 18 from 02-28; owner M02 at 支行 300011
    (D1, "K03"): ("1", "1", "50", "1", R, G, *M02, 17, 10_000, 10_000, 0, 0, 0, NULL, NULL, 0,
                  "C"),
    (D2, "K03"): ("1", "1", "50", "1", R, G, *M02, 18, 10_000, 10_000, 0, 0, 0, NULL, NULL, 0,
                  "C"),
    # born 1960-03-01: 65, then 66 on 03-01; empty education and marital; P01 only
    (D1, "K04"): ("1", "0", NULL, NULL, R, G, *M01, 65, 200_000, 200_000, 0, 0, 0, NULL, D1, 1,
                  "B"),
    (D3, "K04"): ("1", "0", NULL, NULL, R, G, *M01, 66, 200_000, 200_000, 0, 0, 0, NULL, D1, 1,
                  "B"),
    # born 29 Feb 2000: 25 on 02-28 (the birthday completes on 03-01 in 2026), 26 on 03-01
    (D2, "K06"): ("1", "1", "40", "4", R, G, *M01, 25, 10_000, 10_000, 0, 0, 0, NULL, NULL, 0,
                  "C"),
    (D3, "K06"): ("1", "1", "40", "4", R, G, *M01, 26, 10_000, 10_000, 0, 0, 0, NULL, NULL, 0,
                  "C"),
    # no birth date: age NULL
    (D1, "K09"): ("1", "0", "20", "2", R, G, *M01, NULL, 50_000, 50_000, 0, 0, 0, NULL, NULL, 0,
                  "C"),
    # credit CL12 100,000 + CL12B 50,000
    (D1, "K12"): ("1", "0", "20", "2", R, G, *M01, 37, 60_000, 60_000, 0, 150_000, 0, NULL, NULL,
                  0, "C"),
    # credit 200,000 (CL17B status 0 left out), loan 50,000
    (D2, "K17"): ("1", "0", "10", "2", R, G, *M01, 56, 0, 0, 50_000, 200_000, 0, NULL, NULL, 0,
                  "E"),
    # 对公: age NULL, no farmer flag, education, marital or grid
    (D3, "K20"): ("2", NULL, NULL, NULL, R, NULL, *M01, NULL, 20_000_000, 20_000_000, 3_000_000,
                  5_000_000, 0, NULL, D3, 0, "A"),
    # TA1-TA6: 100,000 + 30,000 + 40,000 + USD 1,000 x 7.10 + 20,000 (frozen counts) + 0
    # = 197,100; D2 7,200 → 197,200, dep_davg (197,100 + 197,200) / 2 = 197,150;
    # D3 7,000 → 197,000 (March: D3 alone)
    (D1, "K21"): ("1", "1", "40", "2", R, G, *M01, 60, 197_100, 197_100, 0, 0, 0, NULL, NULL, 1,
                  "B"),
    (D2, "K21"): ("1", "1", "40", "2", R, G, *M01, 60, 197_200, 197_150, 0, 0, 0, NULL, NULL, 1,
                  "B"),
    (D3, "K21"): ("1", "1", "40", "2", R, G, *M01, 60, 197_000, 197_000, 0, 0, 0, NULL, NULL, 1,
                  "B"),
    # LA1 80,000 + LA4 20,000 + LA5 0
    (D1, "K22"): ("1", "0", "20", "2", R, G, *M01, 46, 0, 0, 100_000, 0, 0, NULL, NULL, 0, "E"),
    # (100,000.02 + 50,000.02) / 2 = 75,000.02 on D2
    (D2, "K24"): ("1", "0", "50", "1", R, G, *M01, 41, 50_000.02, 75_000.02, 0, 0, 0, D2, NULL, 0,
                  "C"),
    # new on D2: absent on D1 counts 0 → (0 + 10,000) / 2 = 5,000 (tier D)
    (D2, "K25"): ("1", "0", "10", "1", R, G, *M01, 30, 10_000, 5_000, 0, 0, 0, D2, NULL, 0, "D"),
    (D3, "K25"): ("1", "0", "10", "1", R, G, *M01, 30, 10_000, 10_000, 0, 0, 0, D2, NULL, 0, "C"),
    # USD 10,000 at 7.10 / 7.20: dep_davg (71,000 + 72,000) / 2 = 71,500
    (D2, "K27"): ("1", "0", "10", "2", R, G, *M01, 36, 72_000, 71_500, 0, 0, 0, D1, NULL, 0, "C"),
}
# K01-K29 are on file on D1 except K25 (new on D2); K30 is 注销 (status 0)
PROFILE_CNT = {D1: 28, D2: 29, D3: 29}


# ---------------------------------------------------------------------------------------
# the runs
# ---------------------------------------------------------------------------------------
Published = dict[str, list[tuple[Any, ...]]]


@dataclass
class Runs:
    first: Published  # serving copy after D1, D2 as first delivered, D3
    final: Published  # after the re-delivery of D2
    settings: Settings


def plant_blacklist(settings: Settings) -> None:
    """The blacklist as the §6 loader stores it: one version, entries keyed by the hash."""
    key = settings.resolved_pii_key()
    con = connect_warehouse(settings)
    try:
        ensure_manual(con)
        con.execute("insert into manual.blacklist_version (version_id, loaded_at, loaded_by, "
                    "file_name, file_sha256, entry_cnt) values (1, timestamp '2026-02-26 "
                    "09:00:00', 'hand test', 'blacklist.csv', 'test', ?)", [len(BLACKLIST)])
        for line, (number, listed, removed) in enumerate(BLACKLIST, start=2):
            con.execute("insert into manual.blacklist_entry (version_id, line_no, id_no_hash, "
                        "name_masked, reason, listed_date, removed_date) "
                        "values (1, ?, ?, '某*', '法院执行', ?, ?)",
                        [line, hmac_hex(key, number), listed, removed])
    finally:
        con.close()


def published(settings: Settings) -> Published:
    with duckdb.connect(str(settings.serving_path), read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in TABLES}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("custops")
    landing = root / "landing"
    settings = Settings(home=root / "home", pii_key=KEY)
    settings.ensure_dirs()
    write_landing(landing, first=True)
    plant_blacklist(settings)
    said: list[str] = []
    report = run_pending(settings, landing, say=said.append)
    assert report.ok and report.loaded == list(ALL), "\n".join(said)
    first = published(settings)
    shutil.rmtree(landing / "20260228")  # 重发: the whole folder again, with a new DONE
    write_delivery(landing, D2, rows_on(D2))
    report = run_pending(settings, landing, say=said.append)
    assert report.ok and report.loaded == [D2], "\n".join(said)
    return Runs(first, published(settings), settings)


def _events(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted((d, t, c, r, round(a, 2), due, m, o) for d, t, c, r, a, due, m, o in rows)


def _expected_events(events: list[Event]) -> list[tuple[Any, ...]]:
    return sorted((d, t, c, r, round(float(a), 2), due, m, o)
                  for d, t, c, r, a, due, m, o in events)


# ---------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------


def test_events_are_raised_once_on_the_first_date_their_window_holds(runs: Runs) -> None:
    assert _events(runs.final["opportunity_event"]) == _expected_events(EVENTS)
    # every type raised at least once, with ref_no empty exactly for the two flows
    assert {e[1] for e in EVENTS} == {
        "TD_MATURE", "LOAN_MATURE", "BIG_OUTFLOW", "BIG_INFLOW", "LIMIT_UNUSED_30D",
        "NEW_OVERDUE"}


def test_a_redelivery_recomputes_its_date_and_every_later_one(runs: Runs) -> None:
    # as first delivered, LB1 was raised on D3; the corrected D2 raises it on D2 instead
    assert _events(runs.first["opportunity_event"]) == _expected_events(EVENTS_FIRST)
    first = {(r[0], r[1]): r for r in runs.first["precredit"]}
    assert first[(D2, "K28")] == (D2, "K28", False, "LOW_SCORE", 33, None)
    final = {(r[0], r[1]): r for r in runs.final["precredit"]}
    assert final[(D2, "K28")] == (D2, "K28", False, "BAD_LOAN", 33, None)
    # nothing else moved
    changed = {k for k in first.keys() | final.keys() if first.get(k) != final.get(k)}
    assert changed == {(D2, "K28")}
    assert runs.first["customer_tag"] == runs.final["customer_tag"]


def test_precredit_admission_order_score_bands_and_limits(runs: Runs) -> None:
    expected = sorted(
        (d, cust, *day)
        for cust, days in PRECREDIT.items() for d, day in zip(ALL, days, strict=True)
        if day is not None)
    got = [(d, c, a, r, s, None if lim is None else float(lim))
           for d, c, a, r, s, lim in runs.final["precredit"]]
    assert got == expected
    # every reason and the admitted case occur
    assert {p[1] for days in PRECREDIT.values() for p in days if p} == {
        None, "AGE", "BAD_LOAN", "BLACKLIST", "HAS_CREDIT", "LOW_SCORE"}


def test_tags_held_on_each_date(runs: Runs) -> None:
    expected = sorted((d, cust, tag) for cust, days in TAGS_HELD.items()
                      for d, tags in zip(ALL, days, strict=True) for tag in tags)
    assert runs.final["customer_tag"] == expected
    assert {t for *_, t in expected} == set(TAGS)  # every tag is held by someone


def test_profile_rows(runs: Runs) -> None:
    rows = {(r[0], r[1]): r for r in runs.final["customer_profile"]}
    for d, n in PROFILE_CNT.items():
        assert sum(1 for k in rows if k[0] == d) == n, d
    assert not any(c == "K30" for _, c in rows)  # 注销
    for (d, cust), want in PROFILE.items():
        got = rows[(d, cust)][2:]
        assert got == pytest.approx(want, abs=0.005), (d, cust)


def test_published_tables_have_exactly_the_contract_columns_and_no_pii(runs: Runs) -> None:
    with duckdb.connect(str(runs.settings.serving_path), read_only=True) as con:
        for table, columns in TABLES.items():
            got = tuple(r[0] for r in con.execute(f"describe {table}").fetchall())
            assert got == columns, table
            assert not set(got) & PII_COLUMNS
        # no name, ID number or phone of the delivery in any text column (nor its hash)
        key = runs.settings.resolved_pii_key()
        hashes = {hmac_hex(key, v) for v in PII_VALUES}
        for table in TABLES:
            for row in con.execute(f"select * from {table}").fetchall():
                texts = {v for v in row if isinstance(v, str)}
                assert not texts & (PII_VALUES | hashes), table


def test_incremental_nights_equal_a_full_refresh(runs: Runs, tmp_path: Path) -> None:
    """The night by night build (with the re-delivery rebuild from D2) gives exactly the
    tables a full refresh of the same raw layer gives."""
    full = Settings(home=tmp_path / "full", pii_key=KEY)
    full.ensure_dirs()
    shutil.copy(runs.settings.warehouse_path, full.warehouse_path)
    build(full, full_refresh=True,
          select="+customer_profile +customer_tag +opportunity_event +precredit")
    con = duckdb.connect()
    try:
        con.execute(f"attach '{runs.settings.warehouse_path}' as inc (read_only)")
        con.execute(f"attach '{full.warehouse_path}' as rebuilt (read_only)")
        for table in TABLES:
            diff = con.execute(
                f"select (select count(*) from (select * from inc.marts.{table} except all "
                f"select * from rebuilt.marts.{table})) + (select count(*) from (select * from "
                f"rebuilt.marts.{table} except all select * from inc.marts.{table}))").fetchone()
            assert diff == (0,), table
    finally:
        con.close()
