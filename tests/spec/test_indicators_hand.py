"""indicators.md on the hand-worked delivery (tests/fixtures/deliveries/hand/data.py).

Every value below was worked out by hand from the rows in data.py; the comment
or the expression beside it is the arithmetic. The reference implementation
must give them, and so must the real pipeline once it exists.

Dates: D1 = 2025-12-31 (its year start 2024-12-31 and month start 2025-11-30 are
not loaded: every change and growth is NULL), D2 = 2026-01-01 and D3 = 2026-01-02
(year start and month start both 2025-12-31, loaded).

Balances per day (CNY; A004 is USD at 7.10 / 7.20 / 7.15):

    deposits  400111: A001 100,000/120,000/115,000  A003 500,000/450,000/480,000
                      A006 8,000/8,000/0 (closed D3)                 = 608,000/578,000/595,000
              400112: A002 200,000  A005 50,000  A007 30,000/35,000/36,000
                                                                     = 280,000/285,000/286,000
              200001 = 888,000 / 863,000 / 881,000
              400211: A004 10,000×7.10 / 10,000×7.20 / 12,000×7.15 = 71,000/72,000/85,800
              400212 (撤并, no rows of its own): A009 7,000 every day
              400213 (opened D3): A008 –/–/5,000
              200002 = 78,000 / 79,000 / 97,800
              100000 = 966,000 / 942,000 / 978,800
    loans in balance (status 1)
              400111: L001 1,000,000/1,000,000/990,000  L002 800,000  L005 50,000
                                                                     = 1,850,000/1,850,000/1,840,000
              400112: L003 300,000/300,000/280,000  L004 150,000  L009 –/–/100,000
                                                                     = 450,000/450,000/530,000
              (L007 核销 30,000 and L008 结清 0 count in no balance)
              200001 = 2,300,000 / 2,300,000 / 2,370,000
              400211: L006 6,000,000/6,000,000/5,900,000
                      L011 USD 20,000×7.10 / 20,000×7.20 / – (结清 D3) = 142,000/144,000/–
              400213: L010 –/–/100,000
              200002 = 6,142,000 / 6,144,000 / 6,000,000
              100000 = 8,442,000 / 8,444,000 / 8,370,000
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from tests.fixtures.deliveries.builder import write_delivery
from tests.fixtures.deliveries.hand import build
from tests.fixtures.deliveries.hand.data import rows_on
from tests.reference.compare import describe, diff_stores, pipeline_missing, published_store
from tests.reference.indicators import MGR_CODES, ORG_CODES, compute_landing

D1, D2, D3 = dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 1, 2)
NULL = None
Expect = tuple[dt.date, str, str, float | None]  # (biz_date, org_no or mgr_no, code, value)

# ---------------------------------------------------------------------------------------
# Deposits 存款 (org 200001 = 400111 + 400112; province 100000)
# ---------------------------------------------------------------------------------------
DEPOSITS: list[Expect] = [
    (D3, "200001", "DEP_BAL", 881_000),  # 595,000 + 286,000
    # 储蓄 20110101/20110102: A001 115,000 + A006 0 + A002 200,000 + A007 36,000
    (D3, "200001", "DEP_BAL_PERSONAL", 351_000),
    # 对公 20110201/20110202/20110301: A003 480,000 + A005 50,000 (冻结 still counts)
    (D3, "200001", "DEP_BAL_CORP", 530_000),
    # 活期 20110101/20110201: A001 115,000 + A006 0 + A007 36,000 + A003 480,000
    (D3, "200001", "DEP_BAL_DEMAND", 631_000),
    (D3, "200001", "DEP_BAL_YTD_CHG", 881_000 - 888_000),  # year start 2025-12-31
    (D3, "200001", "DEP_BAL_MTD_CHG", 881_000 - 888_000),  # month start also 2025-12-31
    (D2, "200001", "DEP_BAL_MTD_CHG", 863_000 - 888_000),
    (D3, "200001", "DEP_DAVG_MTD", (863_000 + 881_000) / 2),  # loaded January days: D2, D3
    (D3, "200001", "DEP_DAVG_YTD", (863_000 + 881_000) / 2),
    (D2, "200001", "DEP_DAVG_MTD", 863_000),  # one loaded day of January
    # D1: the period starts are not loaded → changes NULL (never 0); 日均 over D1 alone
    (D1, "200001", "DEP_BAL_YTD_CHG", NULL),
    (D1, "200001", "DEP_BAL_MTD_CHG", NULL),
    (D1, "200001", "DEP_DAVG_MTD", 888_000),
    (D1, "200001", "DEP_DAVG_YTD", 888_000),
    # FX of the same date: USD 10,000 × 7.20 on D2 (not D1's 7.10)
    (D2, "400211", "DEP_BAL", 72_000),
    # level 1 covers the province: 200001 + A004 + A008 + A009
    (D3, "100000", "DEP_BAL", 881_000 + 12_000 * 7.15 + 5_000 + 7_000),
    (D3, "100000", "DEP_BAL_YTD_CHG", 978_800 - 966_000),
    (D3, "100000", "DEP_DAVG_MTD", (942_000 + 978_800) / 2),
    (D3, "300011", "DEP_BAL", 881_000),  # 支行 = its two 网点
    # READING: a merged (撤并) org's records still roll up by its parent link
    (D1, "300021", "DEP_BAL", 71_000 + 7_000),
    (D3, "200002", "DEP_BAL", 85_800 + 7_000 + 5_000),
    # 400213 did not exist on the loaded start 2025-12-31: its start value is 0
    (D3, "400213", "DEP_BAL_YTD_CHG", 5_000 - 0),
    (D3, "400213", "DEP_BAL_MTD_CHG", 5_000 - 0),
    # READING: on D2, a loaded January day, it did not exist: its value that day is 0
    (D3, "400213", "DEP_DAVG_MTD", (0 + 5_000) / 2),
]

# ---------------------------------------------------------------------------------------
# Loans and asset quality 贷款与资产质量
# ---------------------------------------------------------------------------------------
LOANS: list[Expect] = [
    (D3, "200001", "LOAN_BAL", 2_370_000),
    (D3, "200001", "LOAN_BAL_YTD_CHG", 2_370_000 - 2_300_000),
    (D3, "200001", "LOAN_GROWTH_YTD", 2_370_000 / 2_300_000 - 1),
    (D2, "200001", "LOAN_GROWTH_YTD", 0.0),  # 2,300,000 / 2,300,000 − 1
    (D1, "200001", "LOAN_BAL_YTD_CHG", NULL),
    (D1, "200001", "LOAN_GROWTH_YTD", NULL),
    (D3, "100000", "LOAN_GROWTH_YTD", 8_370_000 / 8_442_000 - 1),
    (D2, "200002", "LOAN_BAL", 6_000_000 + 20_000 * 7.20),  # USD L011 at D2's rate
    # 400213: LOAN_BAL at year start is 0 (did not exist): growth has a zero denominator
    (D3, "400213", "LOAN_GROWTH_YTD", NULL),
    (D3, "400213", "LOAN_BAL_YTD_CHG", 100_000 - 0),
    # "the value on a loaded period-start date of an org that did not exist then" is 0,
    # NPL_RATIO included: NPL_RATIO(D3) = 0 / 100,000 = 0, minus 0
    (D3, "400213", "NPL_RATIO_YTD_CHG", 0.0 - 0),
    # 关注: L005 is class 2 on D1/D2, class 3 on D3
    (D1, "200001", "SM_BAL", 50_000),
    (D3, "200001", "SM_BAL", 0),
    # 不良 3/4/5: L004 150,000 (次级) + L005 50,000 (次级 on D3); L007 (损失) is 核销
    (D3, "200001", "NPL_BAL", 200_000),
    (D1, "200001", "NPL_BAL", 150_000),
    (D3, "200001", "NPL_RATIO", 200_000 / 2_370_000),
    (D3, "200001", "NPL_RATIO_YTD_CHG", 200_000 / 2_370_000 - 150_000 / 2_300_000),
    (D1, "200001", "NPL_RATIO_YTD_CHG", NULL),
    (D3, "200002", "NPL_RATIO", 0.0),  # 0 / 6,000,000
    # 逾期: the whole balance of L004 (120 days) and L005 (17 days)
    (D3, "200001", "OVD_BAL", 150_000 + 50_000),
    (D3, "200001", "OVD_RATIO", 200_000 / 2_370_000),
    (D3, "200001", "OVD90_BAL", 150_000),  # only L004: 120 > 90
    (D3, "200001", "NPL_DEVIATION", 150_000 / 200_000),
    (D1, "200001", "NPL_DEVIATION", 150_000 / 150_000),
    (D3, "200002", "NPL_DEVIATION", NULL),  # NPL_BAL 0: zero denominator
]

# ---------------------------------------------------------------------------------------
# Inclusive finance 普惠金融
#   L001 C001 微型企业, credit CL01 3,000,000            → 1(a)
#   L002 C002 农户 + 小微企业主, credit CL02 5,200,000 > 5M → not 2, but 1(c) ≤ 10M
#   L003 C003 农户 + 小微企业主, credit 300,000            → 1(c) and 2: counted once
#   L004 C004 个体工商户 经营, no valid limit (CL07 失效) → credit = loans 150,000 → 1(b)
#   L009 C008 个体工商户 经营 (new D3), credit = 100,000     → 1(b)
#   L011 C009 个体工商户 经营 at 400211, USD 20,000 on D1/D2, settled on D3: 1(b) until
#        then (credit = its loans in balance, in CNY: 142,000)
#   L005 消费, L006 and L010 大型企业: not inclusive
# ---------------------------------------------------------------------------------------
INCLUSIVE: list[Expect] = [
    (D3, "200001", "INCL_BAL", 990_000 + 800_000 + 280_000 + 150_000 + 100_000),
    (D1, "200001", "INCL_BAL", 1_000_000 + 800_000 + 300_000 + 150_000),
    (D3, "200001", "INCL_CUST_CNT", 5),  # C001 C002 C003 C004 C008
    (D1, "200001", "INCL_CUST_CNT", 4),
    (D3, "200001", "INCL_SHARE", 2_320_000 / 2_370_000),
    (D3, "200001", "INCL_BAL_YTD_CHG", 2_320_000 - 2_250_000),
    (D3, "200001", "INCL_GROWTH_YTD", 2_320_000 / 2_250_000 - 1),
    (D3, "200001", "INCL_CUST_YTD_CHG", 5 - 4),
    (D1, "200001", "INCL_CUST_YTD_CHG", NULL),
    # 普惠不良: L004 150,000 (L005 is NPL but not inclusive)
    (D3, "200001", "INCL_NPL_RATIO", 150_000 / 2_320_000),
    # 两增: 7/225 = 0.0311 ≥ 7/230 = 0.0304 and +1 ≥ 0 → 1
    (D3, "200001", "TWO_INCREASE_MET", 1),
    # 400111: INCL 1,790,000 vs 1,800,000 → −1/180 = −0.00556 < LOAN 1,840,000 vs
    # 1,850,000 → −1/185 = −0.00541 → 0
    (D3, "400111", "TWO_INCREASE_MET", 0),
    (D3, "400111", "INCL_GROWTH_YTD", 1_790_000 / 1_800_000 - 1),
    # 200002 loses its only inclusive customer (L011 settled): counts go negative
    (D3, "200002", "INCL_CUST_YTD_CHG", 0 - 1),
    (D3, "200002", "INCL_GROWTH_YTD", 0 / 142_000 - 1),
    (D1, "200002", "INCL_BAL", 20_000 * 7.10),
    # −1 < LOAN_GROWTH_YTD 6,000,000 / 6,142,000 − 1 = −0.023 → 0
    (D3, "200002", "TWO_INCREASE_MET", 0),
    (D3, "100000", "INCL_CUST_YTD_CHG", 5 - 5),  # + C008, − C009
    # 400213: INCL_BAL 0 now and 0 at year start (did not exist): growth NULL → NULL
    (D3, "400213", "INCL_GROWTH_YTD", NULL),
    (D3, "400213", "TWO_INCREASE_MET", NULL),
    (D1, "200001", "TWO_INCREASE_MET", NULL),
    # 授信户数: CL01 C001, CL02 C002, CL03 C003, CL06 C006 (CL04 ended 12-31; CL07 失效)
    (D3, "200001", "CREDIT_CUST_CNT", 4),
    (D1, "200001", "CREDIT_CUST_CNT", 5),  # + C005, CL04 still valid on its end_date
    (D3, "200001", "CREDIT_USE_RATE", 3 / 4),  # C006 has no loan
    (D1, "200001", "CREDIT_USE_RATE", 4 / 5),  # C005 has L005
    # 400111's credited customers C001 C002 C003 all have loans; C003's (L003) is booked
    # at 400112: READING "who have a loan in balance" = anywhere
    (D3, "400111", "CREDIT_USE_RATE", 3 / 3),
    (D3, "400112", "CREDIT_CUST_CNT", 1),  # C006 (CL06)
    (D3, "400112", "CREDIT_USE_RATE", 0 / 1),
    (D3, "200001", "GRID_HH_CNT", 50 + 40),  # G01 + G02
    (D3, "100000", "GRID_HH_CNT", 50 + 40 + 30),
    # 网格授信覆盖: type 1/3 customers of G01/G02 holding a valid limit: C002, C003
    # (C004 none, C005 expired, C008 none; C001 is type 2)
    (D3, "200001", "GRID_CREDIT_COVERAGE", 2 / 90),
    (D1, "200001", "GRID_CREDIT_COVERAGE", 3 / 90),  # + C005
    # C003's grid G02 is 400112's, its limit is booked at 400111 ("anywhere")
    (D3, "400112", "GRID_CREDIT_COVERAGE", 1 / 40),
    (D3, "200002", "GRID_CREDIT_COVERAGE", 0 / 30),
]

# ---------------------------------------------------------------------------------------
# Visits 走访: by the visiting manager's org on D. On D3 M0001 and M0002 are at 400111
# (M0002 moved from 400112), M0003 at 400211, M0004 (离岗) at 300011.
#   D2: V0101-1 M0001 C005 out 2 sat –   V0101-2 M0002 C003 out 3 sat 5
#       V0101-3 M0003 (prospect) out 1 sat 3
#   D3: V0102-1 M0001 C002 out 4 sat 4   V0102-2 M0001 C002 out 1 sat 2
#       V0102-3 M0002 C004 out 1 sat –   V0102-4 M0004 C001 out 3 sat 5
# ---------------------------------------------------------------------------------------
VISITS: list[Expect] = [
    (D3, "200001", "VISIT_CNT_D", 4),
    (D3, "200001", "VISIT_CNT_MTD", 6),  # + V0101-1, V0101-2
    (D3, "200001", "VISIT_CNT_YTD", 6),  # 12-31 visits belong to 2025
    (D3, "200001", "VISIT_CUST_MTD", 5),  # C005 C003 C002 C004 C001
    (D3, "200001", "VISIT_PER_MGR_MTD", 6 / 2),  # M0001, M0002 in post; M0004 离岗
    (D3, "200001", "VISIT_CONV_MTD", 3 / 6),  # V0101-2, V0102-1, V0102-4
    (D3, "200001", "VISIT_SATIS_MTD", (5 + 4 + 2 + 5) / 4),
    # V0101-2 (by M0002) counts at 400111 on D3, where M0002 is on D3
    (D3, "400111", "VISIT_CNT_MTD", 5),
    (D3, "400111", "VISIT_CUST_MTD", 4),  # C005 C003 C002 C004
    (D3, "400111", "VISIT_PER_MGR_MTD", 5 / 2),
    (D3, "400111", "VISIT_CONV_MTD", 2 / 5),
    (D3, "400111", "VISIT_SATIS_MTD", (5 + 4 + 2) / 3),
    (D3, "400112", "VISIT_CNT_MTD", 0),
    (D3, "400112", "VISIT_PER_MGR_MTD", NULL),  # no manager in post
    (D3, "400112", "VISIT_CONV_MTD", NULL),  # 0 visits
    (D3, "400112", "VISIT_SATIS_MTD", NULL),  # average over nothing
    (D2, "400112", "VISIT_CNT_D", 1),  # V0101-2 while M0002 was at 400112
    (D3, "100000", "VISIT_CNT_MTD", 7),
    (D3, "100000", "VISIT_CUST_MTD", 5),  # the prospect has no cust_no
    (D3, "100000", "VISIT_PER_MGR_MTD", 7 / 4),  # M0001 M0002 M0003 M0005 in post
    (D3, "100000", "VISIT_SATIS_MTD", (5 + 3 + 4 + 2 + 5) / 5),
    (D3, "200002", "VISIT_CUST_MTD", 0),
    (D3, "200002", "VISIT_CNT_D", 0),
    (D1, "100000", "VISIT_CNT_D", 3),
    (D1, "100000", "VISIT_SATIS_MTD", (5 + 4) / 2),  # V1231-2 unrated
]

# ---------------------------------------------------------------------------------------
# Bancassurance policy lapse 保单失效 (pay_freq 1 P001 left out; annualised: 年交 × 1,
# 月交 × 12). 200001 holds P002 (s1, 3,000/yr), P003 (s1, 500/month), P004 (s3 since
# 12-20, 2,000/yr), P005 (s2, 300/month), P007 (s2 on D1, s3 from D2, 4,000/yr).
# ---------------------------------------------------------------------------------------
POLICIES: list[Expect] = [
    (D3, "200001", "POLICY_INFORCE_CNT", 3),  # P002 P003 P005
    (D1, "200001", "POLICY_INFORCE_CNT", 4),  # + P007 in grace
    (D3, "200001", "POLICY_GRACE_CNT", 1),  # P005
    (D1, "200001", "POLICY_GRACE_CNT", 2),
    (D3, "200001", "POLICY_LAPSED_CNT", 2),  # P004 P007
    (D3, "200001", "LAPSE_RATE", 2 / (3 + 2)),
    (D1, "200001", "LAPSE_RATE", 1 / (4 + 1)),
    (D3, "400111", "LAPSE_RATE", 0 / 2),
    # lapsed 2,000 + 4,000 over 3,000 + 500×12 + 2,000 + 300×12 + 4,000 = 18,600
    (D3, "200001", "LAPSE_RATE_PREM", 6_000 / 18_600),
    (D1, "200001", "LAPSE_RATE_PREM", 2_000 / 18_600),
    (D3, "100000", "LAPSE_RATE_PREM", 6_000 / (18_600 + 1_000)),  # + P006
    # P004 visited (type 4) on D3 ≥ its status_date 12-20; P007's only type-4 visit is
    # on 12-31, before its status_date 01-01
    (D3, "200001", "LAPSE_FOLLOWUP_RATE", 1 / 2),
    (D2, "200001", "LAPSE_FOLLOWUP_RATE", 0 / 2),
    (D1, "200001", "LAPSE_FOLLOWUP_RATE", 0 / 1),
    (D3, "400111", "LAPSE_FOLLOWUP_RATE", NULL),  # no lapsed policy
    # D3 < next_due ≤ D3+30 (01-03..02-01): P002 3,000 (01-15) + P003 500 (01-31; per
    # instalment, not annualised); P005 was due 12-15, P001 is single-premium
    (D3, "200001", "RENEWAL_DUE_30D", 3_000 + 500),
    # D1: P003 is due on D1 itself, outside D < next_due; only P002
    (D1, "200001", "RENEWAL_DUE_30D", 3_000),
    # P006 (复效, 1,000) due 01-31: outside 01-01..01-30 on D1, inside 01-02..01-31 on D2
    (D1, "200002", "RENEWAL_DUE_30D", 0),
    (D2, "200002", "RENEWAL_DUE_30D", 1_000),
    (D1, "100000", "RENEWAL_DUE_30D", 3_000),
]

# ---------------------------------------------------------------------------------------
# Manager grain 客户经理维度: deposits by DEP_ACCT.mgr_no, loans by LOAN_DUEBILL.mgr_no,
# visits by VISIT_LOG.mgr_no (not by org)
# ---------------------------------------------------------------------------------------
MANAGERS: list[Expect] = [
    (D3, "M0001", "DEP_BAL", 115_000 + 480_000 + 0),  # A001 A003 A006
    (D3, "M0001", "DEP_BAL_YTD_CHG", 595_000 - 608_000),
    (D1, "M0001", "DEP_BAL_YTD_CHG", NULL),
    (D3, "M0001", "DEP_DAVG_MTD", (578_000 + 595_000) / 2),
    (D3, "M0001", "DEP_DAVG_YTD", (578_000 + 595_000) / 2),
    (D3, "M0001", "LOAN_BAL", 990_000 + 800_000 + 50_000),  # L001 L002 L005 (L008 结清)
    (D3, "M0001", "NPL_BAL", 50_000),  # L005
    (D3, "M0001", "NPL_RATIO", 50_000 / 1_840_000),
    (D1, "M0001", "NPL_RATIO", 0 / 1_850_000),
    (D3, "M0001", "INCL_BAL", 990_000 + 800_000),
    (D3, "M0001", "INCL_CUST_CNT", 2),
    (D3, "M0001", "VISIT_CNT_MTD", 3),  # V0101-1 V0102-1 V0102-2
    (D3, "M0001", "VISIT_CONV_MTD", 1 / 3),
    (D3, "M0002", "DEP_BAL", 200_000 + 36_000),  # A002 A007 (A005 has no manager)
    (D3, "M0002", "DEP_BAL_YTD_CHG", 236_000 - 230_000),
    (D3, "M0002", "DEP_DAVG_MTD", (235_000 + 236_000) / 2),
    (D3, "M0002", "LOAN_BAL", 280_000 + 150_000 + 100_000),  # L003 L004 L009 (L007 核销)
    (D3, "M0002", "NPL_RATIO", 150_000 / 530_000),
    (D3, "M0002", "INCL_BAL", 530_000),
    (D3, "M0002", "INCL_CUST_CNT", 3),
    (D3, "M0002", "VISIT_CNT_MTD", 2),  # V0101-2 V0102-3
    (D3, "M0002", "VISIT_CONV_MTD", 1 / 2),
    (D3, "M0003", "DEP_BAL", 12_000 * 7.15),
    (D3, "M0003", "DEP_BAL_YTD_CHG", 85_800 - 71_000),
    (D3, "M0003", "DEP_DAVG_YTD", (72_000 + 85_800) / 2),
    (D3, "M0003", "INCL_BAL", 0),
    (D3, "M0003", "INCL_CUST_CNT", 0),
    (D3, "M0003", "NPL_BAL", 0),
    (D3, "M0003", "VISIT_CONV_MTD", 0 / 1),
    # M0005 was hired on D3: 0 at the year start, 0 on D2 in the daily average
    (D3, "M0005", "DEP_BAL_YTD_CHG", 5_000 - 0),
    (D3, "M0005", "DEP_DAVG_MTD", (0 + 5_000) / 2),
    (D3, "M0005", "VISIT_CONV_MTD", NULL),  # no visits: zero denominator
]

ORG_EXPECTED = DEPOSITS + LOANS + INCLUSIVE + VISITS + POLICIES

ACTIVE_ORGS = {"100000", "200001", "200002", "300011", "300021", "400111", "400112", "400211"}
ACTIVE_MGRS = {"M0001", "M0002", "M0003"}


def _id(e: Expect) -> str:
    return f"{e[2]}@{e[1]}@{e[0]:%Y%m%d}"


@pytest.fixture(scope="module")
def hand_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("hand") / "landing")


@pytest.fixture(scope="module")
def reference_store(hand_landing: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    return compute_landing(hand_landing)


def lookup(store: pl.DataFrame, key: str, e: Expect) -> float | None:
    hit = store.filter((pl.col("biz_date") == e[0]) & (pl.col(key) == e[1])
                       & (pl.col("indicator_code") == e[2]))
    assert hit.height == 1, f"expected exactly one row for {_id(e)}, found {hit.height}"
    return hit["value"][0]


def assert_hand_value(store: pl.DataFrame, key: str, e: Expect) -> None:
    got, want = lookup(store, key, e), e[3]
    if want is None:
        assert got is None, f"{_id(e)}: want NULL, got {got!r}"
    else:
        assert got is not None, f"{_id(e)}: want {want!r}, got NULL"
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), (
            f"{_id(e)}: want {want!r}, got {got!r}")


def test_every_org_code_and_every_manager_code_has_a_hand_value() -> None:
    assert {e[2] for e in ORG_EXPECTED} == set(ORG_CODES)
    assert {e[2] for e in MANAGERS} == set(MGR_CODES)


@pytest.mark.parametrize("e", DEPOSITS, ids=_id)
def test_deposits_cny_at_same_date_fx_and_period_starts(reference_store, e: Expect) -> None:
    assert_hand_value(reference_store[0], "org_no", e)


@pytest.mark.parametrize("e", LOANS, ids=_id)
def test_loans_in_balance_and_asset_quality(reference_store, e: Expect) -> None:
    assert_hand_value(reference_store[0], "org_no", e)


@pytest.mark.parametrize("e", INCLUSIVE, ids=_id)
def test_inclusive_single_household_credit_and_once_only(reference_store, e: Expect) -> None:
    assert_hand_value(reference_store[0], "org_no", e)


@pytest.mark.parametrize("e", VISITS, ids=_id)
def test_visits_roll_up_by_the_managers_org_on_d(reference_store, e: Expect) -> None:
    assert_hand_value(reference_store[0], "org_no", e)


@pytest.mark.parametrize("e", POLICIES, ids=_id)
def test_policy_lapse_regular_premium_only(reference_store, e: Expect) -> None:
    assert_hand_value(reference_store[0], "org_no", e)


@pytest.mark.parametrize("e", MANAGERS, ids=_id)
def test_manager_grain_attribution(reference_store, e: Expect) -> None:
    assert_hand_value(reference_store[1], "mgr_no", e)


def test_store_has_one_row_per_status1_org_code_and_date(reference_store) -> None:
    # "for every org with status 1 on that date (all four levels) and every org-grain
    # code": 8 orgs (400212 is 撤并) on D1 and D2, 9 on D3 (+ 400213) × 45 codes;
    # NULLs are rows, not gaps
    org, mgr = reference_store
    assert org.height == (8 + 8 + 9) * 45
    for d, orgs in ((D1, ACTIVE_ORGS), (D2, ACTIVE_ORGS), (D3, ACTIVE_ORGS | {"400213"})):
        day = org.filter(pl.col("biz_date") == d)
        assert set(day["org_no"]) == orgs
        assert set(day.group_by("org_no").len()["len"]) == {45}
    # "every manager with status 1": M0004 is 离岗; M0005 is hired on D3
    assert mgr.height == (3 + 3 + 4) * 11
    assert set(mgr.filter(pl.col("biz_date") == D1)["mgr_no"]) == ACTIVE_MGRS
    assert set(mgr.filter(pl.col("biz_date") == D3)["mgr_no"]) == ACTIVE_MGRS | {"M0005"}


# ---------------------------------------------------------------------------------------
# The real pipeline on the same delivery, delivered the way the union may (spec §1):
# run 1 sees a first 12-31 with two errors and 01-02, while 01-01 is late; only 12-31
# can be published ("loaded in order without gaps"). Then 01-01 arrives and 12-31 is
# re-delivered (重发) corrected, so the landing is exactly the hand delivery and run 2,
# through `puhui run`'s own incremental path, must publish the hand values.
# ---------------------------------------------------------------------------------------


def _first_d1() -> dict:
    """12-31 as first delivered: A001 90,000 (corrected: 100,000) and L002 次级
    (corrected: 正常). The correction moves both period starts of the January dates."""
    rows = rows_on(D1)
    for acct in rows["DEP_ACCT"]:
        if acct["acct_no"] == "A001":
            acct["balance"] = 90_000
    for loan in rows["LOAN_DUEBILL"]:
        if loan["loan_no"] == "L002":
            loan["five_class"] = "3"
    return rows


@dataclass
class PipelineRuns:
    first: tuple[pl.DataFrame, pl.DataFrame]  # store after run 1
    first_landing: Path  # what run 1 could publish: the first 12-31 alone
    final: tuple[pl.DataFrame, pl.DataFrame]  # store after run 2


@pytest.fixture(scope="module")
def pipeline_runs(tmp_path_factory: pytest.TempPathFactory) -> PipelineRuns:
    reason = pipeline_missing()
    if reason:
        pytest.skip(f"real pipeline not available: {reason}")
    root = tmp_path_factory.mktemp("pipeline")
    landing, home = root / "landing", root / "home"
    write_delivery(landing, D1, _first_d1())
    write_delivery(landing, D3, rows_on(D3))
    write_delivery(root / "first_landing", D1, _first_d1())
    first = published_store(landing, home)
    shutil.rmtree(landing / "20251231")  # 重发: the whole folder again, with a new DONE
    write_delivery(landing, D1, rows_on(D1))
    write_delivery(landing, D2, rows_on(D2))
    return PipelineRuns(first, root / "first_landing", published_store(landing, home))


def _assert_same_as_reference(published: tuple[pl.DataFrame, pl.DataFrame],
                              reference: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    org = diff_stores(published[0], reference[0], "org_no")
    mgr = diff_stores(published[1], reference[1], "mgr_no")
    assert not org and not mgr, ("indicator_value: " + describe(org, "org_no")
                                 + "\nmgr_indicator_value: " + describe(mgr, "mgr_no"))


@pytest.mark.slow
def test_published_store_gives_every_hand_value(pipeline_runs: PipelineRuns) -> None:
    org, mgr = (t.with_columns(pl.col("biz_date").cast(pl.Date)) for t in pipeline_runs.final)
    failures = []
    for key, store, expected in (("org_no", org, ORG_EXPECTED), ("mgr_no", mgr, MANAGERS)):
        for e in expected:
            try:
                assert_hand_value(store, key, e)
            except AssertionError as exc:
                failures.append(str(exc).splitlines()[0])
    assert not failures, f"{len(failures)} hand values differ:\n" + "\n".join(failures)


@pytest.mark.slow
def test_published_store_equals_reference_row_by_row(pipeline_runs: PipelineRuns,
                                                     reference_store) -> None:
    _assert_same_as_reference(pipeline_runs.final, reference_store)


@pytest.mark.slow
def test_late_date_waits_and_what_was_published_matched_its_delivery(
        pipeline_runs: PipelineRuns) -> None:
    # after run 1 only the first 12-31 is published (01-02 waits for 01-01)
    _assert_same_as_reference(pipeline_runs.first, compute_landing(pipeline_runs.first_landing))
